//! From found components to findings: matching through the
//! versions/matching engine, and the status each finding gets.

use vigilo_core::advisory::Advisory;
use vigilo_core::inventory::{Finding, FindingAdvisory, Found, Status};
use vigilo_core::matching::MatchIndex;

/// The advisory as a finding names it.
pub fn finding_advisory(
    advisory: &Advisory,
    fixed: &[String],
    matched_by: &str,
) -> FindingAdvisory {
    FindingAdvisory {
        id: advisory.id.clone(),
        aliases: advisory.aliases.clone(),
        summary: advisory.summary.clone(),
        severity: advisory.severity,
        fixed: fixed.to_vec(),
        matched_by: matched_by.to_owned(),
    }
}

/// Whether a mitigation of the component neutralises the advisory.
pub fn is_mitigated(found: &Found, advisory: &FindingAdvisory) -> bool {
    found
        .mitigated
        .iter()
        .any(|m| *m == advisory.id || advisory.aliases.iter().any(|a| a == m))
}

/// The status of a component matching these advisories:
///
/// - `mitigated` when every advisory is neutralised by a mitigation the
///   evidence shows (`JndiLookup.class removed`);
/// - `unknown` when the version comes from class fingerprints whose range
///   is open-ended (the real version may be past the fix);
/// - `affected` otherwise.
pub fn status(found: &Found, advisories: &[FindingAdvisory]) -> Status {
    if advisories.iter().all(|a| is_mitigated(found, a)) {
        return Status::Mitigated;
    }
    let open_ended = found
        .version_range
        .as_deref()
        .is_some_and(|r| r.starts_with(">=") && !r.contains('<'));
    if open_ended {
        Status::Unknown
    } else {
        Status::Affected
    }
}

/// Builds a finding, or `None` when nothing matched.
pub fn finding(found: &Found, mut advisories: Vec<FindingAdvisory>) -> Option<Finding> {
    if advisories.is_empty() {
        return None;
    }
    advisories.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    advisories.dedup_by(|a, b| a.id == b.id);
    let status = status(found, &advisories);
    Some(Finding {
        found: found.clone(),
        advisories,
        status,
    })
}

/// Matches every component against a local index.
pub fn match_local(index: &MatchIndex, components: &[Found]) -> Vec<Finding> {
    let mut out: Vec<Finding> = components
        .iter()
        .filter_map(|f| {
            let c = &f.component;
            let advisories = index
                .query(&c.ecosystem, &c.name, &c.version)
                .into_iter()
                .filter_map(|m| {
                    let a = index.get(m.advisory_id)?;
                    Some(finding_advisory(a, m.fixed, m.matched_by))
                })
                .collect();
            finding(f, advisories)
        })
        .collect();
    sort(&mut out);
    out
}

/// Orders findings by severity (highest first), then path, then name.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity()
            .cmp(&a.severity())
            .then_with(|| a.found.evidence.path.cmp(&b.found.evidence.path))
            .then_with(|| a.found.component.name.cmp(&b.found.component.name))
            .then_with(|| a.found.component.version.cmp(&b.found.component.version))
    });
}
