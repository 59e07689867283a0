//! Applying overlays to the rendered set, in order: each file's `resources` are added first,
//! then its `patches` run against everything rendered or added so far. All-or-nothing, and
//! bounded: every patch result is checked against a depth and size budget, so a patch that
//! copies an object into itself over and over fails with a message instead of exhausting memory
//! or the stack.

use serde_json::Value;

use super::diagnose;
use super::file::{Change, Overlay, Patch};
use super::select;
use crate::core::diagnostic::{Diagnostic, Kind};
use crate::core::patch;
use crate::core::resource::{Component, Identity, Resource, check_shape};
use crate::core::source::SourceFile;
use crate::core::yaml;
use crate::error::{Error, Result};

/// Deepest nesting a patched object may reach: the depth budget of every YAML input (real
/// objects stay under 30 levels).
pub const MAX_DEPTH: usize = 64;
/// Most values (mappings, lists, scalars) one patched object may hold.
pub const MAX_NODES: usize = 1_000_000;

/// Applies `overlays` in order. All-or-nothing: on error `resources` is left as it was.
pub fn apply(resources: &mut Vec<Resource>, overlays: &[Overlay]) -> Result<()> {
    if overlays.is_empty() {
        return Ok(());
    }
    let mut working = resources.clone();
    for overlay in overlays {
        apply_one(&mut working, overlay)?;
    }
    *resources = working;
    Ok(())
}

fn apply_one(resources: &mut Vec<Resource>, overlay: &Overlay) -> Result<()> {
    for addition in &overlay.additions {
        let identity = Identity::of(&addition.object);
        let key = identity.key();
        if let Some(existing) = resources.iter().find(|r| r.identity().key() == key) {
            let source = &overlay.sources[addition.source];
            let owner = if existing.component == Component::Overlay {
                "an earlier overlay".to_owned()
            } else {
                format!("the profile (component `{}`)", existing.component)
            };
            return Err(Error::input(source.at_value(
                &addition.pointer,
                Diagnostic::new(Kind::Conflict, format!(
                    "the overlay adds `{identity}`, which {owner} already renders"
                ))
                .help("patch the existing object instead (a `patches` entry with this kind and name), or give the new object another name"),
            )));
        }
        resources.push(Resource::new(Component::Overlay, addition.object.clone()));
    }
    let source = &overlay.sources[0];
    for patch in &overlay.patches {
        let matched: Vec<usize> = (0..resources.len())
            .filter(|&i| patch.target.matches(&resources[i]))
            .collect();
        if matched.is_empty() {
            return Err(Error::input(no_match(source, patch, resources)));
        }
        for index in matched {
            let identity = resources[index].identity();
            let mut object = resources[index].object.clone();
            apply_patch(source, patch, &identity, &mut object)?;
            check_shape(&object).map_err(|problem| {
                Error::input(source.at_key(
                    &format!("/patches/{}", patch.index),
                    Diagnostic::new(Kind::Patch, format!(
                        "patches[{}] leaves `{identity}` invalid: {problem}",
                        patch.index
                    ))
                    .help("a patch may change an object but must keep `apiVersion`, `kind` and `metadata.name` (strings); to drop an object, change the profile instead"),
                ))
            })?;
            resources[index].object = object;
        }
    }
    Ok(())
}

fn no_match(source: &SourceFile, patch: &Patch, resources: &[Resource]) -> Diagnostic {
    let nearest = select::nearest(&patch.target, resources, 5);
    let label_only = patch.target.label_selector.is_some()
        && resources
            .iter()
            .any(|r| patch.target.matches_identity(&r.identity()));
    let mut help = String::new();
    if label_only {
        help.push_str("objects with this group/version/kind/namespace/name exist, but none has matching labels: check `labelSelector`; ");
    }
    if let Some(hint) = select::glob_hint(&patch.target) {
        help.push_str(&hint);
        help.push_str("; ");
    }
    help.push_str("fix the target (a patch that matches nothing is an error, so a typo cannot go unnoticed); the closest rendered objects are:");
    for identity in &nearest {
        help.push_str(&format!("\n  {identity}"));
    }
    source.at_key(
        &format!("/patches/{}/target", patch.index),
        Diagnostic::new(
            Kind::Patch,
            format!(
                "patches[{}] matches no rendered object: {}",
                patch.index, patch.target
            ),
        )
        .help(help),
    )
}

fn apply_patch(
    source: &SourceFile,
    patch: &Patch,
    identity: &Identity,
    object: &mut Value,
) -> Result<()> {
    let Some(embedded) = &patch.embedded else {
        return apply_change(source, patch, identity, object);
    };
    let at = format!("/patches/{}/embedded", patch.index);
    let field = match patch::get(object, embedded) {
        Ok(field) => field,
        Err(error) => {
            return Err(Error::input(source.at_value(
                &at,
                diagnose::path(&format!("`{identity}`"), embedded, &error, "`embedded`"),
            )));
        }
    };
    let Value::String(text) = field else {
        return Err(Error::input(source.at_value(
            &at,
            Diagnostic::new(Kind::Patch, format!(
                "`{embedded}` in `{identity}` is {}, not a string holding a document",
                crate::core::diagnostic::type_name(field)
            ))
            .help("`embedded` is for string fields that hold YAML or JSON (like `data.mesh`); patch structured fields without it"),
        )));
    };
    let is_json = text.trim_start().starts_with(['{', '[']);
    let mut document = if is_json {
        serde_json::from_str::<Value>(text).map_err(|e| e.to_string())
    } else {
        yaml::parse_document(text)
            .map(|parsed| {
                parsed
                    .map(|(value, _)| value)
                    .unwrap_or(Value::Object(Default::default()))
            })
            .map_err(|e| e.to_string())
    }
    .map_err(|message| {
        Error::input(source.at_value(
            &at,
            Diagnostic::new(
                Kind::Patch,
                format!(
                    "`{embedded}` in `{identity}` does not hold a YAML or JSON document: {message}"
                ),
            )
            .help("point `embedded` at a field whose text is a YAML or JSON document"),
        ))
    })?;
    apply_change(source, patch, identity, &mut document)?;
    let mut rewritten = if is_json {
        let mut json = serde_json::to_string_pretty(&document).unwrap_or_default();
        json.push('\n');
        json
    } else {
        yaml::to_yaml(&document)
    };
    if !text.ends_with('\n') {
        rewritten.truncate(rewritten.trim_end_matches('\n').len());
    }
    if let Ok(slot) = patch::get_mut(object, embedded) {
        *slot = Value::String(rewritten);
    }
    Ok(())
}

fn apply_change(
    source: &SourceFile,
    patch: &Patch,
    identity: &Identity,
    document: &mut Value,
) -> Result<()> {
    let over_budget = |at: &str| {
        Error::input(source.at_value(
            at,
            Diagnostic::new(
                Kind::Budget,
                format!(
                    "patches[{}] makes `{identity}` deeper than {MAX_DEPTH} levels or larger than {MAX_NODES} values",
                    patch.index
                ),
            )
            .help("a patch that copies or moves an object into itself grows it without bound; check `from` and `path`"),
        ))
    };
    match &patch.change {
        Change::Merge(merge) => {
            patch::merge(document, merge);
            if !within_budget(document) {
                return Err(over_budget(&format!("/patches/{}/mergePatch", patch.index)));
            }
            Ok(())
        }
        Change::Json(operations) => {
            for (op_index, operation) in operations.iter().enumerate() {
                let at = format!("/patches/{}/jsonPatch/{op_index}", patch.index);
                patch::apply_operation(document, operation).map_err(|error| {
                    Error::input(diagnose::operation(
                        source,
                        &at,
                        identity,
                        operation,
                        &error,
                        patch.embedded.as_ref(),
                    ))
                })?;
                if !within_budget(document) {
                    return Err(over_budget(&at));
                }
            }
            Ok(())
        }
    }
}

/// Whether `value` stays within [`MAX_DEPTH`] and [`MAX_NODES`]. Iterative, so measuring a
/// value that is too deep cannot itself overflow the stack.
pub fn within_budget(value: &Value) -> bool {
    let mut stack = vec![(value, 1usize)];
    let mut nodes = 0usize;
    while let Some((value, depth)) = stack.pop() {
        nodes += 1;
        if depth > MAX_DEPTH || nodes > MAX_NODES {
            return false;
        }
        match value {
            Value::Object(map) => stack.extend(map.values().map(|child| (child, depth + 1))),
            Value::Array(items) => stack.extend(items.iter().map(|child| (child, depth + 1))),
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn budgets_catch_runaway_growth() {
        assert!(within_budget(&json!({"a": [1, 2, {"b": 3}]})));
        let mut deep = json!(1);
        for _ in 0..MAX_DEPTH {
            deep = json!([deep]);
        }
        assert!(!within_budget(&deep));
        let wide = Value::Array(vec![json!(0); MAX_NODES]);
        assert!(!within_budget(&wide));
    }
}
