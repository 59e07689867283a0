//! Label selectors: one matcher for every place meshgen asks "does this selector pick these
//! labels" — overlay targets (written in kubectl's string syntax, `app=istiod,istio in (pilot)`)
//! and the analyzers (reading `matchLabels` / `matchExpressions` objects from manifests).

use std::collections::BTreeMap;

use serde_json::Value;

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
    fn matches(&self, labels: &BTreeMap<&str, &str>) -> bool {
        let get = |key: &String| labels.get(key.as_str()).copied();
        match self {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
        }
    }
}

/// A label selector: every requirement must hold. No requirements select everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
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

impl Selector {
    pub fn matches(&self, labels: &BTreeMap<&str, &str>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Matches the `metadata.labels` of `object`.
    pub fn matches_object(&self, object: &Value) -> bool {
        self.matches(&string_map(object.pointer("/metadata/labels")))
    }

    /// Reads a Kubernetes `LabelSelector` object (`matchLabels`, `matchExpressions`). `None`
    /// when it is malformed or uses an operator Kubernetes does not have: such a selector
    /// selects nothing.
    pub fn from_object(selector: &Value) -> Option<Selector> {
        let mut requirements = Vec::new();
        if let Some(labels) = selector.get("matchLabels") {
            for (key, value) in labels.as_object()? {
                requirements.push(Requirement::Equals(key.clone(), value.as_str()?.to_owned()));
            }
        }
        for expression in selector
            .get("matchExpressions")
            .map(|e| e.as_array())
            .unwrap_or(Some(&Vec::new()))?
        {
            let key = expression.get("key")?.as_str()?.to_owned();
            let values = || -> Option<Vec<String>> {
                expression
                    .get("values")?
                    .as_array()?
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect()
            };
            requirements.push(match expression.get("operator")?.as_str()? {
                "In" => Requirement::In(key, values()?),
                "NotIn" => Requirement::NotIn(key, values()?),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::DoesNotExist(key),
                _ => return None,
            });
        }
        Some(Selector { requirements })
    }

    /// Parses kubectl's selector syntax: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
    /// `k`, `!k`, joined by commas.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
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
        Ok(Selector { requirements })
    }
}

/// The string entries of a JSON object (labels, annotations); other values are left out.
pub fn string_map(value: Option<&Value>) -> BTreeMap<&str, &str> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(key, value)| Some((key.as_str(), value.as_str()?)))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubectl_syntax() {
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
            let selector = Selector::parse(text).unwrap();
            assert_eq!(selector.matches_object(&object), expected, "{text}");
        }
        let error = Selector::parse("app=istiod istio").unwrap_err();
        assert_eq!(error.offset, 11);
        assert!(Selector::parse("app in pilot").is_err());
        assert!(Selector::parse("").is_err());
    }

    #[test]
    fn object_form_matches_like_the_string_form() {
        let labels: BTreeMap<&str, &str> = [("app", "web"), ("tier", "a")].into();
        let selector = Selector::from_object(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]
        }))
        .unwrap();
        assert!(selector.matches(&labels));
        assert_eq!(Selector::parse("app=web,tier in (a,b)").unwrap(), selector);
        assert!(
            Selector::from_object(
                &json!({"matchExpressions": [{"key": "x", "operator": "Bogus"}]})
            )
            .is_none()
        );
    }
}
