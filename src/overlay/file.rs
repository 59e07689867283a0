//! The overlay file format (`kind: Overlay`) as types, and reading overlay files. The types are
//! the format's definition three times over: `meshgen schema overlay` (committed as
//! `overlay.schema.json`) is generated from them, every overlay file is checked against that
//! schema with positions before it is read, and serde then reads it into these types. What is
//! left to check by hand is what a schema cannot say (a JSON Pointer's syntax, a target that
//! selects everything, a patch with both or neither change).

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::select::Target;
use super::{API_VERSION, KIND};
use crate::core::diagnostic::{Diagnostic, Kind, shown};
use crate::core::digest::sha256_hex;
use crate::core::paths::ProjectRoot;
use crate::core::pointer::Pointer;
use crate::core::resource::check_shape;
use crate::core::selector::Selector;
use crate::core::source::SourceFile;
use crate::core::structural::{self, Checker, Dialect};
use crate::core::yaml::{self, Loc, SyntaxKind};
use crate::error::{Error, Result};

/// An overlay file: patches to the rendered objects and resources to add.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "Overlay")]
pub struct OverlayFile {
    /// Always `meshgen.dev/v1alpha1`.
    pub api_version: String,
    /// Always `Overlay`.
    pub kind: String,
    #[serde(default)]
    pub metadata: OverlayMetadata,
    /// Patches, applied in order after this file's `resources` are added.
    #[serde(default)]
    pub patches: Vec<PatchSpec>,
    /// Objects to add: inline manifests, or paths (relative to this file) of YAML files holding
    /// manifests.
    #[serde(default)]
    pub resources: Vec<ResourceSpec>,
}

/// Identifies the overlay.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct OverlayMetadata {
    pub name: String,
    pub description: String,
}

/// One patch: which objects, and how to change them.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchSpec {
    pub target: TargetSpec,
    /// RFC 6902 JSON Patch operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_patch: Option<Vec<OperationSpec>>,
    /// An RFC 7386 JSON Merge Patch: a partial object; `null` deletes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_patch: Option<Map<String, Value>>,
    /// JSON Pointer of a string field holding a YAML or JSON document (such as `/data/mesh` of
    /// the `istio` ConfigMap): the change applies to that document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<String>,
}

/// Which rendered objects a patch applies to. Each field may use `*` as a wildcard (globs, not
/// regular expressions); fields left out match anything.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetSpec {
    /// API group (`""` for the core group), e.g. `apps`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A label selector in kubectl's syntax: `app=istiod,istio in (pilot)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<String>,
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum OperationSpec {
    Add { path: String, value: Value },
    Remove { path: String },
    Replace { path: String, value: Value },
    Move { from: String, path: String },
    Copy { from: String, path: String },
    Test { path: String, value: Value },
}

/// An added resource: a manifest written inline, or a path to a file of manifests.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ResourceSpec {
    /// A file of manifests, relative to the overlay file.
    File(String),
    /// A manifest.
    Inline(Map<String, Value>),
}

/// The committed `overlay.schema.json`: what overlay files are checked against (embedded, as the
/// profile's schema is; the tests check it equals [`generate_schema`]).
const COMMITTED_SCHEMA: &str = include_str!("../../overlay.schema.json");

static SCHEMA: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(COMMITTED_SCHEMA).expect("overlay.schema.json is JSON"));

/// The overlay format's JSON Schema as the committed `overlay.schema.json` holds it.
pub fn schema_text() -> &'static str {
    COMMITTED_SCHEMA
}

/// The schema generated from the types: what `overlay.schema.json` must hold.
pub fn generate_schema() -> String {
    structural::schema_text(&structural::draft07_schema::<OverlayFile>())
}

/// How one patch changes its targets.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    Json(Vec<crate::core::patch::Operation>),
    Merge(Value),
}

#[derive(Debug, Clone)]
pub(crate) struct Patch {
    /// Index in the file's `patches`, for positions.
    pub index: usize,
    pub target: Target,
    /// A string field holding a YAML or JSON document the change applies to.
    pub embedded: Option<Pointer>,
    pub change: Change,
}

/// An object an overlay adds, and where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Addition {
    pub object: Value,
    /// Index into [`Overlay::sources`].
    pub source: usize,
    pub pointer: String,
}

/// One overlay file, read and checked.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// The overlay file first, then the resource files it names.
    pub(crate) sources: Vec<SourceFile>,
    pub(crate) patches: Vec<Patch>,
    pub(crate) additions: Vec<Addition>,
    /// (path as named, SHA-256) of every file read, for the lock file.
    pub inputs: Vec<(PathBuf, String)>,
}

impl Overlay {
    /// The path of the overlay file, as named.
    pub fn path(&self) -> &str {
        &self.sources[0].name
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
    let entries = std::fs::read_dir(&canonical).map_err(|e| {
        Error::input(named_at(Diagnostic::new(
            Kind::Unreadable,
            format!("cannot read overlay directory `{}`: {e}", path.display()),
        )))
    })?;
    let mut names = Vec::new();
    for entry in entries.flatten() {
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
            Diagnostic::new(
                Kind::NotFound,
                format!(
                    "overlay directory `{}` holds no .yaml or .yml files",
                    path.display()
                ),
            )
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
    let name = path.display().to_string();
    let bare = SourceFile::new(name.clone(), text.as_str(), Default::default());
    let (value, positions) = match yaml::parse_document(&text) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            return Err(Error::input(
                Diagnostic::new(Kind::Syntax, "the overlay file is empty")
                    .at(bare.label(Loc::START))
                    .help(format!(
                        "start with `apiVersion: {API_VERSION}` and `kind: {KIND}`, then `patches:` or `resources:`"
                    )),
            ));
        }
        Err(error) => {
            let help = match error.kind {
                SyntaxKind::DuplicateKey(_) => {
                    "each key may appear once per mapping; remove or merge the repeated one"
                }
                _ => "fix the YAML syntax at this position; an overlay file is one YAML document",
            };
            return Err(Error::input(
                Diagnostic::new(Kind::Syntax, format!("invalid YAML: {}", error.message))
                    .at(bare.label(error.loc.unwrap_or(Loc::START)))
                    .help(help),
            ));
        }
    };
    let source = SourceFile::new(name, text.as_str(), positions);
    source.check_header(&value, "overlay", API_VERSION, KIND, |kind| {
        if kind == "MeshProfile" {
            "; this is a profile: pass it as the PROFILE argument, not with --overlay"
        } else {
            ""
        }
    })?;
    let problems = Checker::new(&SCHEMA, Dialect::JsonSchema).diagnostics(
        &value,
        "meshgen schema overlay",
        &source,
        |_| true,
    );
    if !problems.is_empty() {
        return Err(Error::inputs(problems));
    }
    let file: OverlayFile = serde_json::from_value(value).map_err(|error| {
        Error::input(source.at_value(
            "",
            Diagnostic::new(
                Kind::InvalidValue,
                format!("the overlay does not fit meshgen's types: {error}"),
            )
            .help("this is a meshgen bug (the schema accepted it); please report it with the overlay"),
        ))
    })?;
    let mut overlay = Overlay {
        sources: vec![source],
        patches: Vec::new(),
        additions: Vec::new(),
        inputs: vec![(path.to_path_buf(), sha)],
    };
    if file.patches.is_empty() && file.resources.is_empty() {
        return Err(Error::input(overlay.sources[0].at_value(
            "",
            Diagnostic::new(Kind::Missing, "the overlay changes nothing: it has no `patches` and no `resources`")
                .help("add `patches:` (a target and a jsonPatch or mergePatch) or `resources:`, or remove the file"),
        )));
    }
    for (index, resource) in file.resources.into_iter().enumerate() {
        read_resource(&mut overlay, index, resource, root)?;
    }
    for (index, patch) in file.patches.into_iter().enumerate() {
        let patch = read_patch(&overlay.sources[0], index, patch)?;
        overlay.patches.push(patch);
    }
    Ok(overlay)
}

fn read_resource(
    overlay: &mut Overlay,
    index: usize,
    resource: ResourceSpec,
    root: &ProjectRoot,
) -> Result<()> {
    let pointer = format!("/resources/{index}");
    match resource {
        ResourceSpec::Inline(object) => {
            let object = Value::Object(object);
            check_shape(&object).map_err(|problem| {
                Error::input(overlay.sources[0].at_value(&pointer, invalid_manifest(&problem)))
            })?;
            overlay.additions.push(Addition {
                object,
                source: 0,
                pointer,
            });
        }
        ResourceSpec::File(relative) => {
            let source = &overlay.sources[0];
            let dir = Path::new(&source.name).parent().unwrap_or(Path::new(""));
            let path = dir.join(&relative);
            let text = root
                .read_to_string(&path, "overlay resource file")
                .map_err(|d| Error::input(source.at_value(&pointer, d)))?;
            let name = path.display().to_string();
            let documents = yaml::parse_stream(&text).map_err(|error| {
                Error::input(
                    Diagnostic::new(Kind::Syntax, format!("invalid YAML: {}", error.message))
                        .at(
                            SourceFile::new(name.clone(), text.as_str(), Default::default())
                                .label(error.loc.unwrap_or(Loc::START)),
                        )
                        .help("fix the YAML syntax at this position"),
                )
            })?;
            if documents.is_empty() {
                return Err(Error::input(
                    source.at_value(
                        &pointer,
                        Diagnostic::new(
                            Kind::Missing,
                            format!("resource file `{}` holds no manifests", shown(&name)),
                        )
                        .help("add Kubernetes objects to the file, or remove it from `resources`"),
                    ),
                ));
            }
            overlay
                .inputs
                .push((path.clone(), sha256_hex(text.as_bytes())));
            let text: std::sync::Arc<str> = text.into();
            for (object, positions) in documents {
                let file = SourceFile {
                    name: name.clone(),
                    text: text.clone(),
                    positions,
                };
                check_shape(&object).map_err(|problem| {
                    Error::input(file.at_value("", invalid_manifest(&problem)))
                })?;
                overlay.sources.push(file);
                overlay.additions.push(Addition {
                    object,
                    source: overlay.sources.len() - 1,
                    pointer: String::new(),
                });
            }
        }
    }
    Ok(())
}

fn invalid_manifest(problem: &str) -> Diagnostic {
    Diagnostic::new(Kind::InvalidObject, format!("not a valid Kubernetes object: {problem}"))
        .help("an object needs `apiVersion`, `kind` and `metadata.name` (strings); labels and annotations map strings to strings")
}

fn read_patch(source: &SourceFile, index: usize, spec: PatchSpec) -> Result<Patch> {
    let at = format!("/patches/{index}");
    let target = read_target(source, &format!("{at}/target"), &spec.target)?;
    let embedded = match &spec.embedded {
        None => None,
        Some(text) => {
            let at = format!("{at}/embedded");
            let parsed = Pointer::parse(text).map_err(|error| {
                Error::input(
                    source.at_value(
                        &at,
                        Diagnostic::new(Kind::InvalidValue, error.to_string())
                            .help("write a JSON Pointer to a string field, e.g. `/data/mesh`"),
                    ),
                )
            })?;
            if parsed.tokens.is_empty() {
                return Err(Error::input(source.at_value(
                    &at,
                    Diagnostic::new(Kind::InvalidValue, "`embedded` must point at a string field, not the whole object")
                        .help("e.g. `embedded: /data/mesh` for the mesh config in the `istio` ConfigMap"),
                )));
            }
            Some(parsed)
        }
    };
    let change = match (spec.json_patch, spec.merge_patch) {
        (Some(_), Some(_)) => {
            return Err(Error::input(source.at_key(
                &format!("{at}/mergePatch"),
                Diagnostic::new(Kind::Conflict, format!("patches[{index}] has both `jsonPatch` and `mergePatch`"))
                    .help("use one per patch; add a second list item with the same target for the other"),
            )));
        }
        (None, None) => {
            return Err(Error::input(source.at_key(
                &format!("{at}/target"),
                Diagnostic::new(Kind::Missing, format!("patches[{index}] has a target but no change"))
                    .help("add `jsonPatch:` (RFC 6902 operations) or `mergePatch:` (RFC 7386, a partial object)"),
            )));
        }
        (Some(operations), None) => {
            if operations.is_empty() {
                return Err(Error::input(
                    source.at_value(
                        &format!("{at}/jsonPatch"),
                        Diagnostic::new(
                            Kind::Missing,
                            format!("patches[{index}].jsonPatch is empty"),
                        )
                        .help("add operations, or remove the patch"),
                    ),
                ));
            }
            let operations = operations
                .into_iter()
                .enumerate()
                .map(|(op_index, op)| {
                    read_operation(source, &format!("{at}/jsonPatch/{op_index}"), op)
                })
                .collect::<Result<_>>()?;
            Change::Json(operations)
        }
        (None, Some(merge)) => Change::Merge(Value::Object(merge)),
    };
    Ok(Patch {
        index,
        target,
        embedded,
        change,
    })
}

fn read_target(source: &SourceFile, at: &str, spec: &TargetSpec) -> Result<Target> {
    let label_selector = match &spec.label_selector {
        None => None,
        Some(text) => Some(Selector::parse(text).map_err(|error| {
            let pointer = format!("{at}/labelSelector");
            let mut diagnostic = source.at_value(
                &pointer,
                Diagnostic::new(
                    Kind::InvalidValue,
                    format!("invalid labelSelector `{}`: {}", shown(text), error.message),
                )
                .help("use kubectl's syntax: `app=istiod`, `app!=x`, `tier in (a,b)`, `tier notin (a)`, `key`, `!key`, joined by commas"),
            );
            // Point into the string when it sits on one line (skip an opening quote).
            if let Some(label) = &mut diagnostic.label {
                let quoted = label
                    .line_text
                    .as_deref()
                    .and_then(|line| line.chars().nth(label.column - 1))
                    .is_some_and(|c| c == '"' || c == '\'');
                label.column += error.offset + usize::from(quoted);
                label.width = 1;
            }
            Error::input(diagnostic)
        })?),
    };
    let target = Target {
        group: spec.group.clone(),
        version: spec.version.clone(),
        kind: spec.kind.clone(),
        namespace: spec.namespace.clone(),
        name: spec.name.clone(),
        label_selector: label_selector
            .map(|selector| (spec.label_selector.clone().unwrap_or_default(), selector)),
    };
    if target.selects_everything() {
        return Err(Error::input(source.at_value(
            at,
            Diagnostic::new(Kind::Missing, "the target selects everything: it names no group, version, kind, namespace, name or labelSelector")
                .help("name what the patch is for, e.g. `{kind: Deployment, name: istiod}`; to patch every object on purpose write `name: \"*\"`"),
        )));
    }
    Ok(target)
}

fn read_operation(
    source: &SourceFile,
    at: &str,
    spec: OperationSpec,
) -> Result<crate::core::patch::Operation> {
    use crate::core::patch::Operation;
    let pointer = |key: &str, text: &str| -> Result<Pointer> {
        Pointer::parse(text).map_err(|error| {
            Error::input(source.at_value(
                &format!("{at}/{key}"),
                Diagnostic::new(Kind::InvalidValue, error.to_string())
                    .help("a JSON Pointer looks like `/spec/template/spec/containers/0/image`; escape `/` in keys as `~1`"),
            ))
        })
    };
    Ok(match spec {
        OperationSpec::Add { path, value } => Operation::Add {
            path: pointer("path", &path)?,
            value,
        },
        OperationSpec::Remove { path } => Operation::Remove {
            path: pointer("path", &path)?,
        },
        OperationSpec::Replace { path, value } => Operation::Replace {
            path: pointer("path", &path)?,
            value,
        },
        OperationSpec::Move { from, path } => Operation::Move {
            from: pointer("from", &from)?,
            path: pointer("path", &path)?,
        },
        OperationSpec::Copy { from, path } => Operation::Copy {
            from: pointer("from", &from)?,
            path: pointer("path", &path)?,
        },
        OperationSpec::Test { path, value } => Operation::Test {
            path: pointer("path", &path)?,
            value,
        },
    })
}
