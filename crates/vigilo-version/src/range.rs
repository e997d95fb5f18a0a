//! Evaluation of OSV affected ranges (`ECOSYSTEM` and `SEMVER` types).
//!
//! The semantics are OSV 1.6's: events are ordered by version, with
//! `introduced: "0"` before everything; walking them, an `introduced` at or
//! below the version marks it affected, a `fixed` at or below it marks it not
//! affected, a `last_affected` strictly below it marks it not affected. When a
//! range has `limit` events, only versions below some limit can be affected.
//! Events are pre-sorted once, at construction, so evaluating a version is a
//! walk with no allocation.

use std::cmp::Ordering;

use crate::Version;

/// One range event, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `introduced`; `None` is `"0"`: before every version.
    Introduced(Option<Version>),
    Fixed(Version),
    LastAffected(Version),
    Limit(Version),
}

impl Event {
    fn version(&self) -> Option<&Version> {
        match self {
            Event::Introduced(v) => v.as_ref(),
            Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => Some(v),
        }
    }

    /// Tie-break for events at the same version: an empty `[v, v)` range
    /// stays empty, and `[v, v]` (introduced = last_affected) affects v.
    fn rank(&self) -> u8 {
        match self {
            Event::Introduced(_) => 0,
            Event::LastAffected(_) => 1,
            Event::Fixed(_) => 2,
            Event::Limit(_) => 3,
        }
    }
}

/// Why a list of events is not a valid range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("a range needs at least one event")]
    Empty,
    #[error("a range needs an `introduced` event")]
    NoIntroduced,
    #[error(
        "event {index}: `{kind}` {version} comes before the `introduced` {introduced} it closes"
    )]
    OutOfOrder {
        index: usize,
        kind: &'static str,
        version: String,
        introduced: String,
    },
    #[error("event {index}: versions of different schemes in one range")]
    MixedSchemes { index: usize },
}

/// A validated range, ready to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// Events sorted by version (introduced "0" first), `limit`s removed.
    sorted: Vec<Event>,
    limits: Vec<Version>,
}

fn order(a: &Event, b: &Event) -> Ordering {
    match (a.version(), b.version()) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.compare(y).unwrap_or(Ordering::Equal),
    }
    .then(a.rank().cmp(&b.rank()))
}

impl Range {
    /// Validates `events` as given in a record (in their listed order) and
    /// prepares them for evaluation.
    ///
    /// Rejected: no events, no `introduced`, versions of mixed schemes, and a
    /// `fixed`/`last_affected` that sorts below the `introduced` it follows
    /// (the classic "fixed before introduced" mistake).
    pub fn new(events: Vec<Event>) -> Result<Range, RangeError> {
        if events.is_empty() {
            return Err(RangeError::Empty);
        }
        if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
            return Err(RangeError::NoIntroduced);
        }
        let first = events.iter().find_map(Event::version);
        if let Some(first) = first {
            for (index, e) in events.iter().enumerate() {
                if let Some(v) = e.version() {
                    if first.compare(v).is_none() {
                        return Err(RangeError::MixedSchemes { index });
                    }
                }
            }
        }
        let mut open: Option<&Event> = None;
        for (index, e) in events.iter().enumerate() {
            match e {
                Event::Introduced(_) => open = Some(e),
                Event::Fixed(v) | Event::LastAffected(v) => {
                    if let Some(Event::Introduced(Some(intro))) = open {
                        // `fixed` equal to `introduced` is an empty range, which real
                        // databases contain (RustSec); only a version below is wrong.
                        let bad = v < intro;
                        if bad {
                            return Err(RangeError::OutOfOrder {
                                index,
                                kind: if matches!(e, Event::Fixed(_)) {
                                    "fixed"
                                } else {
                                    "last_affected"
                                },
                                version: v.to_string(),
                                introduced: intro.to_string(),
                            });
                        }
                    }
                    open = None;
                }
                Event::Limit(_) => {}
            }
        }
        let (limits, mut sorted): (Vec<Event>, Vec<Event>) = events
            .into_iter()
            .partition(|e| matches!(e, Event::Limit(_)));
        sorted.sort_by(order);
        let limits = limits
            .into_iter()
            .filter_map(|e| match e {
                Event::Limit(v) => Some(v),
                _ => None,
            })
            .collect();
        Ok(Range { sorted, limits })
    }

    /// Whether `v` is affected. A version of another scheme never is.
    pub fn contains(&self, v: &Version) -> bool {
        if !self.limits.is_empty()
            && !self
                .limits
                .iter()
                .any(|l| v.compare(l) == Some(Ordering::Less))
        {
            return false;
        }
        let mut affected = false;
        for e in &self.sorted {
            match e {
                Event::Introduced(None) => affected = true,
                Event::Introduced(Some(i)) => match v.compare(i) {
                    Some(Ordering::Less) => break,
                    Some(_) => affected = true,
                    None => return false,
                },
                Event::Fixed(f) => match v.compare(f) {
                    Some(Ordering::Less) => break,
                    Some(_) => affected = false,
                    None => return false,
                },
                Event::LastAffected(l) => match v.compare(l) {
                    Some(Ordering::Greater) => affected = false,
                    Some(_) => break,
                    None => return false,
                },
                Event::Limit(_) => {}
            }
        }
        affected
    }

    /// The `fixed` versions of the range, in ascending order.
    pub fn fixed_versions(&self) -> impl Iterator<Item = &Version> {
        self.sorted.iter().filter_map(|e| match e {
            Event::Fixed(v) => Some(v),
            _ => None,
        })
    }

    /// The events in evaluation order (limits last).
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.sorted.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scheme;

    fn v(s: &str) -> Version {
        Version::parse(Scheme::SemVer, s).expect("test version")
    }

    fn range(events: &[(&str, &str)]) -> Result<Range, RangeError> {
        Range::new(
            events
                .iter()
                .map(|(k, s)| match *k {
                    "introduced" if *s == "0" => Event::Introduced(None),
                    "introduced" => Event::Introduced(Some(v(s))),
                    "fixed" => Event::Fixed(v(s)),
                    "last_affected" => Event::LastAffected(v(s)),
                    "limit" => Event::Limit(v(s)),
                    _ => unreachable!(),
                })
                .collect(),
        )
    }

    #[test]
    fn introduced_zero_and_fixed() {
        let r = range(&[("introduced", "0"), ("fixed", "1.2.0")]).unwrap();
        assert!(r.contains(&v("0.0.1")));
        assert!(r.contains(&v("1.1.9")));
        assert!(r.contains(&v("1.2.0-rc.1")));
        assert!(!r.contains(&v("1.2.0")));
        assert!(!r.contains(&v("2.0.0")));
    }

    #[test]
    fn several_intervals_in_one_range() {
        let r = range(&[
            ("introduced", "1.0.0"),
            ("fixed", "1.0.5"),
            ("introduced", "2.0.0"),
            ("fixed", "2.1.0"),
        ])
        .unwrap();
        let cases = [
            ("0.9.0", false),
            ("1.0.0", true),
            ("1.0.4", true),
            ("1.0.5", false),
            ("1.9.0", false),
            ("2.0.0", true),
            ("2.0.9", true),
            ("2.1.0", false),
        ];
        for (s, want) in cases {
            assert_eq!(r.contains(&v(s)), want, "{s}");
        }
        assert_eq!(
            r.fixed_versions()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["1.0.5", "2.1.0"]
        );
    }

    #[test]
    fn last_affected_is_inclusive_and_open_ranges_stay_open() {
        let r = range(&[("introduced", "1.0.0"), ("last_affected", "1.4.0")]).unwrap();
        assert!(r.contains(&v("1.4.0")));
        assert!(!r.contains(&v("1.4.1")));
        let open = range(&[("introduced", "3.0.0")]).unwrap();
        assert!(open.contains(&v("99.0.0")));
        assert!(!open.contains(&v("2.9.9")));
    }

    #[test]
    fn limits_bound_the_range() {
        let r = range(&[("introduced", "0"), ("limit", "2.0.0")]).unwrap();
        assert!(r.contains(&v("1.9.9")));
        assert!(!r.contains(&v("2.0.0")));
    }

    #[test]
    fn malformed_ranges_are_rejected() {
        assert_eq!(range(&[]), Err(RangeError::Empty));
        assert_eq!(range(&[("fixed", "1.0.0")]), Err(RangeError::NoIntroduced));
        assert!(matches!(
            range(&[("introduced", "2.0.0"), ("fixed", "1.0.0")]),
            Err(RangeError::OutOfOrder { index: 1, .. })
        ));
        // An empty range is valid and affects nothing.
        let empty = range(&[("introduced", "2.0.0"), ("fixed", "2.0.0")]).unwrap();
        assert!(!empty.contains(&v("2.0.0")));
        assert!(!empty.contains(&v("1.9.0")));
        let mixed = Range::new(vec![
            Event::Introduced(Some(v("1.0.0"))),
            Event::Fixed(Version::parse(Scheme::Debian, "1.2-1").unwrap()),
        ]);
        assert_eq!(mixed, Err(RangeError::MixedSchemes { index: 1 }));
    }
}
