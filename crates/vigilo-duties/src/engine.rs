//! The deadline engine.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp, Zoned};
use serde::Serialize;

use crate::model::{
    Calendar, Condition, Deadline, Ends, Facts, Mode, PackStatus, Profile, RulePack, Stage,
    Strictness,
};
use crate::{DutyError, Rules};

/// Where a duty stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyStatus {
    /// The anchor event has not happened (a fix not yet available, a stage
    /// not yet submitted): no clock runs.
    PendingTrigger,
    /// Due in the future, not yet submitted.
    Open,
    /// Past due, not submitted.
    Overdue,
    /// Submitted on time.
    Submitted,
    /// Submitted after the due instant.
    SubmittedLate,
    /// "Unless already provided": a later stage's submission covers it.
    Discharged,
    /// A soft deadline ("without undue delay"): a target, never a breach.
    Target,
}

/// One duty: who must be told what, by when.
#[derive(Debug, Clone, Serialize)]
pub struct Duty {
    pub rule: String,
    pub title: String,
    pub stage: String,
    pub recipient: String,
    /// RFC 3339; `None` while pending or for a soft deadline with no
    /// instant.
    pub due: Option<Timestamp>,
    /// For soft deadlines: the text ("without undue delay").
    pub target: Option<String>,
    pub status: DutyStatus,
    pub strictness: Strictness,
    /// When the stage was submitted, if it was.
    pub submitted: Option<Timestamp>,
    /// The pack is marked as having unverified parts.
    pub unverified: bool,
    /// How the due instant was computed, step by step.
    pub explain: Vec<String>,
}

/// Two duties that cannot both be met as they stand (CRA's report to EU
/// bodies versus China's Art. 9(7)): flagged for legal review, never
/// resolved here.
#[derive(Debug, Clone, Serialize)]
pub struct ConflictFlag {
    pub rule: String,
    pub with: String,
    pub action: String,
}

/// Duties and conflicts for one case.
#[derive(Debug, Clone, Serialize)]
pub struct Computation {
    pub duties: Vec<Duty>,
    pub conflicts: Vec<ConflictFlag>,
}

/// Events that cannot come before others: (earlier, later).
const ORDER: &[(&str, &str)] = &[
    (
        "vuln.discovered_or_learned",
        "vuln.corrective_measure_available",
    ),
    ("vuln.discovered_or_learned", "vuln.exploitation_aware"),
    ("incident.discovered", "incident.materiality_determined"),
    ("incident.aware", "incident.classified_major"),
];

fn parse_tz(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|e| format!("time zone {name:?} does not exist: {e}"))
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

fn parse_cutoff(s: &str) -> Result<Time, String> {
    let (h, m) = s
        .split_once(':')
        .ok_or_else(|| format!("cut-off {s:?} is not HH:MM"))?;
    let (h, m): (i8, i8) = (
        h.parse().map_err(|_| format!("cut-off {s:?}"))?,
        m.parse().map_err(|_| format!("cut-off {s:?}"))?,
    );
    Time::new(h, m, 0, 0).map_err(|e| format!("cut-off {s:?}: {e}"))
}

pub(crate) fn check_calendar(c: &Calendar) -> Result<(), String> {
    parse_tz(&c.tz)?;
    for w in &c.weekend {
        weekday(w).ok_or_else(|| format!("weekend day {w:?} is not mon..sun"))?;
    }
    if let Some(cut) = &c.cutoff_local {
        parse_cutoff(cut)?;
    }
    if c.valid_through < c.valid_from {
        return Err(format!(
            "valid_through {} is before valid_from {}",
            c.valid_through, c.valid_from
        ));
    }
    Ok(())
}

fn check_deadline(
    pack: &RulePack,
    stage: &Stage,
    d: &Deadline,
    calendars: &BTreeMap<String, Calendar>,
) -> Result<(), String> {
    for list in [&d.min, &d.max].into_iter().flatten() {
        for t in list {
            check_deadline(pack, stage, t, calendars)?;
        }
    }
    if let Some(from) = &d.from {
        if let Some(rest) = from.strip_prefix("stage:") {
            let id = rest.strip_suffix(".submitted").ok_or_else(|| {
                format!(
                    "stage {}: anchor {from} must be stage:<id>.submitted",
                    stage.id
                )
            })?;
            if !pack.stages.iter().any(|s| s.id == id) {
                return Err(format!(
                    "stage {}: anchor {from} names no stage of this pack",
                    stage.id
                ));
            }
        } else if !pack.anchors.contains_key(from) {
            return Err(format!(
                "stage {}: anchor {from} is not among the pack's anchors",
                stage.id
            ));
        }
    }
    if let Some(cal) = &d.calendar {
        if !calendars.contains_key(cal) {
            return Err(format!("stage {}: calendar {cal} is not loaded", stage.id));
        }
    }
    if let Some(tz) = &d.tz {
        if tz != "recipient" {
            parse_tz(tz)?;
        }
    }
    if d.mode == Some(Mode::Business) && d.calendar.is_none() {
        return Err(format!(
            "stage {}: business-day counting needs a calendar",
            stage.id
        ));
    }
    Ok(())
}

pub(crate) fn check_pack(
    pack: &RulePack,
    calendars: &BTreeMap<String, Calendar>,
) -> Result<(), String> {
    let mut ids = BTreeSet::new();
    for s in &pack.stages {
        if !ids.insert(&s.id) {
            return Err(format!("stage id {} is used twice", s.id));
        }
        check_deadline(pack, s, &s.deadline, calendars)?;
    }
    Ok(())
}

fn flag<'a>(facts: &'a Facts, name: &str) -> Option<&'a serde_json::Value> {
    facts.flags.get(name)
}

fn holds(c: &Condition, p: &Profile, f: &Facts) -> bool {
    let mut ok = true;
    if let Some(all) = &c.all {
        ok &= all.iter().all(|x| holds(x, p, f));
    }
    if let Some(any) = &c.any {
        ok &= any.iter().any(|x| holds(x, p, f));
    }
    if let Some(not) = &c.not {
        ok &= !holds(not, p, f);
    }
    if let Some(r) = &c.role {
        ok &= p.roles.contains(r);
    }
    if let Some(j) = &c.jurisdiction {
        ok &= p.jurisdictions.contains(j);
    }
    if let Some(s) = &c.sector {
        ok &= p.sectors.contains(s);
    }
    if let Some(s) = &c.partnership {
        ok &= p.partnerships.contains(s);
    }
    if let Some(name) = &c.fact {
        ok &= match (&c.includes, flag(f, name)) {
            (None, Some(serde_json::Value::Bool(b))) => *b,
            (None, Some(serde_json::Value::Array(a))) => !a.is_empty(),
            (None, Some(serde_json::Value::String(s))) => !s.is_empty(),
            (Some(v), Some(serde_json::Value::Array(a))) => a.iter().any(|x| x.as_str() == Some(v)),
            (Some(v), Some(serde_json::Value::String(s))) => s == v,
            _ => false,
        };
    }
    if let Some(a) = c.always {
        ok &= a;
    }
    ok
}

/// A computed instant and how it was reached.
#[derive(Debug, Clone)]
struct Term {
    due: Timestamp,
    /// The anchor instant the clock started from.
    anchor: Timestamp,
    steps: Vec<String>,
}

/// What a deadline formula gives.
enum Outcome {
    Due(Term),
    /// Soft, no instant: the text, from an anchor that happened.
    Text(String, Vec<String>),
    /// An anchor has not happened.
    Pending(String),
}

struct Ctx<'a> {
    rules: &'a Rules,
    profile: &'a Profile,
    facts: &'a Facts,
    pack: &'a RulePack,
    stage: &'a Stage,
}

impl Ctx<'_> {
    /// The instant of an anchor: the earliest event of its kind (the
    /// moment the clock first started), or a stage's submission.
    fn anchor(&self, name: &str) -> Option<(Timestamp, String)> {
        if let Some(rest) = name.strip_prefix("stage:") {
            let id = rest.trim_end_matches(".submitted");
            return self
                .facts
                .submissions
                .iter()
                .filter(|s| s.rule == self.pack.id && s.stage == id)
                .map(|s| s.at)
                .min()
                .map(|t| (t, format!("stage {id} submitted at {t}")));
        }
        let anchor = self.pack.anchors.get(name)?;
        let ev = self
            .facts
            .events
            .iter()
            .filter(|e| e.event == anchor.event)
            .min_by_key(|e| e.at)?;
        let prov = ev
            .source
            .as_deref()
            .map(|s| format!(", source: {s}"))
            .unwrap_or_default();
        Some((
            ev.at,
            format!("anchor {name} = {} (event {}{prov})", ev.at, anchor.event),
        ))
    }

    fn zone(&self, d: &Deadline) -> Result<TimeZone, DutyError> {
        let name = match d.tz.as_deref() {
            Some("recipient") => self
                .profile
                .recipient_zones
                .get(&self.stage.recipient)
                .map_or("UTC", String::as_str),
            Some(tz) => tz,
            None => "UTC",
        };
        parse_tz(name).map_err(DutyError::Profile)
    }

    fn eval(&self, d: &Deadline) -> Result<Outcome, DutyError> {
        if let Some(list) = d.min.as_ref().or(d.max.as_ref()) {
            let is_min = d.min.is_some();
            let mut terms = Vec::new();
            let mut pending = None;
            for t in list {
                match self.eval(t)? {
                    Outcome::Due(term) => terms.push(term),
                    Outcome::Pending(why) => pending = Some(why),
                    Outcome::Text(..) => {}
                }
            }
            // The earliest of the terms that can be computed (a cap applies
            // even while the other anchor is missing); the latest only when
            // every term is known.
            if terms.is_empty() || (!is_min && pending.is_some()) {
                return Ok(Outcome::Pending(
                    pending.unwrap_or_else(|| "no term can be computed".into()),
                ));
            }
            let pick = if is_min {
                terms.iter().min_by_key(|t| t.due)
            } else {
                terms.iter().max_by_key(|t| t.due)
            };
            let Some(chosen) = pick.cloned() else {
                return Ok(Outcome::Pending("no term".into()));
            };
            let mut steps = Vec::new();
            for (i, t) in terms.iter().enumerate() {
                steps.push(format!("term {}: {}", i + 1, t.steps.join("; ")));
            }
            steps.push(format!(
                "{} of the terms: {}",
                if is_min { "earliest" } else { "latest" },
                chosen.due
            ));
            return Ok(Outcome::Due(Term {
                due: chosen.due,
                anchor: chosen.anchor,
                steps,
            }));
        }
        let Some(from) = &d.from else {
            return Err(DutyError::Rule {
                rule: self.pack.id.clone(),
                message: format!("stage {}: a deadline without `from`", self.stage.id),
            });
        };
        let Some((at, why)) = self.anchor(from) else {
            let event = self
                .pack
                .anchors
                .get(from)
                .map_or(from.as_str(), |a| a.event.as_str());
            return Ok(Outcome::Pending(format!("waiting for {event}")));
        };
        if let Some(text) = &d.text {
            return Ok(Outcome::Text(text.clone(), vec![why]));
        }
        if d.immediately == Some(true) {
            return Ok(Outcome::Due(Term {
                due: at,
                anchor: at,
                steps: vec![why, "due immediately".into()],
            }));
        }
        let add = d.add.unwrap_or_default();
        let mut steps = vec![why];
        let due = match d.mode.unwrap_or(Mode::Exact) {
            Mode::Exact => {
                let mins = add.minutes.unwrap_or(0)
                    + 60 * (add.hours.unwrap_or(0) + 24 * add.days.unwrap_or(0));
                let due = at
                    .checked_add(SignedDuration::from_mins(mins))
                    .map_err(|e| self.rule_err(format!("{e}")))?;
                steps.push(format!("+ {} elapsed = {due}", human_minutes(mins)));
                due
            }
            Mode::Civil => self.civil(d, at, &mut steps)?,
            Mode::Business => self.business(d, at, &mut steps)?,
        };
        Ok(Outcome::Due(Term {
            due,
            anchor: at,
            steps,
        }))
    }

    fn rule_err(&self, message: String) -> DutyError {
        DutyError::Rule {
            rule: self.pack.id.clone(),
            message: format!("stage {}: {message}", self.stage.id),
        }
    }

    fn civil(
        &self,
        d: &Deadline,
        at: Timestamp,
        steps: &mut Vec<String>,
    ) -> Result<Timestamp, DutyError> {
        let tz = self.zone(d)?;
        let tz_name = tz.iana_name().unwrap_or("UTC").to_owned();
        let local = at.to_zoned(tz.clone());
        steps.push(format!(
            "in {tz_name}: {}",
            local.strftime("%Y-%m-%d %H:%M %Z")
        ));
        let add = d.add.unwrap_or_default();
        let span = Span::new()
            .try_months(add.months.unwrap_or(0))
            .and_then(|s| s.try_days(add.days.unwrap_or(0)))
            .and_then(|s| s.try_hours(add.hours.unwrap_or(0)))
            .and_then(|s| s.try_minutes(add.minutes.unwrap_or(0)))
            .map_err(|e| self.rule_err(e.to_string()))?;
        let ends = d.ends.unwrap_or_default();
        let due: Zoned = match ends {
            Ends::EndOfDay => {
                // Whole days: the period runs to the end of its last day; the
                // anchor's own day counts unless `first_day_excluded`.
                let mut day = local
                    .date()
                    .checked_add(span)
                    .map_err(|e| self.rule_err(e.to_string()))?;
                if !d.first_day_excluded && (add.days.unwrap_or(0) > 0) {
                    day = day.yesterday().map_err(|e| self.rule_err(e.to_string()))?;
                }
                let end = day.tomorrow().map_err(|e| self.rule_err(e.to_string()))?;
                let z = end.to_zoned(tz).map_err(|e| self.rule_err(e.to_string()))?;
                steps.push(format!(
                    "+ {span:#} as calendar time{}, to the end of {day} (24:00 local)",
                    if d.first_day_excluded {
                        ", the anchor's day excluded"
                    } else {
                        ""
                    }
                ));
                z
            }
            Ends::Exact | Ends::Cutoff => {
                let z = local
                    .checked_add(span)
                    .map_err(|e| self.rule_err(e.to_string()))?;
                steps.push(format!(
                    "+ {span:#} as calendar time = {}",
                    z.strftime("%Y-%m-%d %H:%M %Z")
                ));
                z
            }
        };
        let ts = due.timestamp();
        steps.push(format!("= {ts}"));
        Ok(ts)
    }

    fn business(
        &self,
        d: &Deadline,
        at: Timestamp,
        steps: &mut Vec<String>,
    ) -> Result<Timestamp, DutyError> {
        let cal_id = d.calendar.as_deref().unwrap_or_default();
        let cal = self
            .rules
            .calendars
            .get(cal_id)
            .ok_or_else(|| self.rule_err(format!("calendar {cal_id} is not loaded")))?;
        let tz = parse_tz(&cal.tz).map_err(|m| self.rule_err(m))?;
        let local = at.to_zoned(tz.clone());
        let n = d.add.and_then(|a| a.business_days).unwrap_or(0);
        steps.push(format!(
            "in {} ({}): {}",
            cal.id,
            cal.tz,
            local.strftime("%a %Y-%m-%d %H:%M %Z")
        ));
        let range_err = |needed: Date| DutyError::CalendarRange {
            detail: format!(
                "rule {}, stage {}: calendar {} is valid from {} through {}; the deadline needs {needed}",
                self.pack.id, self.stage.id, cal.id, cal.valid_from, cal.valid_through
            ),
        };
        let start = local.date();
        if start < cal.valid_from || start > cal.valid_through {
            return Err(range_err(start));
        }
        if !is_business_day(cal, start) {
            let why = if cal.holidays.contains(&start) {
                "holiday"
            } else {
                "weekend"
            };
            steps.push(format!("the anchor's day {start} ({why}) is not a business day: day 1 is the next business day"));
        }
        let (day, skipped) = nth_business_day(cal, start, n).map_err(range_err)?;
        if !skipped.is_empty() {
            steps.push(format!("skipped: {}", skipped.join(", ")));
        }
        let end_time = match d.ends.unwrap_or_default() {
            Ends::Cutoff => {
                let cut = cal.cutoff_local.as_deref().ok_or_else(|| {
                    self.rule_err(format!("calendar {} has no cutoff_local", cal.id))
                })?;
                parse_cutoff(cut).map_err(|m| self.rule_err(m))?
            }
            Ends::EndOfDay => Time::midnight(),
            Ends::Exact => local.time(),
        };
        let due = if d.ends == Some(Ends::EndOfDay) {
            day.tomorrow()
                .map_err(|e| self.rule_err(e.to_string()))?
                .to_zoned(tz)
        } else {
            day.to_datetime(end_time).to_zoned(tz)
        }
        .map_err(|e| self.rule_err(e.to_string()))?;
        steps.push(format!(
            "business day {n} after {start} is {} {day}; due {}",
            weekday_name(day.weekday()),
            due.strftime("%Y-%m-%d %H:%M %Z")
        ));
        let ts = due.timestamp();
        steps.push(format!("= {ts}"));
        Ok(ts)
    }
}

fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

fn human_minutes(m: i64) -> String {
    if m % (24 * 60) == 0 && m != 0 {
        format!("{} h ({} d)", m / 60, m / (24 * 60))
    } else if m % 60 == 0 {
        format!("{} h", m / 60)
    } else {
        format!("{m} min")
    }
}

/// Whether `day` is a business day of `cal`.
pub fn is_business_day(cal: &Calendar, day: Date) -> bool {
    if cal.extra_workdays.contains(&day) {
        return true;
    }
    if cal.holidays.contains(&day) {
        return false;
    }
    !cal.weekend
        .iter()
        .filter_map(|w| weekday(w))
        .any(|w| w == day.weekday())
}

/// The `n`th business day strictly after `start`, and the days skipped on
/// the way (with why). `Err(date)` when the calendar ends first.
pub fn nth_business_day(cal: &Calendar, start: Date, n: i64) -> Result<(Date, Vec<String>), Date> {
    let mut day = start;
    let mut counted = 0;
    let mut skipped = Vec::new();
    while counted < n {
        day = day.tomorrow().map_err(|_| day)?;
        if day > cal.valid_through {
            return Err(day);
        }
        if is_business_day(cal, day) {
            counted += 1;
        } else {
            let why = if cal.holidays.contains(&day) {
                "holiday"
            } else {
                "weekend"
            };
            skipped.push(format!("{day} ({why})"));
        }
    }
    Ok((day, skipped))
}

fn check_facts(facts: &Facts, rules: &Rules) -> Result<(), DutyError> {
    let first = |name: &str| {
        facts
            .events
            .iter()
            .filter(|e| e.event == name)
            .map(|e| e.at)
            .min()
    };
    for (earlier, later) in ORDER {
        if let (Some(a), Some(b)) = (first(earlier), first(later)) {
            if b < a {
                return Err(DutyError::Facts(format!(
                    "{later} at {b} comes before {earlier} at {a}"
                )));
            }
        }
    }
    for (i, s) in facts.submissions.iter().enumerate() {
        let Some(pack) = rules.pack(&s.rule) else {
            return Err(DutyError::Facts(format!(
                "submissions[{i}]: unknown rule id {}",
                s.rule
            )));
        };
        for stage in std::iter::once(&s.stage).chain(&s.covers) {
            if !pack.stages.iter().any(|st| &st.id == stage) {
                return Err(DutyError::Facts(format!(
                    "submissions[{i}]: rule {} has no stage {stage}",
                    s.rule
                )));
            }
        }
    }
    Ok(())
}

fn check_profile(p: &Profile) -> Result<(), DutyError> {
    for (recipient, tz) in &p.recipient_zones {
        parse_tz(tz)
            .map_err(|m| DutyError::Profile(format!("recipient_zones.{recipient}: {m}")))?;
    }
    Ok(())
}

/// Computes every duty of a case at `now`: for each pack in force whose
/// `applies_if` holds, each stage with its due instant and status. Facts
/// are checked first (order of events, known rules and stages); nothing is
/// computed from bad input.
pub fn compute(
    rules: &Rules,
    profile: &Profile,
    facts: &Facts,
    now: Timestamp,
) -> Result<Computation, DutyError> {
    check_profile(profile)?;
    check_facts(facts, rules)?;
    let mut duties = Vec::new();
    let mut conflicts = Vec::new();
    let applies: BTreeSet<&str> = rules
        .packs
        .iter()
        .filter(|p| p.status == PackStatus::InForce && holds(&p.applies_if, profile, facts))
        .map(|p| p.id.as_str())
        .collect();
    for pack in rules
        .packs
        .iter()
        .filter(|p| applies.contains(p.id.as_str()))
    {
        for c in &pack.conflicts {
            if applies.contains(c.with.as_str())
                && c.when.as_ref().is_none_or(|w| holds(w, profile, facts))
            {
                conflicts.push(ConflictFlag {
                    rule: pack.id.clone(),
                    with: c.with.clone(),
                    action: c.action.clone(),
                });
            }
        }
        for stage in &pack.stages {
            let ctx = Ctx {
                rules,
                profile,
                facts,
                pack,
                stage,
            };
            let outcome = ctx.eval(&stage.deadline)?;
            let submitted = facts
                .submissions
                .iter()
                .filter(|s| s.rule == pack.id && s.stage == stage.id)
                .map(|s| s.at)
                .min();
            let covered = facts
                .submissions
                .iter()
                .any(|s| s.rule == pack.id && s.stage != stage.id && s.covers.contains(&stage.id));
            // Effective dates: the rule version in force at the anchor.
            let mut duty = Duty {
                rule: pack.id.clone(),
                title: pack.title.clone(),
                stage: stage.id.clone(),
                recipient: stage.recipient.clone(),
                due: None,
                target: None,
                status: DutyStatus::PendingTrigger,
                strictness: stage.strictness,
                submitted,
                unverified: !pack.unverified.is_empty(),
                explain: Vec::new(),
            };
            match outcome {
                Outcome::Pending(why) => duty.explain.push(why),
                Outcome::Text(text, steps) => {
                    duty.status = if submitted.is_some() {
                        DutyStatus::Submitted
                    } else {
                        DutyStatus::Target
                    };
                    duty.target = Some(text);
                    duty.explain = steps;
                }
                Outcome::Due(term) => {
                    let day = term.anchor.to_zoned(TimeZone::UTC).date();
                    let before = pack.effective.from.is_some_and(|f| day < f);
                    let after = pack.effective.until.is_some_and(|u| day > u);
                    if before || after {
                        // The version in force at the anchor instant decides.
                        continue;
                    }
                    duty.due = Some(term.due);
                    duty.explain = term.steps;
                    duty.status = match (submitted, stage.strictness) {
                        (Some(s), _) if s <= term.due => DutyStatus::Submitted,
                        (Some(_), _) => DutyStatus::SubmittedLate,
                        (None, _) if stage.skip_if_already_provided && covered => {
                            DutyStatus::Discharged
                        }
                        (None, Strictness::Soft) => DutyStatus::Target,
                        (None, Strictness::Hard) if now > term.due => DutyStatus::Overdue,
                        (None, Strictness::Hard) => DutyStatus::Open,
                    };
                }
            }
            duties.push(duty);
        }
    }
    duties.sort_by(|a, b| match (a.due, b.due) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.rule.cmp(&b.rule)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.rule.cmp(&b.rule).then_with(|| a.stage.cmp(&b.stage)),
    });
    Ok(Computation { duties, conflicts })
}

/// An outbound disclosure about a case: a share, an export, a submission
/// or a publication, to one recipient.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// The recipient's id (an organisation, a hub, `public`).
    pub recipient: String,
    /// The recipient's country (ISO 3166 alpha-2).
    pub country: String,
    /// The recipient's role towards the case (`product_provider`,
    /// `coordinator`, `regulator`, …).
    #[serde(default)]
    pub role: Option<String>,
    /// Publication to the world rather than to one recipient.
    #[serde(default)]
    pub publication: bool,
    /// Flags of this disclosure (`disclosure.includes_exploit_tool`, …),
    /// evaluated together with the case's.
    #[serde(default)]
    pub flags: BTreeMap<String, serde_json::Value>,
}

/// A constraint that forbids a disclosure, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub rule: String,
    pub constraint: String,
    pub explanation: String,
    /// `block_with_admin_override` or `block_with_legal_override`.
    pub on_violation: String,
}

/// The constraints that forbid `disclosure`: every constraint of a pack in
/// force whose `applies_if` holds for the profile and case, whose `when`
/// holds for the case and disclosure flags, and whose recipient test
/// matches (`no_disclosure`: the recipient's country and role;
/// `no_publication`: a publication). Empty when the disclosure may go.
pub fn check_disclosure(
    rules: &Rules,
    profile: &Profile,
    facts: &Facts,
    disclosure: &Disclosure,
) -> Vec<Violation> {
    let mut merged = facts.clone();
    for (k, v) in &disclosure.flags {
        merged.flags.insert(k.clone(), v.clone());
    }
    let mut out = Vec::new();
    for pack in rules
        .packs
        .iter()
        .filter(|p| p.status == PackStatus::InForce && holds(&p.applies_if, profile, &merged))
    {
        for c in &pack.constraints {
            if !c.when.as_ref().is_none_or(|w| holds(w, profile, &merged)) {
                continue;
            }
            let hit = match c.kind.as_str() {
                "no_publication" => disclosure.publication,
                "no_disclosure" => c.forbid_recipient.as_ref().is_some_and(|f| {
                    f.get("country_not")
                        .is_none_or(|x| &disclosure.country != x)
                        && f.get("role_not")
                            .is_none_or(|x| disclosure.role.as_ref() != Some(x))
                }),
                _ => false,
            };
            if hit {
                out.push(Violation {
                    rule: pack.id.clone(),
                    constraint: c.id.clone(),
                    explanation: c.explanation.clone().unwrap_or_default(),
                    on_violation: c.on_violation.clone(),
                });
            }
        }
    }
    out
}

/// The due instant of one stage, its pack's `applies_if` aside: for tests
/// and for explaining a rule to someone whose case it does not (yet)
/// match. `Ok(None)` while an anchor is missing or for a soft deadline
/// without an instant.
pub fn stage_due(
    rules: &Rules,
    profile: &Profile,
    facts: &Facts,
    rule: &str,
    stage: &str,
) -> Result<Option<(Timestamp, Vec<String>)>, DutyError> {
    let pack = rules
        .pack(rule)
        .ok_or_else(|| DutyError::Facts(format!("unknown rule id {rule}")))?;
    let st = pack
        .stages
        .iter()
        .find(|s| s.id == stage)
        .ok_or_else(|| DutyError::Facts(format!("rule {rule} has no stage {stage}")))?;
    let ctx = Ctx {
        rules,
        profile,
        facts,
        pack,
        stage: st,
    };
    Ok(match ctx.eval(&st.deadline)? {
        Outcome::Due(t) => Some((t.due, t.steps)),
        Outcome::Text(..) | Outcome::Pending(_) => None,
    })
}
