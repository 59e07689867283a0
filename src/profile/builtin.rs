//! The built-in profiles, embedded from `profiles/NAME.yaml` at build time (`build.rs`), so a new
//! built-in needs no code change.

use crate::core::yaml;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/profiles.rs"));
}

/// Every built-in profile as (name, YAML text), sorted by name.
pub fn all() -> &'static [(&'static str, &'static str)] {
    embedded::PROFILES
}

/// The text of the built-in profile `name`.
pub fn get(name: &str) -> Option<&'static str> {
    all()
        .iter()
        .find(|(builtin, _)| *builtin == name)
        .map(|(_, text)| *text)
}

/// The names of the built-in profiles.
pub fn names() -> impl Iterator<Item = &'static str> + Clone {
    all().iter().map(|(name, _)| *name)
}

/// The one-line `metadata.description` of a built-in profile.
pub fn description(text: &str) -> String {
    yaml::parse_document(text)
        .ok()
        .flatten()
        .and_then(|(value, _)| {
            value
                .pointer("/metadata/description")
                .and_then(|d| d.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_sorted_and_described() {
        let names: Vec<_> = names().collect();
        assert!(names.contains(&"default"));
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for (name, text) in all() {
            assert!(!description(text).is_empty(), "{name} has no description");
        }
    }
}
