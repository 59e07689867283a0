//! `meshgen diff`: what changes between two renders, by object identity and field by field,
//! ignoring file layout, order and formatting. Lists of named items (containers, env, ports)
//! are compared by name, as Kubernetes merges them.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::manifests::Manifests;
use super::text::unified_diff;
use crate::core::patch::json_equal;
use crate::core::yaml;
use crate::error::Result;

/// One difference inside an object.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldChange {
    Added(String, Value),
    Removed(String, Value),
    Changed(String, Value, Value),
    /// A multi-line string changed: its line diff.
    Text(String, String),
    /// Same named items, another order.
    Reordered(String),
}

/// How two renders differ, object by object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<(String, Vec<FieldChange>)>,
}

impl ObjectDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// `- removed`, `+ added`, `~ changed` with one line per field.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for identity in &self.removed {
            let _ = writeln!(out, "- {identity}");
        }
        for identity in &self.added {
            let _ = writeln!(out, "+ {identity}");
        }
        for (identity, changes) in &self.changed {
            let _ = writeln!(out, "~ {identity}");
            for change in changes {
                match change {
                    FieldChange::Added(path, value) if is_container(value) => {
                        let _ = writeln!(out, "    {path}: added");
                        block(&mut out, value);
                    }
                    FieldChange::Added(path, value) => {
                        let _ = writeln!(out, "    {path}: added {}", short(value));
                    }
                    FieldChange::Removed(path, value) if is_container(value) => {
                        let _ = writeln!(out, "    {path}: removed");
                        block(&mut out, value);
                    }
                    FieldChange::Removed(path, value) => {
                        let _ = writeln!(out, "    {path}: removed (was {})", short(value));
                    }
                    FieldChange::Changed(path, old, new) => {
                        let _ = writeln!(out, "    {path}: {} -> {}", short(old), short(new));
                    }
                    FieldChange::Reordered(path) => {
                        let _ = writeln!(out, "    {path}: same items, new order");
                    }
                    FieldChange::Text(path, diff) => {
                        let _ = writeln!(out, "    {path}:");
                        for line in diff.lines() {
                            let _ = writeln!(out, "      {line}");
                        }
                    }
                }
            }
        }
        let _ = writeln!(
            out,
            "{} changed, {} added, {} removed",
            self.changed.len(),
            self.added.len(),
            self.removed.len()
        );
        out
    }
}

fn is_container(value: &Value) -> bool {
    matches!(value, Value::Object(m) if !m.is_empty())
        || matches!(value, Value::Array(a) if !a.is_empty())
}

/// A structured value as indented YAML under its field line.
fn block(out: &mut String, value: &Value) {
    for line in yaml::to_yaml(value).lines() {
        let _ = writeln!(out, "      {line}");
    }
}

fn short(value: &Value) -> String {
    crate::core::diagnostic::shown(&value.to_string())
}

/// Compares two renders by object identity.
pub fn diff_objects(old: &Manifests, new: &Manifests) -> Result<ObjectDiff> {
    let (old, new) = (old.by_key()?, new.by_key()?);
    let mut diff = ObjectDiff::default();
    for (key, old_object) in &old {
        match new.get(key) {
            None => diff.removed.push(key.to_string()),
            Some(new_object) => {
                let mut changes = Vec::new();
                diff_values("", &old_object.object, &new_object.object, &mut changes);
                if !changes.is_empty() {
                    diff.changed.push((key.to_string(), changes));
                }
            }
        }
    }
    for key in new.keys() {
        if !old.contains_key(key) {
            diff.added.push(key.to_string());
        }
    }
    Ok(diff)
}

fn push_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    } else {
        format!("{path}[{key:?}]")
    }
}

/// Names of a list's items when every item is a mapping with a unique string `name` (containers,
/// env, ports, volumes): such lists are compared by name, as Kubernetes merges them.
fn item_names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items
        .iter()
        .map(|item| item.get("name").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let unique: BTreeSet<&&str> = names.iter().collect();
    (unique.len() == names.len() && !names.is_empty()).then_some(names)
}

fn diff_values(path: &str, old: &Value, new: &Value, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, old_value) in a {
                let child = push_key(path, key);
                match b.get(key) {
                    Some(new_value) => diff_values(&child, old_value, new_value, out),
                    None => out.push(FieldChange::Removed(child, old_value.clone())),
                }
            }
            for (key, new_value) in b {
                if !a.contains_key(key) {
                    out.push(FieldChange::Added(push_key(path, key), new_value.clone()));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => match (item_names(a), item_names(b)) {
            (Some(a_names), Some(b_names)) => {
                for (index, name) in a_names.iter().enumerate() {
                    let child = format!("{path}[name={name}]");
                    match b_names.iter().position(|n| n == name) {
                        Some(j) => diff_values(&child, &a[index], &b[j], out),
                        None => out.push(FieldChange::Removed(child, a[index].clone())),
                    }
                }
                for (j, name) in b_names.iter().enumerate() {
                    if !a_names.contains(name) {
                        out.push(FieldChange::Added(
                            format!("{path}[name={name}]"),
                            b[j].clone(),
                        ));
                    }
                }
                let common_a: Vec<_> = a_names.iter().filter(|n| b_names.contains(n)).collect();
                let common_b: Vec<_> = b_names.iter().filter(|n| a_names.contains(n)).collect();
                if common_a != common_b {
                    out.push(FieldChange::Reordered(path.to_owned()));
                }
            }
            _ => {
                for index in 0..a.len().max(b.len()) {
                    let child = format!("{path}[{index}]");
                    match (a.get(index), b.get(index)) {
                        (Some(x), Some(y)) => diff_values(&child, x, y, out),
                        (Some(x), None) => out.push(FieldChange::Removed(child, x.clone())),
                        (None, Some(y)) => out.push(FieldChange::Added(child, y.clone())),
                        (None, None) => {}
                    }
                }
            }
        },
        (Value::String(a), Value::String(b))
            if a != b && (a.contains('\n') || b.contains('\n')) =>
        {
            out.push(FieldChange::Text(path.to_owned(), unified_diff(a, b, 2)));
        }
        _ => {
            if !json_equal(old, new) {
                out.push(FieldChange::Changed(
                    path.to_owned(),
                    old.clone(),
                    new.clone(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_compare_by_identity_and_name() {
        let old = Manifests::from_stream(
            "old",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: ns}\nspec:\n  replicas: 1\n  containers: [{name: web, image: i1}, {name: side}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone, namespace: ns}\n",
        )
        .unwrap();
        let new = Manifests::from_stream(
            "new",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: ns, labels: {a.b/c: d}}\nspec:\n  replicas: 3\n  containers: [{name: side}, {name: web, image: i2}]\n",
        )
        .unwrap();
        let diff = diff_objects(&old, &new).unwrap();
        assert_eq!(diff.removed, ["ConfigMap/ns/gone"]);
        assert_eq!(
            diff.report(),
            "- ConfigMap/ns/gone\n~ apps/Deployment/ns/a\n    metadata.labels: added\n      a.b/c: d\n    spec.replicas: 1 -> 3\n    spec.containers[name=web].image: \"i1\" -> \"i2\"\n    spec.containers: same items, new order\n1 changed, 0 added, 1 removed\n"
        );
    }
}
