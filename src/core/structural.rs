//! Checking a value's structure against a schema: the keys it may have, the type and allowed
//! values of each field. One checker serves meshgen's own formats (the profile and overlay
//! schemas generated from their Rust types, so what is checked is exactly what is published for
//! editors) and custom resources (the structural `openAPIV3Schema` of their CRD, read the way the
//! API server prunes: a field the schema does not declare is unknown unless the schema preserves
//! unknown fields).
//!
//! It reports problems as values with JSON Pointers; callers turn them into positioned
//! diagnostics. Only what a schema states is checked: formats it does not know, patterns and CEL
//! rules are left to the API server.

use std::collections::BTreeSet;

use serde_json::Value;

use super::diagnostic::{Diagnostic, Kind, shown, type_name};
use super::pointer;
use super::suggest;

/// How a schema without `additionalProperties` treats undeclared keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// JSON Schema: allowed unless `additionalProperties: false`. `required` is checked.
    JsonSchema,
    /// Kubernetes structural schemas: unknown (pruned) unless
    /// `x-kubernetes-preserve-unknown-fields: true`. `required` is not checked: meshgen applies
    /// partial objects server-side, and the API server checks completeness itself.
    Kubernetes,
}

/// One problem, at a JSON Pointer of the checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// A key the schema does not declare. `pointer` is the key's own pointer; `expected` the
    /// keys declared there.
    UnknownKey { key: String, expected: Vec<String> },
    /// A value of the wrong JSON type.
    WrongType {
        expected: Vec<&'static str>,
        found: &'static str,
    },
    /// A value outside the schema's closed set.
    NotAllowed { value: String, allowed: Vec<String> },
    /// A number outside the range of its format or bounds.
    OutOfRange { value: String, range: String },
    /// A required key is absent (`pointer` is the mapping that lacks it).
    Missing { key: String },
}

impl Problem {
    /// True when the diagnostic should point at the key (unknown and missing keys), else at
    /// the value.
    pub fn points_at_key(&self) -> bool {
        matches!(
            self.kind,
            ProblemKind::UnknownKey { .. } | ProblemKind::Missing { .. }
        )
    }

    /// The problem as a diagnostic in the author's terms; `schema_command` is the command that
    /// prints the format's schema (`meshgen schema`), named in the help. `value` is the checked
    /// document, for quoting what was written.
    pub fn diagnostic(&self, value: &Value, schema_command: &str) -> Diagnostic {
        let field = pointer::human(&self.pointer);
        match &self.kind {
            ProblemKind::UnknownKey { key, expected } => {
                let parent = &self.pointer[..self.pointer.rfind('/').unwrap_or(0)];
                let diagnostic = Diagnostic::new(
                    Kind::UnknownKey,
                    format!("unknown key `{}` in {}", shown(key), pointer::human(parent)),
                );
                if expected.is_empty() {
                    diagnostic.help(format!(
                        "{} takes no keys here; `{schema_command}` describes every field",
                        pointer::human(parent)
                    ))
                } else {
                    diagnostic.help(suggest::help_listing(
                        key,
                        expected.iter().map(String::as_str),
                        "valid keys here",
                    ))
                }
            }
            ProblemKind::WrongType { expected, found } => {
                // `null` is how an optional field is left unset, not a type to suggest.
                let expected: Vec<&str> = expected
                    .iter()
                    .copied()
                    .filter(|name| *name != "null" || *found == "null")
                    .collect();
                let written = value
                    .pointer(&self.pointer)
                    .filter(|v| !v.is_object() && !v.is_array())
                    .map(|v| match v {
                        Value::String(text) => format!(" `{}`", shown(text)),
                        other => format!(" `{}`", shown(&other.to_string())),
                    })
                    .unwrap_or_default();
                let help = if expected.contains(&"a string") && *found == "a number" {
                    "quote the value so YAML reads it as text, e.g. `tag: \"1.30\"`".to_owned()
                } else if *found == "a list" || *found == "a mapping" {
                    format!(
                        "write {} here, not {found}; `{schema_command}` describes every field",
                        expected.join(" or ")
                    )
                } else {
                    format!("`{schema_command}` describes every field and its type")
                };
                Diagnostic::new(
                    Kind::WrongType,
                    format!(
                        "wrong type for {field}: expected {}, found {found}{written}",
                        expected.join(" or ")
                    ),
                )
                .help(help)
            }
            ProblemKind::NotAllowed { value, allowed } => {
                let list = allowed.join(", ");
                let close = allowed
                    .iter()
                    .find(|candidate| candidate.eq_ignore_ascii_case(value))
                    .map(String::as_str)
                    .or_else(|| suggest::closest(value, allowed.iter().map(String::as_str)));
                let help = match close {
                    Some(close) => format!("did you mean `{close}`? expected one of: {list}"),
                    None => format!("expected one of: {list}"),
                };
                Diagnostic::new(
                    Kind::InvalidValue,
                    format!("invalid value `{}` for {field}", shown(value)),
                )
                .help(help)
            }
            ProblemKind::OutOfRange { value, range } => Diagnostic::new(
                Kind::InvalidValue,
                format!("{field} is out of range: {}", shown(value)),
            )
            .help(format!("use a number from {range}")),
            ProblemKind::Missing { key } => {
                Diagnostic::new(Kind::Missing, format!("{field} needs `{key}`")).help(format!(
                    "add `{key}:` here; `{schema_command}` describes every field"
                ))
            }
        }
    }
}

/// Something that can position a diagnostic at a JSON Pointer of the checked document: a
/// source file, or the origins of a merged profile.
pub trait Locate {
    fn at_key(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic;
    fn at_value(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic;
}

/// The checker for one schema document.
pub struct Checker<'s> {
    root: &'s Value,
    dialect: Dialect,
}

/// The draft-07 JSON Schema of a Rust type (what yaml-language-server understands), generated
/// from its serde attributes and doc comments.
pub fn draft07_schema<T: schemars::JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    serde_json::to_value(generator.into_root_schema_for::<T>()).expect("a schema serialises")
}

/// A schema as the committed file holds it: pretty JSON with a trailing newline.
pub fn schema_text(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serialises");
    text.push('\n');
    text
}

/// The shared tag problem of a failed tagged union, with the allowed values of every member.
fn discriminator(attempts: &[(&Value, Vec<Problem>)]) -> Option<Problem> {
    let mut found: Option<(String, String, Vec<String>)> = None;
    for (_, problems) in attempts {
        let (pointer, value, allowed) =
            problems.iter().find_map(|problem| match &problem.kind {
                ProblemKind::NotAllowed { value, allowed } => {
                    Some((problem.pointer.clone(), value.clone(), allowed.clone()))
                }
                _ => None,
            })?;
        match &mut found {
            None => found = Some((pointer, value, allowed)),
            Some((seen_pointer, seen_value, all)) => {
                if *seen_pointer != pointer || *seen_value != value {
                    return None;
                }
                for value in allowed {
                    if !all.contains(&value) {
                        all.push(value);
                    }
                }
            }
        }
    }
    let (pointer, value, allowed) = found?;
    Some(Problem {
        pointer,
        kind: ProblemKind::NotAllowed { value, allowed },
    })
}

fn schema_type_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "null" => "null",
        "boolean" => "a boolean",
        "integer" => "a whole number",
        "number" => "a number",
        "string" => "a string",
        "array" => "a list",
        "object" => "a mapping",
        _ => return None,
    })
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.as_i64().is_some() || value.as_u64().is_some(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

impl<'s> Checker<'s> {
    pub fn new(root: &'s Value, dialect: Dialect) -> Checker<'s> {
        Checker { root, dialect }
    }

    /// Every problem of `value`, in document order.
    pub fn check(&self, value: &Value) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.walk(self.root, value, &mut String::new(), &mut problems);
        problems
    }

    /// The problems of `value` that `keep` keeps, as diagnostics positioned by `locate`;
    /// `schema_command` is the command that prints the schema, named in the help.
    pub fn diagnostics(
        &self,
        value: &Value,
        schema_command: &str,
        locate: &dyn Locate,
        keep: impl Fn(&Problem) -> bool,
    ) -> Vec<Diagnostic> {
        self.check(value)
            .into_iter()
            .filter(keep)
            .map(|problem| {
                let diagnostic = problem.diagnostic(value, schema_command);
                if problem.points_at_key() {
                    locate.at_key(&problem.pointer, diagnostic)
                } else {
                    locate.at_value(&problem.pointer, diagnostic)
                }
            })
            .collect()
    }

    /// The problems of `value` apart from its top-level keys `skipped`.
    pub fn check_except(&self, value: &Value, skipped: &[&str]) -> Vec<Problem> {
        let Value::Object(map) = value else {
            return self.check(value);
        };
        let mut problems = Vec::new();
        let schema = self.resolve(self.root);
        let properties = schema.get("properties");
        for (key, child) in map {
            if skipped.contains(&key.as_str()) {
                continue;
            }
            let mut at = String::new();
            pointer::push(&mut at, key);
            match properties.and_then(|p| p.get(key)) {
                Some(child_schema) => self.walk(child_schema, child, &mut at, &mut problems),
                None => {
                    let preserves = schema.get("x-kubernetes-preserve-unknown-fields")
                        == Some(&Value::Bool(true));
                    if properties.is_some() && !preserves {
                        problems.push(Problem {
                            pointer: at,
                            kind: ProblemKind::UnknownKey {
                                key: key.clone(),
                                expected: properties
                                    .and_then(Value::as_object)
                                    .map(|p| p.keys().cloned().collect())
                                    .unwrap_or_default(),
                            },
                        });
                    }
                }
            }
        }
        problems
    }

    /// Follows local `$ref`s (`#/definitions/...`, `#/$defs/...`).
    fn resolve(&self, mut schema: &'s Value) -> &'s Value {
        for _ in 0..32 {
            let Some(target) = schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|reference| reference.strip_prefix('#'))
                .and_then(|pointer| self.root.pointer(pointer))
            else {
                break;
            };
            schema = target;
        }
        schema
    }

    fn walk(&self, schema: &'s Value, value: &Value, at: &mut String, out: &mut Vec<Problem>) {
        let schema = self.resolve(schema);
        let Value::Object(rules) = schema else {
            // `true`, or something this checker does not read: anything goes.
            return;
        };
        if value.is_null() && rules.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        if let Some(Value::Array(all)) = rules.get("allOf") {
            for member in all {
                self.walk(member, value, at, out);
            }
        }
        for combinator in ["anyOf", "oneOf"] {
            if let Some(Value::Array(members)) = rules.get(combinator) {
                self.alternatives(members, value, at, out);
            }
        }
        if let Some(Value::Array(allowed)) = rules.get("enum")
            && !allowed.contains(value)
        {
            out.push(self.not_allowed(at, value, allowed.iter()));
            return;
        }
        if let Some(constant) = rules.get("const")
            && constant != value
        {
            out.push(self.not_allowed(at, value, std::iter::once(constant)));
            return;
        }
        if rules.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
            if !(value.is_string() || has_type(value, "integer")) {
                out.push(Problem {
                    pointer: at.clone(),
                    kind: ProblemKind::WrongType {
                        expected: vec!["a whole number", "a string"],
                        found: type_name(value),
                    },
                });
            }
            return;
        }
        let types: Vec<&str> = match rules.get("type") {
            Some(Value::String(name)) => vec![name.as_str()],
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.is_empty() && !types.iter().any(|name| has_type(value, name)) {
            out.push(Problem {
                pointer: at.clone(),
                kind: ProblemKind::WrongType {
                    expected: types.iter().filter_map(|t| schema_type_name(t)).collect(),
                    found: type_name(value),
                },
            });
            return;
        }
        match value {
            Value::Number(_) => self.range(rules, value, at, out),
            Value::Object(map) => self.object(rules, map, at, out),
            Value::Array(items) => {
                if let Some(item_schema) = rules.get("items") {
                    for (index, item) in items.iter().enumerate() {
                        let len = at.len();
                        pointer::push(at, &index.to_string());
                        self.walk(item_schema, item, at, out);
                        at.truncate(len);
                    }
                }
            }
            _ => {}
        }
    }

    /// `anyOf` / `oneOf`: fine when one member accepts the value; otherwise the problems of the
    /// member of the value's own type (an `Option<Struct>` holding a mapping reports what is
    /// wrong inside the mapping), or a type or value error naming every alternative.
    fn alternatives(&self, members: &'s [Value], value: &Value, at: &str, out: &mut Vec<Problem>) {
        let mut attempts = Vec::with_capacity(members.len());
        for member in members {
            let mut problems = Vec::new();
            self.walk(member, value, &mut at.to_owned(), &mut problems);
            if problems.is_empty() {
                return;
            }
            attempts.push((member, problems));
        }
        let constants: Vec<&Value> = members
            .iter()
            .filter_map(|member| self.resolve(member).get("const"))
            .collect();
        if !constants.is_empty() && constants.len() == members.len() {
            out.push(self.not_allowed(at, value, constants.into_iter()));
            return;
        }
        // A tagged union (`op: add | remove | ...`): when every member rejects the same field's
        // value, that field is the tag; report it once with every allowed value.
        if let Some(tag) = discriminator(&attempts) {
            out.push(tag);
            return;
        }
        // The member the value was meant for: of the value's own type, with its tag (if any)
        // matching, and the fewest problems.
        let same_type = attempts
            .iter()
            .filter(|(_, problems)| {
                !problems
                    .iter()
                    .any(|p| p.pointer == at && matches!(p.kind, ProblemKind::WrongType { .. }))
            })
            .min_by_key(|(_, problems)| {
                let tag_mismatches = problems
                    .iter()
                    .filter(|p| matches!(p.kind, ProblemKind::NotAllowed { .. }))
                    .count();
                (tag_mismatches, problems.len())
            });
        match same_type {
            Some((_, problems)) => out.extend(problems.iter().cloned()),
            None => {
                let mut expected = Vec::new();
                for (_, problems) in &attempts {
                    for problem in problems {
                        if let ProblemKind::WrongType {
                            expected: types, ..
                        } = &problem.kind
                        {
                            for name in types {
                                if !expected.contains(name) {
                                    expected.push(*name);
                                }
                            }
                        }
                    }
                }
                out.push(Problem {
                    pointer: at.to_owned(),
                    kind: ProblemKind::WrongType {
                        expected,
                        found: type_name(value),
                    },
                });
            }
        }
    }

    #[allow(clippy::unused_self)]
    fn not_allowed<'v>(
        &self,
        at: &str,
        value: &Value,
        allowed: impl Iterator<Item = &'v Value>,
    ) -> Problem {
        let show = |value: &Value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        Problem {
            pointer: at.to_owned(),
            kind: ProblemKind::NotAllowed {
                value: show(value),
                allowed: allowed.map(show).collect(),
            },
        }
    }

    fn range(
        &self,
        rules: &serde_json::Map<String, Value>,
        value: &Value,
        at: &str,
        out: &mut Vec<Problem>,
    ) {
        let (low, high): (f64, f64) = match rules.get("format").and_then(Value::as_str) {
            Some("uint8") => (0.0, f64::from(u8::MAX)),
            Some("uint16") => (0.0, f64::from(u16::MAX)),
            Some("uint32") => (0.0, f64::from(u32::MAX)),
            Some("int32") => (f64::from(i32::MIN), f64::from(i32::MAX)),
            Some("uint64" | "uint") => (0.0, u64::MAX as f64),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        };
        let low = rules.get("minimum").and_then(Value::as_f64).unwrap_or(low);
        let high = rules.get("maximum").and_then(Value::as_f64).unwrap_or(high);
        let number = value.as_f64().unwrap_or(0.0);
        let integral = value.as_i64().is_some() || value.as_u64().is_some();
        // u64 values above 2^53 lose precision as f64; compare the exact integer where it matters.
        let too_big = match value.as_u64() {
            Some(exact) if high < u64::MAX as f64 => exact as f64 > high,
            _ => number > high,
        };
        if number < low || too_big || (!integral && number.is_nan()) {
            let show = |bound: f64| {
                if bound.is_infinite() {
                    "…".to_owned()
                } else {
                    format!("{bound}")
                }
            };
            out.push(Problem {
                pointer: at.to_owned(),
                kind: ProblemKind::OutOfRange {
                    value: value.to_string(),
                    range: format!("{} to {}", show(low), show(high)),
                },
            });
        }
    }

    fn object(
        &self,
        rules: &'s serde_json::Map<String, Value>,
        map: &serde_json::Map<String, Value>,
        at: &mut String,
        out: &mut Vec<Problem>,
    ) {
        let properties = rules.get("properties").and_then(Value::as_object);
        let additional = rules.get("additionalProperties");
        let preserve = rules.get("x-kubernetes-preserve-unknown-fields")
            == Some(&Value::Bool(true))
            || rules.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true));
        let undeclared_allowed = match (self.dialect, additional) {
            (_, Some(Value::Bool(false))) => false,
            (_, Some(_)) => true,
            (Dialect::JsonSchema, None) => true,
            (Dialect::Kubernetes, None) => preserve || properties.is_none(),
        };
        for (key, child) in map {
            let len = at.len();
            pointer::push(at, key);
            match properties.and_then(|p| p.get(key)) {
                Some(child_schema) => self.walk(child_schema, child, at, out),
                None => match additional {
                    Some(schema @ Value::Object(_)) => self.walk(schema, child, at, out),
                    _ if undeclared_allowed => {}
                    _ => out.push(Problem {
                        pointer: at.clone(),
                        kind: ProblemKind::UnknownKey {
                            key: key.clone(),
                            expected: properties
                                .map(|p| p.keys().cloned().collect())
                                .unwrap_or_default(),
                        },
                    }),
                },
            }
            at.truncate(len);
        }
        if self.dialect == Dialect::JsonSchema
            && let Some(Value::Array(required)) = rules.get("required")
        {
            let present: BTreeSet<&str> = map.keys().map(String::as_str).collect();
            for key in required.iter().filter_map(Value::as_str) {
                if !present.contains(key) {
                    out.push(Problem {
                        pointer: at.clone(),
                        kind: ProblemKind::Missing {
                            key: key.to_owned(),
                        },
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(schema: &Value, value: Value, dialect: Dialect) -> Vec<(String, ProblemKind)> {
        Checker::new(schema, dialect)
            .check(&value)
            .into_iter()
            .map(|p| (p.pointer, p.kind))
            .collect()
    }

    #[test]
    fn json_schema_objects_enums_and_options() {
        let schema = json!({
            "type": "object", "additionalProperties": false,
            "properties": {
                "mode": {"$ref": "#/definitions/Mode"},
                "port": {"type": "integer", "format": "uint32", "minimum": 0},
                "https": {"anyOf": [{"$ref": "#/definitions/Https"}, {"type": "null"}]},
                "tag": {"type": ["string", "null"]}
            },
            "definitions": {
                "Mode": {"oneOf": [{"const": "STRICT"}, {"const": "PERMISSIVE"}]},
                "Https": {"type": "object", "additionalProperties": false, "required": ["name"],
                          "properties": {"name": {"type": "string"}}}
            }
        });
        assert!(
            kinds(
                &schema,
                json!({"mode": "STRICT", "port": 80, "tag": null}),
                Dialect::JsonSchema
            )
            .is_empty()
        );
        let problems = kinds(
            &schema,
            json!({"mode": "strict", "port": -1, "https": {"nam": "x"}, "tag": 1, "extra": 1}),
            Dialect::JsonSchema,
        );
        assert!(
            matches!(&problems[0], (p, ProblemKind::NotAllowed { allowed, .. }) if p == "/mode" && allowed.len() == 2)
        );
        assert!(matches!(&problems[1], (p, ProblemKind::OutOfRange { .. }) if p == "/port"));
        assert!(
            matches!(&problems[2], (p, ProblemKind::UnknownKey { key, .. }) if p == "/https/nam" && key == "nam")
        );
        assert!(
            matches!(&problems[3], (p, ProblemKind::Missing { key }) if p == "/https" && key == "name")
        );
        assert!(matches!(&problems[4], (p, ProblemKind::WrongType { .. }) if p == "/tag"));
        assert!(matches!(&problems[5], (p, ProblemKind::UnknownKey { .. }) if p == "/extra"));
        // A list where a mapping belongs is a type error, never read positionally.
        assert!(matches!(
            &kinds(&schema, json!({"https": ["x"]}), Dialect::JsonSchema)[0],
            (p, ProblemKind::WrongType { found: "a list", .. }) if p == "/https"
        ));
    }

    #[test]
    fn kubernetes_structural_schemas_prune_unknown_fields() {
        let schema = json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {
                    "hosts": {"type": "array", "items": {"type": "string"}},
                    "port": {"x-kubernetes-int-or-string": true},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                }}
            }
        });
        let problems = kinds(
            &schema,
            json!({"spec": {"hosts": ["a"], "hostz": [], "port": "http", "free": {"x": 1}, "labels": {"a": 1}}}),
            Dialect::Kubernetes,
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].0, "/spec/hostz");
        assert_eq!(problems[1].0, "/spec/labels/a");
    }
}
