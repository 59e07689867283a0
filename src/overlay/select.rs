//! Patch targets: which rendered objects a patch applies to. A target names any of group,
//! version, kind, namespace and name (each may use `*` as a wildcard) and a label selector in
//! kubectl's syntax (`app=istiod,istio in (pilot)`). When a target selects nothing, [`nearest`]
//! ranks the objects that do exist so the error can suggest what the author probably meant.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::resource::{Identity, Resource};

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

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        }
    }
}

/// A parsed label selector, with its source text for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSelector {
    pub text: String,
    pub requirements: Vec<Requirement>,
}

/// Where in the selector text parsing failed (0-based character offset) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    pub offset: usize,
    pub message: String,
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/')
}

impl LabelSelector {
    /// Parses kubectl's selector syntax: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
    /// `k`, `!k`, joined by commas.
    pub fn parse(text: &str) -> Result<LabelSelector, SelectorError> {
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let mut requirements = Vec::new();
        let skip_space = |i: &mut usize| {
            while *i < chars.len() && chars[*i] == ' ' {
                *i += 1;
            }
        };
        let word = |i: &mut usize| -> String {
            let start = *i;
            while *i < chars.len() && is_key_char(chars[*i]) {
                *i += 1;
            }
            chars[start..*i].iter().collect()
        };
        let error = |offset: usize, message: &str| SelectorError {
            offset,
            message: message.to_owned(),
        };
        loop {
            skip_space(&mut i);
            let negated = i < chars.len() && chars[i] == '!';
            if negated {
                i += 1;
                skip_space(&mut i);
            }
            let key_start = i;
            let key = word(&mut i);
            if key.is_empty() {
                return Err(error(key_start, "expected a label key"));
            }
            skip_space(&mut i);
            if negated {
                requirements.push(Requirement::DoesNotExist(key));
            } else if i >= chars.len() || chars[i] == ',' {
                requirements.push(Requirement::Exists(key));
            } else if chars[i] == '=' || chars[i] == '!' {
                let not = chars[i] == '!';
                i += 1;
                if i < chars.len() && chars[i] == '=' {
                    i += 1;
                } else if not {
                    return Err(error(i, "expected `!=`"));
                }
                skip_space(&mut i);
                let value = word(&mut i);
                requirements.push(if not {
                    Requirement::NotEquals(key, value)
                } else {
                    Requirement::Equals(key, value)
                });
            } else {
                let op_start = i;
                let op = word(&mut i);
                let not = match op.as_str() {
                    "in" => false,
                    "notin" => true,
                    _ => {
                        return Err(error(
                            op_start,
                            "expected `=`, `==`, `!=`, `in (...)`, `notin (...)` or `,`",
                        ));
                    }
                };
                skip_space(&mut i);
                if i >= chars.len() || chars[i] != '(' {
                    return Err(error(i, "expected `(` and a list of values"));
                }
                i += 1;
                let mut values = Vec::new();
                loop {
                    skip_space(&mut i);
                    values.push(word(&mut i));
                    skip_space(&mut i);
                    match chars.get(i) {
                        Some(',') => i += 1,
                        Some(')') => {
                            i += 1;
                            break;
                        }
                        _ => return Err(error(i, "expected `,` or `)` in the value list")),
                    }
                }
                requirements.push(if not {
                    Requirement::NotIn(key, values)
                } else {
                    Requirement::In(key, values)
                });
            }
            skip_space(&mut i);
            match chars.get(i) {
                None => break,
                Some(',') => i += 1,
                Some(_) => return Err(error(i, "expected `,` between requirements")),
            }
        }
        Ok(LabelSelector {
            text: text.to_owned(),
            requirements,
        })
    }

    pub fn matches(&self, object: &Value) -> bool {
        let labels = labels_of(object);
        self.requirements.iter().all(|r| r.matches(&labels))
    }
}

fn labels_of(object: &Value) -> BTreeMap<String, String> {
    object
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// What a patch applies to. `None` fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub label_selector: Option<LabelSelector>,
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
                .is_none_or(|s| s.matches(&resource.object))
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
        if let Some(selector) = &self.label_selector {
            count += 1.0;
            if selector.matches(&resource.object) {
                total += 1.0;
            }
        }
        if count == 0.0 { 0.0 } else { total / count }
    }
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
        if let Some(selector) = &self.label_selector {
            parts.push(format!("labelSelector={:?}", selector.text));
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
    use serde_json::json;

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
    fn label_selectors() {
        let object = json!({"metadata": {"labels": {"app": "istiod", "istio": "pilot"}}});
        for (text, expected) in [
            ("app=istiod", true),
            ("app==istiod, istio", true),
            ("app!=istiod", false),
            ("istio in (pilot, ingressgateway)", true),
            ("istio notin (pilot)", false),
            ("!revision", true),
            ("app", true),
            ("missing", false),
        ] {
            let selector = LabelSelector::parse(text).unwrap();
            assert_eq!(selector.matches(&object), expected, "{text}");
        }
        let error = LabelSelector::parse("app=istiod istio").unwrap_err();
        assert_eq!(error.offset, 11);
        assert!(LabelSelector::parse("app in pilot").is_err());
        assert!(LabelSelector::parse("").is_err());
    }
}
