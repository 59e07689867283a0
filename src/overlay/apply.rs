//! Applying overlays to the rendered set, in order: each file's `resources` are added first,
//! then its `patches` run against everything rendered or added so far. All-or-nothing, and
//! bounded: every patch result is checked against a depth, node and byte budget, and the whole
//! set may grow by at most [`MAX_GROWTH`], so a patch that copies an object (or a long string)
//! into itself over and over, or one that grows every object at once, fails with a message
//! instead of exhausting memory or the stack. Every object an overlay adds or changes remembers
//! where ([`Provenance`]), so later stages can point at the overlay entry responsible.

use serde_json::Value;

use super::diagnose;
use super::file::{Change, Overlay, Patch};
use super::select;
use crate::core::diagnostic::Label;
use crate::core::diagnostic::{Diagnostic, Kind};
use crate::core::patch;
use crate::core::resource::{Component, Identity, Resource, Touch, check_shape};
use crate::core::source::SourceFile;
use crate::core::yaml;
use crate::error::{Error, Result};

/// Deepest nesting a patched object may reach: the depth budget of every YAML input (real
/// objects stay under 30 levels).
pub const MAX_DEPTH: usize = 64;
/// Most values (mappings, lists, scalars) one patched object may hold.
pub const MAX_NODES: usize = 1_000_000;
/// Largest [`size`] one patched object may reach: what the largest input file could hold.
pub const MAX_BYTES: u64 = crate::core::paths::MAX_FILE_BYTES;
/// Most the overlays of one render may grow the rendered set by, in [`size`].
pub const MAX_GROWTH: u64 = crate::core::paths::MAX_RENDER_BYTES;

/// Applies `overlays` in order. All-or-nothing: on error `resources` is left as it was.
pub fn apply(resources: &mut Vec<Resource>, overlays: &[Overlay]) -> Result<()> {
    if overlays.is_empty() {
        return Ok(());
    }
    let mut working = resources.clone();
    let mut sizes = Sizes {
        each: working.iter().map(|r| size(&r.object)).collect(),
        growth: 0,
    };
    for overlay in overlays {
        apply_one(&mut working, &mut sizes, overlay)?;
    }
    *resources = working;
    Ok(())
}

/// The [`size`] of every working object, and how much the overlays have grown the set.
struct Sizes {
    each: Vec<u64>,
    growth: i128,
}

impl Sizes {
    /// Records that object `index` (new when past the end) now has `size`; false when the set
    /// has grown past [`MAX_GROWTH`].
    fn set(&mut self, index: usize, size: u64) -> bool {
        let old = self.each.get(index).copied().unwrap_or(0);
        if index < self.each.len() {
            self.each[index] = size;
        } else {
            self.each.push(size);
        }
        self.growth += i128::from(size) - i128::from(old);
        self.growth <= i128::from(MAX_GROWTH)
    }
}

fn grown_too_much(source: &SourceFile, at: &str) -> Error {
    Error::input(source.at_value(
        at,
        Diagnostic::new(
            Kind::Budget,
            format!(
                "the overlays grow the rendered set by more than {} MiB",
                MAX_GROWTH >> 20
            ),
        )
        .help("a patch applied to many objects (a wildcard target) or that copies large values multiplies what it adds; narrow the target or the value"),
    ))
}

fn label_at(source: &SourceFile, pointer: &str, key: bool) -> Label {
    let loc = if key {
        source.positions.locate(pointer)
    } else {
        source.positions.locate_value(pointer)
    };
    source.label(loc.unwrap_or(crate::core::yaml::Loc::START))
}

fn apply_one(resources: &mut Vec<Resource>, sizes: &mut Sizes, overlay: &Overlay) -> Result<()> {
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
        let source = &overlay.sources[addition.source];
        let mut resource = Resource::new(Component::Overlay, addition.object.clone());
        resource.provenance.added = Some(label_at(source, &addition.pointer, false));
        if !sizes.set(resources.len(), size(&resource.object)) {
            return Err(grown_too_much(source, &addition.pointer));
        }
        resources.push(resource);
    }
    let source = &overlay.sources[0];
    for patch in &overlay.patches {
        let matched: Vec<usize> = (0..resources.len())
            .filter(|&i| patch.target.matches(&resources[i]))
            .collect();
        if matched.is_empty() {
            return Err(Error::input(no_match(source, patch, resources)));
        }
        let recorded = touches(source, patch);
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
            if !sizes.set(index, size(&object)) {
                return Err(grown_too_much(source, &format!("/patches/{}", patch.index)));
            }
            resources[index].object = object;
            resources[index]
                .provenance
                .patches
                .extend(recorded.iter().cloned());
        }
    }
    Ok(())
}

/// What `patch` records on every object it changes: per JSON Patch operation (or for the merge
/// patch), where it is written and which fields it writes.
fn touches(source: &SourceFile, patch: &Patch) -> Vec<Touch> {
    let at = format!("/patches/{}", patch.index);
    let inside = |path: String| match &patch.embedded {
        // A change inside an embedded document writes the string field that holds it.
        Some(embedded) => embedded.to_string(),
        None => path,
    };
    match &patch.change {
        Change::Merge(merge) => {
            let mut paths = Vec::new();
            merge_paths(merge, &mut String::new(), &mut paths);
            vec![Touch {
                label: label_at(source, &format!("{at}/mergePatch"), true),
                name: format!("patches[{}]", patch.index),
                paths: paths.into_iter().map(inside).collect(),
            }]
        }
        Change::Json(operations) => operations
            .iter()
            .enumerate()
            .filter_map(|(op_index, operation)| {
                use crate::core::patch::Operation;
                let path = match operation {
                    Operation::Test { .. } => return None,
                    Operation::Add { path, .. }
                    | Operation::Remove { path }
                    | Operation::Replace { path, .. }
                    | Operation::Move { path, .. }
                    | Operation::Copy { path, .. } => path,
                };
                // `/-` appends: the field written is the list's next item.
                let mut written = path.to_string();
                if written.ends_with("/-") {
                    written.truncate(written.len() - 2);
                }
                Some(Touch {
                    label: label_at(source, &format!("{at}/jsonPatch/{op_index}"), false),
                    name: format!("patches[{}].jsonPatch[{op_index}]", patch.index),
                    paths: vec![inside(written)],
                })
            })
            .collect(),
    }
}

/// Every field a merge patch names, as JSON Pointers.
fn merge_paths(value: &Value, pointer: &mut String, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (key, child) in map {
            let len = pointer.len();
            crate::core::pointer::push(pointer, key);
            out.push(pointer.clone());
            merge_paths(child, pointer, out);
            pointer.truncate(len);
        }
    }
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
                    "patches[{}] makes `{identity}` deeper than {MAX_DEPTH} levels, larger than {MAX_NODES} values or larger than {} MiB",
                    patch.index,
                    MAX_BYTES >> 20
                ),
            )
            .help("a patch that copies or moves an object into itself grows it without bound; check `from` and `path`"),
        ))
    };
    match &patch.change {
        Change::Merge(merge) => {
            patch::merge(document, merge);
            if measure(document).is_none() {
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
                if measure(document).is_none() {
                    return Err(over_budget(&at));
                }
            }
            Ok(())
        }
    }
}

/// Whether `value` stays within [`MAX_DEPTH`], [`MAX_NODES`] and [`MAX_BYTES`].
pub fn within_budget(value: &Value) -> bool {
    measure(value).is_some()
}

/// How much memory a value stands for, roughly: the bytes of its strings and keys plus 16 per
/// value. Counting bytes and not only values matters: a 1 MiB string copied into itself ten
/// times is a gigabyte in a few thousand values.
pub fn size(value: &Value) -> u64 {
    let mut stack = vec![value];
    let mut total = 0u64;
    while let Some(value) = stack.pop() {
        total += 16;
        match value {
            Value::String(text) => total += text.len() as u64,
            Value::Object(map) => {
                for (key, child) in map {
                    total += key.len() as u64;
                    stack.push(child);
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    total
}

/// The [`size`] of `value`, or `None` when it breaks [`MAX_DEPTH`], [`MAX_NODES`] or
/// [`MAX_BYTES`]. Iterative, so measuring a value that is too deep cannot itself overflow the
/// stack, and it stops at the first breach.
pub fn measure(value: &Value) -> Option<u64> {
    let mut stack = vec![(value, 1usize)];
    let mut nodes = 0usize;
    let mut bytes = 0u64;
    while let Some((value, depth)) = stack.pop() {
        nodes += 1;
        bytes += 16;
        match value {
            Value::String(text) => bytes += text.len() as u64,
            Value::Object(map) => {
                for (key, child) in map {
                    bytes += key.len() as u64;
                    stack.push((child, depth + 1));
                }
            }
            Value::Array(items) => stack.extend(items.iter().map(|child| (child, depth + 1))),
            _ => {}
        }
        if depth > MAX_DEPTH || nodes > MAX_NODES || bytes > MAX_BYTES {
            return None;
        }
    }
    Some(bytes)
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
        // Few values, many bytes: a long string copied into itself.
        let long = Value::String("x".repeat(1 << 20));
        let doubled: Vec<Value> = (0..70).map(|_| long.clone()).collect();
        assert!(!within_budget(&Value::Array(doubled)));
        assert_eq!(size(&json!({"ab": "xyz"})), 16 + 2 + 16 + 3);
    }
}
