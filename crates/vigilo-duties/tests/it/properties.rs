//! Properties: a deadline never precedes its anchor, recomputation is
//! idempotent, and business-day counting agrees with an independent count.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use proptest::prelude::*;
use serde_json::json;
use vigilo_duties::compute;

use crate::examples::rules;

fn business_days_between(cal: &vigilo_duties::Calendar, start: Date, end: Date) -> i64 {
    // Independent: count the days in (start, end] that are business days,
    // by weekday arithmetic and set lookups.
    let mut n = 0;
    let days = (end - start).get_days();
    for k in 1..=days {
        let d = start.checked_add(k.days()).unwrap();
        let name = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            [usize::try_from(d.weekday().to_monday_zero_offset()).unwrap()];
        let weekend = cal.weekend.iter().any(|w| w == name);
        let business = cal.extra_workdays.contains(&d) || (!cal.holidays.contains(&d) && !weekend);
        n += i64::from(business);
    }
    n
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn deadlines_follow_their_anchor_and_recompute_the_same(offset_min in 0i64..(300 * 24 * 60)) {
        let r = rules();
        let at = Timestamp::from_second(1_767_225_600 + offset_min * 60).unwrap(); // 2026-01-01 + offset
        let p: vigilo_duties::Profile = serde_json::from_value(json!({
            "roles": ["manufacturer", "network_product_provider", "sec_registrant", "financial_entity"],
            "jurisdictions": ["CN", "EU", "US"],
            "recipient_zones": {"eu.srp": "Europe/Brussels"}
        })).unwrap();
        let f: vigilo_duties::Facts = serde_json::from_value(json!({
            "flags": {"product.offered_in": ["CN"], "vuln.in_own_product": true, "product.made_available_in_eu": true,
                      "vuln.actively_exploited": true, "incident.material": true},
            "events": [
                {"event": "vuln.discovered_or_learned", "at": at},
                {"event": "vuln.exploitation_aware", "at": at},
                {"event": "incident.discovered", "at": at},
                {"event": "incident.materiality_determined", "at": at},
            ]
        })).unwrap();
        let now = at;
        match compute(&r, &p, &f, now) {
            Ok(a) => {
                for d in &a.duties {
                    if let Some(due) = d.due {
                        prop_assert!(due >= at, "{} {} due {due} before its anchor {at}", d.rule, d.stage);
                    }
                }
                let b = compute(&r, &p, &f, now).unwrap();
                prop_assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap());
            }
            // Near the end of the year a calendar may end before the deadline.
            Err(e) => prop_assert!(e.to_string().contains("refusing to compute"), "{e}"),
        }
    }

    #[test]
    fn business_days_agree_with_an_independent_count(day in 0i64..330, n in 1i64..15) {
        let r = rules();
        for cal in r.calendars.values() {
            let start = cal.valid_from.checked_add(day.days()).unwrap();
            if let Ok((end, _)) = vigilo_duties::engine_nth_business_day(cal, start, n) {
                prop_assert_eq!(business_days_between(cal, start, end), n);
                prop_assert!(vigilo_duties::engine_is_business_day(cal, end));
            }
        }
    }
}
