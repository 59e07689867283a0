//! Every analyzer, one family per file, each rule defined next to its check; [`RULES`] is the
//! table `lint` runs and `--explain`, `docs/analyzers.md` and SARIF describe.

pub mod ambient;
pub mod gateways;
pub mod gitops;
pub mod injection;
pub mod policies;
pub mod revisions;
pub mod security;
pub mod types;
pub mod webhooks;

use super::rule::Rule;

/// Every rule, in code order.
pub static RULES: &[&Rule] = &[
    &security::MG0001,
    &security::MG0002,
    &security::MG0003,
    &ambient::MG0004,
    &ambient::MG0005,
    &injection::MG0006,
    &injection::MG0007,
    &policies::MG0008,
    &policies::MG0009,
    &security::MG0010,
    &gateways::MG0011,
    &gateways::MG0012,
    &security::MG0013,
    &webhooks::MG0014,
    &injection::MG0015,
    &gitops::MG0016,
    &security::MG0017,
    &gateways::MG0018,
    &gateways::MG0019,
    &gitops::MG0020,
    &gitops::MG0021,
    &security::MG0022,
    &gitops::MG0023,
    &revisions::MG0030,
    &revisions::MG0031,
    &revisions::MG0032,
    &revisions::MG0033,
    &revisions::MG0034,
    &revisions::MG0035,
    &revisions::MG0036,
    &types::MG0100,
];

/// The rule with this code, if any (any letter case).
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted_and_texts_are_tidy() {
        let codes: Vec<&str> = RULES.iter().map(|rule| rule.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        for rule in RULES {
            assert!(rule.summary.ends_with('.'), "{}", rule.code);
            assert!(
                !rule.summary.contains('\n') && !rule.why.contains("  "),
                "{}",
                rule.code
            );
        }
    }

    #[test]
    fn codes_are_found_case_insensitively() {
        assert_eq!(rule("mg0004").map(|r| r.name), Some("ambient-with-knative"));
        assert!(rule("MG9999").is_none());
    }
}
