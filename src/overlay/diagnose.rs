//! Overlay failures in the author's terms: which operation of which patch failed, on which
//! object, at which step of the pointer, and what exists there instead.

use serde_json::Value;

use crate::core::diagnostic::{Diagnostic, Kind, shown};
use crate::core::patch::{OpError, Operation, PathError, PathReason, Pointer};
use crate::core::resource::Identity;
use crate::core::source::SourceFile;
use crate::core::suggest;

fn op_name(operation: &Operation) -> &'static str {
    match operation {
        Operation::Add { .. } => "add",
        Operation::Remove { .. } => "remove",
        Operation::Replace { .. } => "replace",
        Operation::Move { .. } => "move",
        Operation::Copy { .. } => "copy",
        Operation::Test { .. } => "test",
    }
}

fn op_path(operation: &Operation) -> &Pointer {
    match operation {
        Operation::Add { path, .. }
        | Operation::Remove { path }
        | Operation::Replace { path, .. }
        | Operation::Move { path, .. }
        | Operation::Copy { path, .. }
        | Operation::Test { path, .. } => path,
    }
}

fn op_from(operation: &Operation) -> Option<&Pointer> {
    match operation {
        Operation::Move { from, .. } | Operation::Copy { from, .. } => Some(from),
        _ => None,
    }
}

/// Short one-line rendering of a value for messages.
fn show(value: &Value) -> String {
    shown(&value.to_string())
}

pub(crate) fn operation(
    source: &SourceFile,
    at: &str,
    identity: &Identity,
    operation: &Operation,
    error: &OpError,
    embedded: Option<&Pointer>,
) -> Diagnostic {
    let name = op_name(operation);
    let label = format!("`{name}`");
    let within = match embedded {
        Some(field) => format!(
            "the document in `{}` of `{identity}`",
            field.prefix(field.tokens.len())
        ),
        None => format!("`{identity}`"),
    };
    match error {
        OpError::Path { in_from, error } => {
            let (key, pointer) = if *in_from {
                ("from", op_from(operation).unwrap_or_else(|| op_path(operation)))
            } else {
                ("path", op_path(operation))
            };
            let mut diagnostic = path(&within, pointer, error, &label);
            if !*in_from && name == "add" && error.depth + 1 < pointer.tokens.len() {
                let help = diagnostic.help.take().unwrap_or_default();
                diagnostic = diagnostic.help(format!(
                    "{help}; `add` creates only the last step of the path: add the parent first, or use a mergePatch"
                ));
            }
            source.at_value(&format!("{at}/{key}"), diagnostic)
        }
        OpError::TestFailed { actual } => {
            let path = op_path(operation);
            let expected = match operation {
                Operation::Test { value, .. } => show(value),
                _ => String::new(),
            };
            source.at_value(
                &format!("{at}/value"),
                Diagnostic::new(Kind::Patch, format!(
                    "`test` failed in {within}: `{}` is {}, the overlay expects {expected}",
                    path.prefix(path.tokens.len()),
                    show(actual)
                ))
                .help("the rendered object is not what this overlay was written against; check the profile, or update `value` if the change is intended"),
            )
        }
        OpError::MoveIntoItself => source.at_value(
            &format!("{at}/path"),
            Diagnostic::new(Kind::Patch, "`move` cannot move a value into one of its own children")
                .help("choose a `path` outside `from`"),
        ),
        OpError::RemoveRoot => source.at_value(
            &format!("{at}/path"),
            Diagnostic::new(Kind::Patch, format!("`remove` of the whole object `{identity}`"))
                .help("overlays cannot delete rendered objects; turn the component off in the profile instead"),
        ),
    }
}

/// A pointer that does not lead anywhere in `within` (an object or embedded document).
pub(crate) fn path(within: &str, pointer: &Pointer, error: &PathError, what: &str) -> Diagnostic {
    let full = pointer.prefix(pointer.tokens.len());
    let parent = pointer.prefix(error.depth);
    let parent_shown = if parent.is_empty() {
        "the top level".to_owned()
    } else {
        format!("`{parent}`")
    };
    let token = pointer.tokens.get(error.depth).cloned().unwrap_or_default();
    match &error.reason {
        PathReason::NoKey { keys } => {
            let mut help = if keys.is_empty() {
                format!("{parent_shown} is an empty mapping")
            } else {
                format!("keys at {parent_shown}: {}", keys.join(", "))
            };
            if let Some(close) = suggest::closest(&token, keys.iter().map(String::as_str)) {
                help = format!("did you mean `{close}`? {help}");
            }
            Diagnostic::new(Kind::Patch, format!(
                "{what}: `{full}` does not exist in {within}: {parent_shown} has no key `{token}`"
            ))
            .help(help)
        }
        PathReason::BadIndex { len, append_allowed } => {
            let range = match len {
                0 => "the list is empty".to_owned(),
                1 => "the only index is 0".to_owned(),
                n => format!("indices are 0 to {}", n - 1),
            };
            let append = if *append_allowed { "; `-` or the length appends" } else { "" };
            Diagnostic::new(Kind::Patch, format!(
                "{what}: `{full}` does not exist in {within}: `{token}` is not an index of the list at {parent_shown}, which has {len} item{}",
                if *len == 1 { "" } else { "s" }
            ))
            .help(format!("{range}{append}"))
        }
        PathReason::NotContainer { found } => Diagnostic::new(Kind::Patch, format!(
            "{what}: `{full}` does not exist in {within}: {parent_shown} is {found}, which has no `{token}`"
        ))
        .help("the path goes below a scalar; shorten it to replace the value itself"),
    }
}
