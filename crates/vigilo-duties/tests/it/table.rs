//! Every stage of every pack, with its anchors at awkward instants:
//! weekends, public holidays, DST changes, month ends, China's National Day.
//! Each deadline is checked against an independent reading of its formula.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::json;
use vigilo_duties::model::{Deadline, Ends, Mode};
use vigilo_duties::{Facts, Profile, stage_due};

use crate::examples::rules;

const INSTANTS: &[(&str, &str)] = &[
    ("Saturday", "2026-10-03T12:00:00Z"),
    ("Belgian holiday (Armistice)", "2026-11-11T10:00:00Z"),
    ("US Thanksgiving", "2026-11-26T15:00:00Z"),
    ("EU DST end night", "2026-10-25T00:30:00Z"),
    ("US DST start night", "2026-03-08T06:30:00Z"),
    ("end of January", "2026-01-31T12:00:00Z"),
    ("China National Day", "2026-10-01T02:00:00Z"),
    ("late Friday in New York", "2026-07-10T23:45:00Z"),
];

/// The first term of a deadline (for `min`/`max`, each term is checked by
/// the independent reading and the chosen one must be one of them).
fn terms(d: &Deadline) -> Vec<&Deadline> {
    match (&d.min, &d.max) {
        (Some(list), _) | (None, Some(list)) => list.iter().flat_map(terms).collect(),
        _ => vec![d],
    }
}

/// An independent reading of one term, for the anchor `at`.
fn expected(
    term: &Deadline,
    at: Timestamp,
    rules: &vigilo_duties::Rules,
    zone_of_recipient: &str,
) -> Option<Timestamp> {
    let add = term.add?;
    match term.mode.unwrap_or(Mode::Exact) {
        Mode::Exact => {
            let mins = add.minutes.unwrap_or(0)
                + 60 * add.hours.unwrap_or(0)
                + 1440 * add.days.unwrap_or(0);
            Some(at + SignedDuration::from_mins(mins))
        }
        Mode::Civil => {
            let tz_name = match term.tz.as_deref() {
                Some("recipient") => zone_of_recipient,
                Some(t) => t,
                None => "UTC",
            };
            let tz = TimeZone::get(tz_name).ok()?;
            let local = at.to_zoned(tz.clone());
            if term.ends == Some(Ends::EndOfDay) {
                let mut day = local.date();
                let n = add.days.unwrap_or(0)
                    - i64::from(!term.first_day_excluded && add.days.unwrap_or(0) > 0);
                day = day
                    .checked_add(n.days())
                    .ok()?
                    .checked_add(add.months.unwrap_or(0).months())
                    .ok()?;
                Some(day.tomorrow().ok()?.to_zoned(tz).ok()?.timestamp())
            } else {
                // Month arithmetic clamps to the end of the month (31 Jan + 1 month = 28 Feb).
                let d = local.date();
                let target = d
                    .checked_add(add.months.unwrap_or(0).months())
                    .ok()?
                    .checked_add(add.days.unwrap_or(0).days())
                    .ok()?;
                Some(
                    target
                        .to_datetime(local.time())
                        .to_zoned(tz)
                        .ok()?
                        .timestamp(),
                )
            }
        }
        Mode::Business => {
            let cal = rules.calendars.get(term.calendar.as_deref()?)?;
            let tz = TimeZone::get(&cal.tz).ok()?;
            let mut day = at.to_zoned(tz.clone()).date();
            let mut left = add.business_days?;
            while left > 0 {
                day = day.tomorrow().ok()?;
                let wd = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                    [usize::try_from(day.weekday().to_monday_zero_offset()).ok()?];
                let business = cal.extra_workdays.contains(&day)
                    || !(cal.holidays.contains(&day) || cal.weekend.iter().any(|w| w == wd));
                if business {
                    left -= 1;
                }
            }
            let time = match term.ends {
                Some(Ends::Cutoff) => {
                    let (h, m) = cal.cutoff_local.as_deref()?.split_once(':')?;
                    jiff::civil::time(h.parse().ok()?, m.parse().ok()?, 0, 0)
                }
                _ => at.to_zoned(tz.clone()).time(),
            };
            Some(day.to_datetime(time).to_zoned(tz).ok()?.timestamp())
        }
    }
}

#[test]
fn every_stage_of_every_pack_at_awkward_instants() {
    let r = rules();
    let recipient_zone = "Europe/Brussels";
    let mut checked = 0;
    for pack in &r.packs {
        for stage in &pack.stages {
            let zones = std::collections::BTreeMap::from([(
                stage.recipient.clone(),
                recipient_zone.to_owned(),
            )]);
            let profile = Profile {
                recipient_zones: zones,
                ..Profile::default()
            };
            for (what, at) in INSTANTS {
                let at: Timestamp = at.parse().unwrap();
                // Every anchor event at `at`; every stage submitted at `at`.
                let events: Vec<_> = pack
                    .anchors
                    .values()
                    .map(|a| json!({"event": a.event, "at": at}))
                    .collect();
                let subs: Vec<_> = pack
                    .stages
                    .iter()
                    .map(|s| json!({"rule": pack.id, "stage": s.id, "at": at}))
                    .collect();
                let facts: Facts =
                    serde_json::from_value(json!({"events": events, "submissions": subs})).unwrap();
                let got = match stage_due(&r, &profile, &facts, &pack.id, &stage.id) {
                    Ok(g) => g,
                    // A calendar that does not cover the instant: a refusal, never a guess.
                    Err(e) => {
                        assert!(
                            e.to_string().contains("refusing to compute"),
                            "{} {} {what}: {e}",
                            pack.id,
                            stage.id
                        );
                        continue;
                    }
                };
                let Some((due, steps)) = got else { continue };
                assert!(
                    due >= at,
                    "{} {} at {what}: due {due} before the anchor",
                    pack.id,
                    stage.id
                );
                let readings: Vec<Timestamp> = terms(&stage.deadline)
                    .into_iter()
                    .filter_map(|t| expected(t, at, &r, recipient_zone))
                    .collect();
                if stage.deadline.immediately == Some(true) {
                    assert_eq!(due, at);
                } else {
                    assert!(
                        readings.contains(&due),
                        "{} {} at {what} ({at}): engine says {due}, independent readings {readings:?}\n{}",
                        pack.id,
                        stage.id,
                        steps.join("\n")
                    );
                    if stage.deadline.min.is_some() {
                        assert_eq!(Some(&due), readings.iter().min());
                    }
                    if stage.deadline.max.is_some() {
                        assert_eq!(Some(&due), readings.iter().max());
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "only {checked} stage instants checked");
}
