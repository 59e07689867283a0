//! Overlays: the user's adjustments to the rendered set that the profile does not cover, applied
//! after rendering and before finishing. An overlay file (`kind: Overlay`) holds `patches` — a
//! `target` selecting rendered objects, then an RFC 6902 `jsonPatch` or an RFC 7386
//! `mergePatch`, optionally applied to a YAML or JSON document held in a string field
//! (`embedded: /data/mesh`, for Istio's mesh config) — and `resources`, extra manifests added
//! under the component `overlay`. This module owns reading and checking overlay files and
//! applying them in order; every mistake is reported at its position in the overlay file with
//! the fix, because a patch that silently does nothing (kustomize's behaviour) is worse than none.

pub mod select;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::digest::sha256_hex;
use crate::error::{Diagnostic, Error, Position, Result, did_you_mean};
use crate::paths::ProjectRoot;
use crate::resource::{Identity, Resource};
use crate::yaml::{self, Loc, Positions};

use crate::patch::{self, OpError, Operation, PathError, PathReason, Pointer};
use select::{LabelSelector, Target};

/// The only `apiVersion` of an overlay file.
pub const API_VERSION: &str = "meshgen.dev/v1alpha1";
/// The `kind` of an overlay file.
pub const KIND: &str = "Overlay";
/// Component of the objects overlays add (their directory under `--out`).
pub const COMPONENT: &str = "overlay";

const TOP_KEYS: &[&str] = &["apiVersion", "kind", "metadata", "patches", "resources"];
const METADATA_KEYS: &[&str] = &["name", "description"];
const PATCH_KEYS: &[&str] = &["target", "jsonPatch", "mergePatch", "embedded"];
const TARGET_KEYS: &[&str] = &[
    "group",
    "version",
    "kind",
    "namespace",
    "name",
    "labelSelector",
];
const OP_KEYS: &[&str] = &["op", "path", "from", "value"];
const OPS: &[&str] = &["add", "remove", "replace", "move", "copy", "test"];

/// A parsed YAML file with what is needed to point into it.
#[derive(Debug, Clone)]
struct Source {
    display: PathBuf,
    text: String,
    positions: Positions,
}

impl Source {
    /// `diagnostic` positioned at the value (or else the key) at `pointer`.
    fn at(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        let loc = self
            .positions
            .locate_value(pointer)
            .unwrap_or(Loc { line: 1, column: 1 });
        self.at_loc(loc, diagnostic)
    }

    /// `diagnostic` positioned at the key of the entry at `pointer`.
    fn at_key(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        let loc = self
            .positions
            .locate(pointer)
            .unwrap_or(Loc { line: 1, column: 1 });
        self.at_loc(loc, diagnostic)
    }

    fn at_loc(&self, loc: Loc, diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.at(
            Position {
                file: self.display.clone(),
                line: loc.line,
                column: loc.column,
            },
            Some(&self.text),
        )
    }
}

/// How one patch changes its targets.
#[derive(Debug, Clone)]
enum Change {
    Json(Vec<Operation>),
    Merge(Value),
}

#[derive(Debug, Clone)]
struct Patch {
    /// Index in the file's `patches`, for positions.
    index: usize,
    target: Target,
    /// A string field holding a YAML or JSON document the change applies to.
    embedded: Option<Pointer>,
    change: Change,
}

/// An object an overlay adds, and where it was written.
#[derive(Debug, Clone)]
struct Addition {
    object: Value,
    source: usize,
    pointer: String,
}

/// One overlay file, read and checked.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// The overlay file first, then the resource files it names.
    sources: Vec<Source>,
    patches: Vec<Patch>,
    additions: Vec<Addition>,
    /// (path as named, SHA-256) of every file read, for the lock file.
    pub inputs: Vec<(PathBuf, String)>,
}

impl Overlay {
    /// The path of the overlay file, as named.
    pub fn path(&self) -> &Path {
        &self.sources[0].display
    }
}

/// Reads the overlay file at `path`, or every `*.yaml`/`*.yml` file directly inside the
/// directory at `path` in file-name order (hidden files and subdirectories are skipped, so a
/// directory may keep resource files in a subfolder). `named_at` positions errors about `path`
/// itself at the place that named it.
pub fn load(
    path: &Path,
    root: &ProjectRoot,
    named_at: &dyn Fn(Diagnostic) -> Diagnostic,
) -> Result<Vec<Overlay>> {
    let canonical = root
        .resolve(path, "overlay")
        .map_err(|d| Error::input(named_at(d)))?;
    if !canonical.is_dir() {
        return Ok(vec![load_file(path, root, named_at)?]);
    }
    let entries = fs::read_dir(&canonical).map_err(|e| Error::io("read", path, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read", path, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if is_yaml && !name.starts_with('.') && !entry.path().is_dir() {
            names.push(name);
        }
    }
    // Byte order of the names: the same on every machine and locale.
    names.sort();
    if names.is_empty() {
        return Err(Error::input(named_at(
            Diagnostic::new(format!(
                "overlay directory `{}` holds no .yaml or .yml files",
                path.display()
            ))
            .help("put overlay files (`kind: Overlay`) directly in the directory, or name a file"),
        )));
    }
    names
        .iter()
        .map(|name| load_file(&path.join(name), root, named_at))
        .collect()
}

fn load_file(
    path: &Path,
    root: &ProjectRoot,
    named_at: &dyn Fn(Diagnostic) -> Diagnostic,
) -> Result<Overlay> {
    let text = root
        .read_to_string(path, "overlay")
        .map_err(|d| Error::input(named_at(d)))?;
    let sha = sha256_hex(text.as_bytes());
    let top = |loc: Loc, diagnostic: Diagnostic, text: &str| {
        diagnostic.at(
            Position {
                file: path.to_path_buf(),
                line: loc.line,
                column: loc.column,
            },
            Some(text),
        )
    };
    let (value, positions) = match yaml::parse_document(&text) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            return Err(Error::input(top(
                Loc { line: 1, column: 1 },
                Diagnostic::new("the overlay file is empty").help(format!(
                    "start with `apiVersion: {API_VERSION}` and `kind: {KIND}`, then `patches:` or `resources:`"
                )),
                &text,
            )));
        }
        Err(error) => {
            return Err(Error::input(top(
                error.loc.unwrap_or(Loc { line: 1, column: 1 }),
                Diagnostic::new(format!("invalid YAML: {}", error.message)).help(
                    "fix the YAML syntax at this position; an overlay file is one YAML document",
                ),
                &text,
            )));
        }
    };
    let source = Source {
        display: path.to_path_buf(),
        text,
        positions,
    };
    let mut overlay = Overlay {
        sources: vec![source],
        patches: Vec::new(),
        additions: Vec::new(),
        inputs: vec![(path.to_path_buf(), sha)],
    };
    read_overlay(&mut overlay, &value, root)?;
    Ok(overlay)
}

/// Fails on keys outside `allowed`, suggesting the closest valid one.
fn check_keys(source: &Source, pointer: &str, value: &Value, allowed: &[&str]) -> Result<()> {
    let Value::Object(map) = value else {
        return Ok(());
    };
    for key in map.keys() {
        if allowed.contains(&key.as_str()) {
            continue;
        }
        let valid = allowed.join(", ");
        let help = match did_you_mean(key, allowed.iter().copied()) {
            Some(close) => format!("did you mean `{close}`? valid keys here: {valid}"),
            None => format!("valid keys here: {valid}"),
        };
        let key_pointer = format!("{pointer}/{}", escape(key));
        return Err(Error::input(source.at_key(
            &key_pointer,
            Diagnostic::new(format!("unknown key `{key}` in {}", describe(pointer))).help(help),
        )));
    }
    Ok(())
}

/// `patches[0].target` for `/patches/0/target`.
fn describe(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the overlay".to_owned();
    }
    let mut out = String::new();
    for token in pointer.trim_start_matches('/').split('/') {
        if token.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token.replace("~1", "/").replace("~0", "~"));
        }
    }
    out
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn expect_kind<'a>(
    source: &Source,
    pointer: &str,
    value: &'a Value,
    want: &str,
    example: &str,
) -> Result<&'a Value> {
    let ok = match want {
        "a mapping" => value.is_object(),
        "a list" => value.is_array(),
        "a string" => value.is_string(),
        _ => true,
    };
    if ok {
        return Ok(value);
    }
    Err(Error::input(
        source.at(
            pointer,
            Diagnostic::new(format!(
                "{} must be {want}, not {}",
                describe(pointer),
                patch::type_name(value)
            ))
            .help(format!("write it like {example}")),
        ),
    ))
}

fn read_overlay(overlay: &mut Overlay, value: &Value, root: &ProjectRoot) -> Result<()> {
    let source = overlay.sources[0].clone();
    if !value.is_object() {
        return Err(Error::input(source.at(
            "",
            Diagnostic::new("an overlay must be a YAML mapping").help(format!(
                "start with `apiVersion: {API_VERSION}` and `kind: {KIND}`"
            )),
        )));
    }
    for (key, expected) in [("apiVersion", API_VERSION), ("kind", KIND)] {
        match value.get(key) {
            Some(Value::String(found)) if found == expected => {}
            Some(found) => {
                let hint = if key == "kind" && found == "MeshProfile" {
                    "; this is a profile: pass it as the PROFILE argument, not with --overlay"
                } else {
                    ""
                };
                return Err(Error::input(
                    source.at(
                        &format!("/{key}"),
                        Diagnostic::new(format!("`{key}` is {found}, expected `{expected}`"))
                            .help(format!("write `{key}: {expected}`{hint}")),
                    ),
                ));
            }
            None => {
                return Err(Error::input(
                    source.at(
                        "",
                        Diagnostic::new(format!("`{key}` is missing"))
                            .help(format!("add `{key}: {expected}` at the top of the file")),
                    ),
                ));
            }
        }
    }
    check_keys(&source, "", value, TOP_KEYS)?;
    if let Some(metadata) = value.get("metadata") {
        expect_kind(
            &source,
            "/metadata",
            metadata,
            "a mapping",
            "`metadata: {name: ha}`",
        )?;
        check_keys(&source, "/metadata", metadata, METADATA_KEYS)?;
        for key in METADATA_KEYS {
            if let Some(field) = metadata.get(*key) {
                expect_kind(
                    &source,
                    &format!("/metadata/{key}"),
                    field,
                    "a string",
                    "`name: ha`",
                )?;
            }
        }
    }
    let empty = Vec::new();
    let patches = match value.get("patches") {
        Some(patches) => expect_kind(
            &source,
            "/patches",
            patches,
            "a list",
            "`patches: [{target: {...}, mergePatch: {...}}]`",
        )?
        .as_array()
        .unwrap_or(&empty),
        None => &empty,
    };
    let resources = match value.get("resources") {
        Some(resources) => expect_kind(
            &source,
            "/resources",
            resources,
            "a list",
            "`resources: [extra.yaml]` or a list of manifests",
        )?
        .as_array()
        .unwrap_or(&empty),
        None => &empty,
    };
    if patches.is_empty() && resources.is_empty() {
        return Err(Error::input(source.at(
            "",
            Diagnostic::new("the overlay changes nothing: it has no `patches` and no `resources`")
                .help("add `patches:` (a target and a jsonPatch or mergePatch) or `resources:`, or remove the file"),
        )));
    }
    for (index, item) in resources.iter().enumerate() {
        read_resource(overlay, index, item, root)?;
    }
    for (index, item) in patches.iter().enumerate() {
        let patch = read_patch(&source, index, item)?;
        overlay.patches.push(patch);
    }
    Ok(())
}

fn read_resource(
    overlay: &mut Overlay,
    index: usize,
    item: &Value,
    root: &ProjectRoot,
) -> Result<()> {
    let pointer = format!("/resources/{index}");
    let source = overlay.sources[0].clone();
    match item {
        Value::Object(_) => {
            check_object(item)
                .map_err(|problem| Error::input(source.at(&pointer, invalid_manifest(&problem))))?;
            overlay.additions.push(Addition {
                object: item.clone(),
                source: 0,
                pointer,
            });
        }
        Value::String(relative) => {
            let dir = source.display.parent().unwrap_or(Path::new(""));
            let path = dir.join(relative);
            let text = root
                .read_to_string(&path, "overlay resource file")
                .map_err(|d| Error::input(source.at(&pointer, d)))?;
            let documents = yaml::parse_stream(&text).map_err(|error| {
                let loc = error.loc.unwrap_or(Loc { line: 1, column: 1 });
                Error::input(
                    Diagnostic::new(format!("invalid YAML: {}", error.message))
                        .at(
                            Position {
                                file: path.clone(),
                                line: loc.line,
                                column: loc.column,
                            },
                            Some(&text),
                        )
                        .help("fix the YAML syntax at this position"),
                )
            })?;
            if documents.is_empty() {
                return Err(Error::input(
                    source.at(
                        &pointer,
                        Diagnostic::new(format!(
                            "resource file `{}` holds no manifests",
                            path.display()
                        ))
                        .help("add Kubernetes objects to the file, or remove it from `resources`"),
                    ),
                ));
            }
            overlay
                .inputs
                .push((path.clone(), sha256_hex(text.as_bytes())));
            for (object, positions) in documents {
                let file = Source {
                    display: path.clone(),
                    text: text.clone(),
                    positions,
                };
                check_object(&object)
                    .map_err(|problem| Error::input(file.at("", invalid_manifest(&problem))))?;
                overlay.sources.push(file);
                overlay.additions.push(Addition {
                    object,
                    source: overlay.sources.len() - 1,
                    pointer: String::new(),
                });
            }
        }
        other => {
            return Err(Error::input(source.at(
                &pointer,
                Diagnostic::new(format!(
                    "resources[{index}] must be a manifest (a mapping) or a file path (a string), not {}",
                    patch::type_name(other)
                ))
                .help("write an inline object with apiVersion, kind and metadata, or a path relative to this overlay file"),
            )));
        }
    }
    Ok(())
}

fn invalid_manifest(problem: &str) -> Diagnostic {
    Diagnostic::new(format!("not a valid Kubernetes object: {problem}"))
        .help("an object needs `apiVersion`, `kind` and `metadata.name` (strings); labels and annotations map strings to strings")
}

fn read_patch(source: &Source, index: usize, item: &Value) -> Result<Patch> {
    let pointer = format!("/patches/{index}");
    expect_kind(
        source,
        &pointer,
        item,
        "a mapping",
        "`- target: {kind: Deployment, name: istiod}` followed by `mergePatch:`",
    )?;
    check_keys(source, &pointer, item, PATCH_KEYS)?;
    let Some(target_value) = item.get("target") else {
        return Err(Error::input(source.at(
            &pointer,
            Diagnostic::new(format!("patches[{index}] has no `target`"))
                .help("say which objects it changes, e.g. `target: {kind: Deployment, namespace: istio-system, name: istiod}`"),
        )));
    };
    let target = read_target(source, &format!("{pointer}/target"), target_value)?;
    let embedded = match item.get("embedded") {
        None => None,
        Some(value) => {
            let at = format!("{pointer}/embedded");
            expect_kind(source, &at, value, "a string", "`embedded: /data/mesh`")?;
            let text = value.as_str().unwrap_or_default();
            let parsed = Pointer::parse(text).map_err(|message| {
                Error::input(
                    source.at(
                        &at,
                        Diagnostic::new(message)
                            .help("write a JSON Pointer to a string field, e.g. `/data/mesh`"),
                    ),
                )
            })?;
            if parsed.tokens.is_empty() {
                return Err(Error::input(source.at(
                    &at,
                    Diagnostic::new("`embedded` must point at a string field, not the whole object")
                        .help("e.g. `embedded: /data/mesh` for the mesh config in the `istio` ConfigMap"),
                )));
            }
            Some(parsed)
        }
    };
    let change = match (item.get("jsonPatch"), item.get("mergePatch")) {
        (Some(_), Some(_)) => {
            return Err(Error::input(source.at_key(
                &format!("{pointer}/mergePatch"),
                Diagnostic::new(format!("patches[{index}] has both `jsonPatch` and `mergePatch`"))
                    .help("use one per patch; add a second list item with the same target for the other"),
            )));
        }
        (None, None) => {
            return Err(Error::input(source.at_key(
                &format!("{pointer}/target"),
                Diagnostic::new(format!("patches[{index}] has a target but no change"))
                    .help("add `jsonPatch:` (RFC 6902 operations) or `mergePatch:` (RFC 7386, a partial object)"),
            )));
        }
        (Some(ops), None) => {
            let at = format!("{pointer}/jsonPatch");
            expect_kind(
                source,
                &at,
                ops,
                "a list",
                "`jsonPatch: [{op: replace, path: /spec/replicas, value: 3}]`",
            )?;
            let ops = ops.as_array().map(Vec::as_slice).unwrap_or_default();
            if ops.is_empty() {
                return Err(Error::input(
                    source.at(
                        &at,
                        Diagnostic::new(format!("patches[{index}].jsonPatch is empty"))
                            .help("add operations, or remove the patch"),
                    ),
                ));
            }
            let mut operations = Vec::with_capacity(ops.len());
            for (op_index, op) in ops.iter().enumerate() {
                operations.push(read_operation(source, &format!("{at}/{op_index}"), op)?);
            }
            Change::Json(operations)
        }
        (None, Some(merge)) => {
            let at = format!("{pointer}/mergePatch");
            expect_kind(
                source,
                &at,
                merge,
                "a mapping",
                "`mergePatch: {spec: {replicas: 3}}`",
            )?;
            Change::Merge(merge.clone())
        }
    };
    Ok(Patch {
        index,
        target,
        embedded,
        change,
    })
}

fn read_target(source: &Source, pointer: &str, value: &Value) -> Result<Target> {
    expect_kind(
        source,
        pointer,
        value,
        "a mapping",
        "`target: {kind: Deployment, name: istiod}`",
    )?;
    check_keys(source, pointer, value, TARGET_KEYS)?;
    let mut target = Target::default();
    for key in TARGET_KEYS {
        let Some(field) = value.get(*key) else {
            continue;
        };
        let at = format!("{pointer}/{key}");
        let Value::String(text) = field else {
            return Err(Error::input(
                source.at(
                    &at,
                    Diagnostic::new(format!(
                        "{} must be a string, not {}",
                        describe(&at),
                        patch::type_name(field)
                    ))
                    .help("quote it, e.g. `version: \"v1\"`"),
                ),
            ));
        };
        let text = text.clone();
        match *key {
            "group" => target.group = Some(text),
            "version" => target.version = Some(text),
            "kind" => target.kind = Some(text),
            "namespace" => target.namespace = Some(text),
            "name" => target.name = Some(text),
            _ => {
                let selector = LabelSelector::parse(&text).map_err(|error| {
                    let mut loc = source
                        .positions
                        .locate_value(&at)
                        .unwrap_or(Loc { line: 1, column: 1 });
                    // Point into the string when it sits on one line (skip an opening quote).
                    let line = source.text.lines().nth(usize::try_from(loc.line).unwrap_or(1).saturating_sub(1));
                    let quoted = line
                        .and_then(|l| l.chars().nth(usize::try_from(loc.column).unwrap_or(1).saturating_sub(1)))
                        .is_some_and(|c| c == '"' || c == '\'');
                    loc.column += u64::try_from(error.offset).unwrap_or(0) + u64::from(quoted);
                    Error::input(source.at_loc(
                        loc,
                        Diagnostic::new(format!("invalid labelSelector `{text}`: {}", error.message))
                            .help("use kubectl's syntax: `app=istiod`, `app!=x`, `tier in (a,b)`, `tier notin (a)`, `key`, `!key`, joined by commas"),
                    ))
                })?;
                target.label_selector = Some(selector);
            }
        }
    }
    if target == Target::default() {
        return Err(Error::input(source.at(
            pointer,
            Diagnostic::new("the target selects everything: it names no group, version, kind, namespace, name or labelSelector")
                .help("name what the patch is for, e.g. `{kind: Deployment, name: istiod}`; to patch every object on purpose write `name: \"*\"`"),
        )));
    }
    Ok(target)
}

fn read_operation(source: &Source, pointer: &str, value: &Value) -> Result<Operation> {
    expect_kind(
        source,
        pointer,
        value,
        "a mapping",
        "`{op: replace, path: /spec/replicas, value: 3}`",
    )?;
    check_keys(source, pointer, value, OP_KEYS)?;
    let op = match value.get("op") {
        Some(Value::String(op)) if OPS.contains(&op.as_str()) => op.as_str(),
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            let valid = OPS.join(", ");
            let help = match did_you_mean(&shown, OPS.iter().copied()) {
                Some(close) => format!("did you mean `{close}`? RFC 6902 operations: {valid}"),
                None => format!("RFC 6902 operations: {valid}"),
            };
            return Err(Error::input(source.at(
                &format!("{pointer}/op"),
                Diagnostic::new(format!("unknown operation `{shown}`")).help(help),
            )));
        }
        None => {
            return Err(Error::input(
                source.at(
                    pointer,
                    Diagnostic::new("the operation has no `op`")
                        .help(format!("add `op:` with one of {}", OPS.join(", "))),
                ),
            ));
        }
    };
    let read_pointer = |key: &str| -> Result<Pointer> {
        let at = format!("{pointer}/{key}");
        match value.get(key) {
            Some(Value::String(text)) => Pointer::parse(text).map_err(|message| {
                Error::input(source.at(
                    &at,
                    Diagnostic::new(message)
                        .help("a JSON Pointer looks like `/spec/template/spec/containers/0/image`; escape `/` in keys as `~1`"),
                ))
            }),
            Some(other) => Err(Error::input(source.at(
                &at,
                Diagnostic::new(format!("`{key}` must be a string (a JSON Pointer), not {}", patch::type_name(other)))
                    .help("e.g. `/spec/replicas`"),
            ))),
            None => Err(Error::input(source.at(
                pointer,
                Diagnostic::new(format!("`{op}` needs `{key}`"))
                    .help(format!("add `{key}:` with a JSON Pointer such as `/spec/replicas`")),
            ))),
        }
    };
    let needs_value = matches!(op, "add" | "replace" | "test");
    let needs_from = matches!(op, "move" | "copy");
    for (key, needed) in [("value", needs_value), ("from", needs_from)] {
        if value.get(key).is_some() && !needed {
            return Err(Error::input(source.at_key(
                &format!("{pointer}/{key}"),
                Diagnostic::new(format!("`{key}` has no meaning for `{op}`")).help(
                    if key == "from" {
                        "`from` belongs to `move` and `copy`; check the `op`"
                    } else {
                        "`value` belongs to `add`, `replace` and `test`; check the `op`"
                    },
                ),
            )));
        }
    }
    let path = read_pointer("path")?;
    let operand = || -> Result<Value> {
        value.get("value").cloned().ok_or_else(|| {
            Error::input(
                source.at(
                    pointer,
                    Diagnostic::new(format!("`{op}` needs `value`"))
                        .help("add `value:` (write `value: null` for a JSON null)"),
                ),
            )
        })
    };
    Ok(match op {
        "add" => Operation::Add {
            path,
            value: operand()?,
        },
        "remove" => Operation::Remove { path },
        "replace" => Operation::Replace {
            path,
            value: operand()?,
        },
        "test" => Operation::Test {
            path,
            value: operand()?,
        },
        "move" => Operation::Move {
            from: read_pointer("from")?,
            path,
        },
        _ => Operation::Copy {
            from: read_pointer("from")?,
            path,
        },
    })
}

/// What makes an object unusable after a patch, or `Ok`.
fn check_object(object: &Value) -> std::result::Result<(), String> {
    let Value::Object(map) = object else {
        return Err(format!("it is {}, not a mapping", patch::type_name(object)));
    };
    for key in ["apiVersion", "kind"] {
        match map.get(key) {
            Some(Value::String(text)) if !text.is_empty() => {}
            Some(other) if !other.is_string() => {
                return Err(format!(
                    "`{key}` is {}, not a string",
                    patch::type_name(other)
                ));
            }
            _ => return Err(format!("`{key}` is missing or empty")),
        }
    }
    let Some(Value::Object(metadata)) = map.get("metadata") else {
        return Err("`metadata` is missing or not a mapping".to_owned());
    };
    match metadata.get("name") {
        Some(Value::String(name)) if !name.is_empty() => {}
        _ => return Err("`metadata.name` is missing or empty".to_owned()),
    }
    if let Some(namespace) = metadata.get("namespace").filter(|n| !n.is_string()) {
        return Err(format!(
            "`metadata.namespace` is {}, not a string",
            patch::type_name(namespace)
        ));
    }
    for key in ["labels", "annotations"] {
        match metadata.get(key) {
            None => {}
            Some(Value::Object(entries)) => {
                if let Some((name, value)) = entries.iter().find(|(_, v)| !v.is_string()) {
                    return Err(format!(
                        "`metadata.{key}.{name}` is {}; {key} must be strings (quote it: \"{}\")",
                        patch::type_name(value),
                        value
                    ));
                }
            }
            Some(other) => {
                return Err(format!(
                    "`metadata.{key}` is {}, not a mapping",
                    patch::type_name(other)
                ));
            }
        }
    }
    Ok(())
}

/// Same object for the API server: group, kind, namespace and name (the version is only a view).
fn same_object(a: &Identity, b: &Identity) -> bool {
    (&a.group, &a.kind, &a.namespace, &a.name) == (&b.group, &b.kind, &b.namespace, &b.name)
}

/// Applies `overlays` in order: each file's `resources` are added first, then its `patches` run
/// against everything rendered or added so far. All-or-nothing: on error `resources` is left
/// as it was.
pub fn apply(resources: &mut Vec<Resource>, overlays: &[Overlay]) -> Result<()> {
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
        if let Some(existing) = resources
            .iter()
            .find(|r| same_object(&r.identity(), &identity))
        {
            let source = &overlay.sources[addition.source];
            return Err(Error::input(source.at(
                &addition.pointer,
                Diagnostic::new(format!(
                    "the overlay adds `{identity}`, which {} already renders",
                    if existing.component == COMPONENT { "an earlier overlay".to_owned() } else { format!("the profile (component `{}`)", existing.component) }
                ))
                .help("patch the existing object instead (a `patches` entry with this kind and name), or give the new object another name"),
            )));
        }
        resources.push(Resource::new(COMPONENT, addition.object.clone()));
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
            check_object(&object).map_err(|problem| {
                Error::input(source.at_key(
                    &format!("/patches/{}", patch.index),
                    Diagnostic::new(format!(
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

fn no_match(source: &Source, patch: &Patch, resources: &[Resource]) -> Diagnostic {
    let nearest = select::nearest(&patch.target, resources, 5);
    let label_only = patch.target.label_selector.is_some()
        && resources
            .iter()
            .any(|r| patch.target.matches_identity(&r.identity()));
    let mut help = String::new();
    if label_only {
        help.push_str("objects with this group/version/kind/namespace/name exist, but none has matching labels: check `labelSelector`; ");
    }
    help.push_str("fix the target (a patch that matches nothing is an error, so a typo cannot go unnoticed); the closest rendered objects are:");
    for identity in &nearest {
        help.push_str(&format!("\n          {identity}"));
    }
    source.at_key(
        &format!("/patches/{}/target", patch.index),
        Diagnostic::new(format!(
            "patches[{}] matches no rendered object: {}",
            patch.index, patch.target
        ))
        .help(help),
    )
}

fn apply_patch(
    source: &Source,
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
            return Err(Error::input(path_diagnostic(
                source,
                &at,
                identity,
                embedded,
                &error,
                "`embedded`",
            )));
        }
    };
    let Value::String(text) = field else {
        return Err(Error::input(source.at(
            &at,
            Diagnostic::new(format!(
                "`{}` in `{identity}` is {}, not a string holding a document",
                embedded.prefix(embedded.tokens.len()),
                patch::type_name(field)
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
        Error::input(
            source.at(
                &at,
                Diagnostic::new(format!(
                    "`{}` in `{identity}` does not hold a YAML or JSON document: {message}",
                    embedded.prefix(embedded.tokens.len())
                ))
                .help("point `embedded` at a field whose text is a YAML or JSON document"),
            ),
        )
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
    source: &Source,
    patch: &Patch,
    identity: &Identity,
    document: &mut Value,
) -> Result<()> {
    match &patch.change {
        Change::Merge(merge) => {
            patch::merge(document, merge);
            Ok(())
        }
        Change::Json(operations) => {
            for (op_index, operation) in operations.iter().enumerate() {
                let at = format!("/patches/{}/jsonPatch/{op_index}", patch.index);
                patch::apply_operation(document, operation).map_err(|error| {
                    Error::input(op_diagnostic(
                        source,
                        &at,
                        identity,
                        operation,
                        &error,
                        patch.embedded.as_ref(),
                    ))
                })?;
            }
            Ok(())
        }
    }
}

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
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(77).collect::<String>())
    } else {
        text
    }
}

fn op_diagnostic(
    source: &Source,
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
            let mut diagnostic = path_diagnostic_inner(&within, pointer, error, &label);
            if !*in_from && name == "add" && error.depth + 1 < pointer.tokens.len() {
                let help = diagnostic.help.take().unwrap_or_default();
                diagnostic = diagnostic.help(format!(
                    "{help}; `add` creates only the last step of the path: add the parent first, or use a mergePatch"
                ));
            }
            source.at(&format!("{at}/{key}"), diagnostic)
        }
        OpError::TestFailed { actual } => {
            let path = op_path(operation);
            let expected = match operation {
                Operation::Test { value, .. } => show(value),
                _ => String::new(),
            };
            source.at(
                &format!("{at}/value"),
                Diagnostic::new(format!(
                    "`test` failed in {within}: `{}` is {}, the overlay expects {expected}",
                    path.prefix(path.tokens.len()),
                    show(actual)
                ))
                .help("the rendered object is not what this overlay was written against; check the profile, or update `value` if the change is intended"),
            )
        }
        OpError::MoveIntoItself => source.at(
            &format!("{at}/path"),
            Diagnostic::new("`move` cannot move a value into one of its own children")
                .help("choose a `path` outside `from`"),
        ),
        OpError::RemoveRoot => source.at(
            &format!("{at}/path"),
            Diagnostic::new(format!("`remove` of the whole object `{identity}`"))
                .help("overlays cannot delete rendered objects; turn the component off in the profile instead"),
        ),
    }
}

fn path_diagnostic(
    source: &Source,
    at: &str,
    identity: &Identity,
    pointer: &Pointer,
    error: &PathError,
    what: &str,
) -> Diagnostic {
    source.at(
        at,
        path_diagnostic_inner(&format!("`{identity}`"), pointer, error, what),
    )
}

fn path_diagnostic_inner(
    within: &str,
    pointer: &Pointer,
    error: &PathError,
    what: &str,
) -> Diagnostic {
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
            if let Some(close) = did_you_mean(&token, keys.iter().map(String::as_str)) {
                help = format!("did you mean `{close}`? {help}");
            }
            Diagnostic::new(format!(
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
            Diagnostic::new(format!(
                "{what}: `{full}` does not exist in {within}: `{token}` is not an index of the list at {parent_shown}, which has {len} item{}",
                if *len == 1 { "" } else { "s" }
            ))
            .help(format!("{range}{append}"))
        }
        PathReason::NotContainer { found } => Diagnostic::new(format!(
            "{what}: `{full}` does not exist in {within}: {parent_shown} is {found}, which has no `{token}`"
        ))
        .help("the path goes below a scalar; shorten it to replace the value itself"),
    }
}
