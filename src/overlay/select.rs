//! Patch targets: which rendered objects a patch applies to. A target names any of group,
//! version, kind, namespace and name (each may use `*` as a wildcard) and a label selector in
//! kubectl's syntax (`app=istiod,istio in (pilot)`). When a target selects nothing, [`nearest`]
//! ranks the objects that do exist so the error can suggest what the author probably meant.

use std::fmt;

use crate::core::resource::{Identity, Resource};
use crate::core::selector::Selector;

/// `*` matches any run of characters (including none); everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern = pattern.as_bytes();
    let text = text.as_bytes();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// What a patch applies to. `None` fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// The selector as written, and parsed.
    pub label_selector: Option<(String, Selector)>,
}

impl Target {
    fn fields<'a>(&'a self, identity: &'a Identity) -> [(Option<&'a str>, &'a str); 5] {
        [
            (self.group.as_deref(), identity.group.as_str()),
            (self.version.as_deref(), identity.version.as_str()),
            (self.kind.as_deref(), identity.kind.as_str()),
            (self.namespace.as_deref(), identity.namespace.as_str()),
            (self.name.as_deref(), identity.name.as_str()),
        ]
    }

    /// True when it names nothing at all.
    pub fn selects_everything(&self) -> bool {
        *self == Target::default()
    }

    /// Whether group, version, kind, namespace and name all match (labels aside).
    pub fn matches_identity(&self, identity: &Identity) -> bool {
        self.fields(identity)
            .iter()
            .all(|(pattern, value)| pattern.is_none_or(|p| glob_match(p, value)))
    }

    pub fn matches(&self, resource: &Resource) -> bool {
        self.matches_identity(&resource.identity())
            && self
                .label_selector
                .as_ref()
                .is_none_or(|(_, s)| s.matches_object(&resource.object))
    }

    /// How close `identity` comes to the target, 0 to 1: the mean similarity of the fields the
    /// target names (a matching field counts 1).
    fn similarity(&self, resource: &Resource) -> f64 {
        let identity = resource.identity();
        let mut total = 0.0;
        let mut count = 0.0;
        // Kind and name say most about what the author meant; group and version least.
        let weights = [1.0, 0.5, 3.0, 1.0, 2.0];
        for ((pattern, value), weight) in self.fields(&identity).into_iter().zip(weights) {
            let Some(pattern) = pattern else { continue };
            count += weight;
            total += weight
                * if glob_match(pattern, value) {
                    1.0
                } else {
                    let literal = pattern.replace('*', "");
                    strsim::jaro_winkler(&literal.to_ascii_lowercase(), &value.to_ascii_lowercase())
                };
        }
        if let Some((_, selector)) = &self.label_selector {
            count += 1.0;
            if selector.matches_object(&resource.object) {
                total += 1.0;
            }
        }
        if count == 0.0 { 0.0 } else { total / count }
    }
}

/// A hint when a target that matched nothing looks like a regular expression (kustomize's
/// targets are regexes, meshgen's are `*` globs).
pub fn glob_hint(target: &Target) -> Option<String> {
    let fields = [
        &target.group,
        &target.version,
        &target.kind,
        &target.namespace,
        &target.name,
    ];
    fields
        .into_iter()
        .flatten()
        .find(|field| {
            field.contains(".*")
                || field.contains(".+")
                || field.starts_with('^')
                || field.ends_with('$')
                || field.contains(['|', '(', '[', '\\', '?'])
        })
        .map(|field| {
            format!(
                "`{field}` looks like a regular expression: meshgen's targets are globs where `*` matches any characters (e.g. `istio*`)"
            )
        })
}

impl fmt::Display for Target {
    /// `kind=Deployment namespace=istio-system name=istiod`, in selector order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (key, value) in [
            ("group", &self.group),
            ("version", &self.version),
            ("kind", &self.kind),
            ("namespace", &self.namespace),
            ("name", &self.name),
        ] {
            if let Some(value) = value {
                parts.push(format!(
                    "{key}={}",
                    if value.is_empty() { "\"\"" } else { value }
                ));
            }
        }
        if let Some((text, _)) = &self.label_selector {
            parts.push(format!("labelSelector={text:?}"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// Up to `limit` identities closest to `target`, best first (ties in render order).
pub fn nearest(target: &Target, resources: &[Resource], limit: usize) -> Vec<Identity> {
    let mut scored: Vec<(f64, usize)> = resources
        .iter()
        .enumerate()
        .map(|(index, resource)| (target.similarity(resource), index))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(limit)
        .map(|(_, index)| resources[index].identity())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("istio*", "istiod"));
        assert!(glob_match("*", ""));
        assert!(glob_match("*-gateway", "knative-local-gateway"));
        assert!(glob_match("k*-*-gateway", "knative-local-gateway"));
        assert!(!glob_match("istio", "istiod"));
        assert!(!glob_match("*x", "istiod"));
    }

    #[test]
    fn regex_looking_targets_get_a_hint() {
        let target = Target {
            name: Some("istio.*".into()),
            ..Target::default()
        };
        assert!(glob_hint(&target).is_some());
        let target = Target {
            name: Some("istio*".into()),
            ..Target::default()
        };
        assert!(glob_hint(&target).is_none());
    }
}
