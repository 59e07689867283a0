//! JSON Pointer (RFC 6901), JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386) on
//! `serde_json` values. meshgen applies patches itself rather than through the json-patch crate
//! for two reasons: removals must keep the order of the remaining keys (serde_json's `remove`
//! under `preserve_order` swaps the last key into the hole, which makes rendered diffs noisy),
//! and a failing operation must say exactly which step of the pointer broke and what exists
//! there, so the overlay error can show the keys the author could have meant. The profile
//! loader merges `extends` layers with the same Merge Patch. Pointers themselves live in
//! [`super::pointer`].

use serde_json::{Map, Value};

use super::diagnostic::type_name;
pub use super::pointer::Pointer;

/// Why a pointer could not be followed in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct PathError {
    /// Tokens that resolved before the failure; the failing token is `tokens[depth]`.
    pub depth: usize,
    pub reason: PathReason,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathReason {
    /// A mapping has no such key; lists the keys it has.
    NoKey { keys: Vec<String> },
    /// A list index is out of range or not a number.
    BadIndex { len: usize, append_allowed: bool },
    /// The value at the prefix is a scalar: there is nothing to descend into.
    NotContainer { found: &'static str },
}

/// Everything that can go wrong applying one operation.
#[derive(Debug, Clone, PartialEq)]
pub enum OpError {
    /// `path` (or `from`, when `in_from`) does not lead anywhere.
    Path { in_from: bool, error: PathError },
    /// A `test` found a different value.
    TestFailed { actual: Value },
    /// `move` into its own child.
    MoveIntoItself,
    /// `remove` of the whole document.
    RemoveRoot,
}

fn index_of(token: &str, len: usize, append_allowed: bool) -> Result<usize, PathReason> {
    let bad = || PathReason::BadIndex {
        len,
        append_allowed,
    };
    if token == "-" {
        return if append_allowed { Ok(len) } else { Err(bad()) };
    }
    // RFC 6901: decimal digits, no leading zeros.
    if token.is_empty()
        || !token.bytes().all(|b| b.is_ascii_digit())
        || (token.len() > 1 && token.starts_with('0'))
    {
        return Err(bad());
    }
    let index: usize = token.parse().map_err(|_| bad())?;
    let limit = if append_allowed {
        len
    } else {
        len.saturating_sub(1)
    };
    if index > limit || (!append_allowed && len == 0) {
        return Err(bad());
    }
    Ok(index)
}

fn step<'a>(value: &'a Value, token: &str, depth: usize) -> Result<&'a Value, PathError> {
    let fail = |reason| PathError { depth, reason };
    match value {
        Value::Object(map) => map.get(token).ok_or_else(|| {
            fail(PathReason::NoKey {
                keys: map.keys().cloned().collect(),
            })
        }),
        Value::Array(items) => {
            let index = index_of(token, items.len(), false).map_err(fail)?;
            Ok(&items[index])
        }
        other => Err(fail(PathReason::NotContainer {
            found: type_name(other),
        })),
    }
}

/// The value at `pointer`.
pub fn get<'a>(doc: &'a Value, pointer: &Pointer) -> Result<&'a Value, PathError> {
    let mut current = doc;
    for (depth, token) in pointer.tokens.iter().enumerate() {
        current = step(current, token, depth)?;
    }
    Ok(current)
}

/// The value at `pointer`, mutably.
pub fn get_mut<'a>(doc: &'a mut Value, pointer: &Pointer) -> Result<&'a mut Value, PathError> {
    get_mut_tokens(doc, &pointer.tokens)
}

fn get_mut_tokens<'a>(doc: &'a mut Value, tokens: &[String]) -> Result<&'a mut Value, PathError> {
    let mut current = doc;
    for (depth, token) in tokens.iter().enumerate() {
        // Check with a shared borrow first so the error can list what exists.
        step(current, token, depth)?;
        current = match current {
            Value::Object(map) => map.get_mut(token).expect("checked above"),
            Value::Array(items) => {
                let index = index_of(token, items.len(), false).expect("checked above");
                &mut items[index]
            }
            _ => unreachable!("step rejects scalars"),
        };
    }
    Ok(current)
}

fn add(doc: &mut Value, pointer: &Pointer, value: Value) -> Result<(), PathError> {
    let Some((last, parent_tokens)) = pointer.tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    let depth = parent_tokens.len();
    let parent = get_mut_tokens(doc, parent_tokens)?;
    match parent {
        Value::Object(map) => {
            // Replacing an existing key keeps its place; a new key goes last.
            map.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(items) => {
            let index =
                index_of(last, items.len(), true).map_err(|reason| PathError { depth, reason })?;
            items.insert(index, value);
            Ok(())
        }
        other => Err(PathError {
            depth,
            reason: PathReason::NotContainer {
                found: type_name(other),
            },
        }),
    }
}

fn remove(doc: &mut Value, pointer: &Pointer) -> Result<Value, OpError> {
    let Some((last, parent_tokens)) = pointer.tokens.split_last() else {
        return Err(OpError::RemoveRoot);
    };
    let path_error = |error| OpError::Path {
        in_from: false,
        error,
    };
    // Check the whole path first so the error describes the missing step.
    get(doc, pointer).map_err(path_error)?;
    let parent = get_mut_tokens(doc, parent_tokens).map_err(path_error)?;
    Ok(match parent {
        Value::Object(map) => map.shift_remove(last).expect("checked above"),
        Value::Array(items) => {
            let index = index_of(last, items.len(), false).expect("checked above");
            items.remove(index)
        }
        _ => unreachable!("checked above"),
    })
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    Add { path: Pointer, value: Value },
    Remove { path: Pointer },
    Replace { path: Pointer, value: Value },
    Move { from: Pointer, path: Pointer },
    Copy { from: Pointer, path: Pointer },
    Test { path: Pointer, value: Value },
}

/// Applies one operation in place. On error `doc` may be partly changed: callers apply to a copy.
pub fn apply_operation(doc: &mut Value, operation: &Operation) -> Result<(), OpError> {
    let in_path = |error| OpError::Path {
        in_from: false,
        error,
    };
    let in_from = |error| OpError::Path {
        in_from: true,
        error,
    };
    match operation {
        Operation::Add { path, value } => add(doc, path, value.clone()).map_err(in_path),
        Operation::Remove { path } => remove(doc, path).map(drop),
        Operation::Replace { path, value } => {
            let slot = get_mut(doc, path).map_err(in_path)?;
            *slot = value.clone();
            Ok(())
        }
        Operation::Move { from, path } => {
            if path.tokens.len() > from.tokens.len() && path.tokens.starts_with(&from.tokens) {
                return Err(OpError::MoveIntoItself);
            }
            get(doc, from).map_err(in_from)?;
            let value = remove(doc, from).map_err(|error| match error {
                OpError::Path { error, .. } => in_from(error),
                other => other,
            })?;
            add(doc, path, value).map_err(in_path)
        }
        Operation::Copy { from, path } => {
            let value = get(doc, from).map_err(in_from)?.clone();
            add(doc, path, value).map_err(in_path)
        }
        Operation::Test { path, value } => {
            let actual = get(doc, path).map_err(in_path)?;
            if json_equal(actual, value) {
                Ok(())
            } else {
                Err(OpError::TestFailed {
                    actual: actual.clone(),
                })
            }
        }
    }
}

/// RFC 6902 equality: numbers compare by value (`1` equals `1.0`), mappings ignore key order.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// RFC 7386 JSON Merge Patch: mappings merge, everything else replaces, `null` deletes. Deleting
/// keeps the order of the remaining keys.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else {
        unreachable!("made an object above")
    };
    for (key, value) in patch {
        if value.is_null() {
            map.shift_remove(key);
        } else {
            merge(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ptr(text: &str) -> Pointer {
        Pointer::parse(text).unwrap()
    }

    #[test]
    fn operations_follow_rfc_6902() {
        let mut doc = json!({"a": 1, "b": [1, 2], "c": {"d": 1}, "e": 5});
        apply_operation(
            &mut doc,
            &Operation::Add {
                path: ptr("/b/-"),
                value: json!(3),
            },
        )
        .unwrap();
        apply_operation(
            &mut doc,
            &Operation::Add {
                path: ptr("/b/0"),
                value: json!(0),
            },
        )
        .unwrap();
        apply_operation(&mut doc, &Operation::Remove { path: ptr("/a") }).unwrap();
        apply_operation(
            &mut doc,
            &Operation::Copy {
                from: ptr("/c"),
                path: ptr("/f"),
            },
        )
        .unwrap();
        apply_operation(
            &mut doc,
            &Operation::Move {
                from: ptr("/c/d"),
                path: ptr("/g"),
            },
        )
        .unwrap();
        apply_operation(
            &mut doc,
            &Operation::Test {
                path: ptr("/e"),
                value: json!(5.0),
            },
        )
        .unwrap();
        assert_eq!(
            doc,
            json!({"b": [0, 1, 2, 3], "c": {}, "e": 5, "f": {"d": 1}, "g": 1})
        );
        let keys: Vec<_> = doc.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["b", "c", "e", "f", "g"], "removal keeps key order");
    }

    #[test]
    fn failures_say_where() {
        let mut doc = json!({"spec": {"replicas": 1, "template": {}}});
        let error = apply_operation(
            &mut doc,
            &Operation::Replace {
                path: ptr("/spec/replcias"),
                value: json!(3),
            },
        )
        .unwrap_err();
        assert_eq!(
            error,
            OpError::Path {
                in_from: false,
                error: PathError {
                    depth: 1,
                    reason: PathReason::NoKey {
                        keys: vec!["replicas".into(), "template".into()]
                    }
                }
            }
        );
        let error = apply_operation(
            &mut doc,
            &Operation::Test {
                path: ptr("/spec/replicas"),
                value: json!(2),
            },
        )
        .unwrap_err();
        assert_eq!(error, OpError::TestFailed { actual: json!(1) });
        let error = apply_operation(
            &mut doc,
            &Operation::Add {
                path: ptr("/spec/replicas/x"),
                value: json!(2),
            },
        )
        .unwrap_err();
        assert!(matches!(
            error,
            OpError::Path {
                error: PathError {
                    depth: 2,
                    reason: PathReason::NotContainer { .. }
                },
                ..
            }
        ));
        let mut list = json!([1]);
        assert!(apply_operation(&mut list, &Operation::Remove { path: ptr("/01") }).is_err());
        assert!(apply_operation(&mut list, &Operation::Remove { path: ptr("/1") }).is_err());
        assert!(
            apply_operation(
                &mut list,
                &Operation::Add {
                    path: ptr("/1"),
                    value: json!(2)
                }
            )
            .is_ok()
        );
        assert_eq!(
            apply_operation(
                &mut doc,
                &Operation::Move {
                    from: ptr("/spec"),
                    path: ptr("/spec/x")
                }
            ),
            Err(OpError::MoveIntoItself)
        );
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}, "h": 1});
        merge(
            &mut doc,
            &json!({"a": "z", "c": {"f": null, "n": {"x": null, "y": 1}}, "l": [1]}),
        );
        assert_eq!(
            doc,
            json!({"a": "z", "c": {"d": "e", "n": {"y": 1}}, "h": 1, "l": [1]})
        );
        let keys: Vec<_> = doc.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["a", "c", "h", "l"]);
    }
}
