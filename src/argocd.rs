//! The Argo CD config-management plugin: `meshgen argocd generate`, run by the `argocd-cmp-server`
//! sidecar in the app's directory of a fresh copy of the repository. This module owns turning
//! what Argo CD passes — `ARGOCD_APP_PARAMETERS` (JSON), `ARGOCD_ENV_MESHGEN_*` and
//! `ARGOCD_APP_SOURCE_PATH` — into a render, and the plugin's safety rules: only YAML on stdout,
//! never an empty stream with success (with auto-prune Argo CD would delete everything), nothing
//! written, nothing read outside the repository copy, no dependence on `HOME`.
//!
//! The environment is untrusted input: a variable meshgen reads that is not UTF-8, a parameter
//! of the wrong shape, or an unknown parameter is an error naming it — never silently dropped,
//! because dropping one means rendering what the Application did not ask for.
//!
//! The repository root (the boundary no path may leave) is computed from
//! `ARGOCD_APP_SOURCE_PATH` alone: the sidecar runs the command in `<copy>/<source path>`, so
//! the root is the working directory with that suffix removed (an empty path or `.` means the
//! app is the repository root). Without the variable the root is the app directory itself —
//! never a walk up to a `.git`: the repo-server usually excludes `.git` from the copy it
//! streams (`reposerver.plugin.tar.exclusions`), so a walk would climb out of the copy, and one
//! that found a `.git` above it would widen the boundary to whatever lies there. By hand, set
//! the variable as Argo CD does.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::core::diagnostic::{Diagnostic, Kind, Label, shown};
use crate::core::paths::ProjectRoot;
use crate::core::source::SourceFile;
use crate::core::suggest;
use crate::core::yaml::{self, Loc};
use crate::emit;
use crate::error::{Error, Result};
use crate::pipeline;
use crate::profile::validate::validate;
use crate::profile::{DataplaneMode, LoadedProfile, MeshProfile, MtlsMode, ProfileSource};

/// Name of the environment variable holding the Application's plugin parameters.
pub const PARAMETERS_VAR: &str = "ARGOCD_APP_PARAMETERS";
/// Prefix Argo CD gives the Application's `plugin.env` entries, plus meshgen's own prefix.
pub const ENV_PREFIX: &str = "ARGOCD_ENV_MESHGEN_";
/// The app's path inside the repository.
pub const SOURCE_PATH_VAR: &str = "ARGOCD_APP_SOURCE_PATH";

/// A parameter the plugin understands (also announced in `argocd/plugin.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parameter {
    Profile,
    Overlays,
    MtlsMode,
    DataplaneMode,
    GatewayClass,
}

impl Parameter {
    const ALL: [Parameter; 5] = [
        Parameter::Profile,
        Parameter::Overlays,
        Parameter::MtlsMode,
        Parameter::DataplaneMode,
        Parameter::GatewayClass,
    ];

    fn name(self) -> &'static str {
        match self {
            Parameter::Profile => "profile",
            Parameter::Overlays => "overlays",
            Parameter::MtlsMode => "mtls-mode",
            Parameter::DataplaneMode => "dataplane-mode",
            Parameter::GatewayClass => "gateway-class",
        }
    }

    /// `ARGOCD_ENV_MESHGEN_MTLS_MODE` for `mtls-mode`.
    fn env_name(self) -> String {
        format!(
            "{ENV_PREFIX}{}",
            self.name().to_ascii_uppercase().replace('-', "_")
        )
    }

    fn is_list(self) -> bool {
        self == Parameter::Overlays
    }
}

/// The names of the parameters the plugin understands (`argocd/plugin.yaml` announces them).
pub fn parameter_names() -> impl Iterator<Item = &'static str> {
    Parameter::ALL.into_iter().map(Parameter::name)
}

/// One entry of `ARGOCD_APP_PARAMETERS`, as Argo CD writes it.
#[derive(Debug)]
struct RawParameter {
    name: String,
    string: Option<String>,
    array: Option<Vec<String>>,
    map: Option<BTreeMap<String, String>>,
}

impl RawParameter {
    /// Reads one entry, or says what is wrong with it in the Application's terms: the JSON
    /// Pointer (inside the entry) of the culprit and the problem.
    fn read(item: &Value) -> std::result::Result<RawParameter, (String, String)> {
        use crate::core::diagnostic::type_name;
        let Value::Object(fields) = item else {
            return Err((
                String::new(),
                format!("it is {}, not an object", type_name(item)),
            ));
        };
        let text = |key: &str, value: &Value| match value {
            Value::String(text) => Ok(text.clone()),
            other => Err((
                format!("/{key}"),
                format!("`{key}` is {}, expected a string", type_name(other)),
            )),
        };
        let mut raw = RawParameter {
            name: String::new(),
            string: None,
            array: None,
            map: None,
        };
        let mut named = false;
        for (key, value) in fields {
            match key.as_str() {
                "name" => {
                    raw.name = text("name", value)?;
                    named = true;
                }
                // `null` is what an unset field looks like in some generators: unset.
                _ if value.is_null() => {}
                "string" => raw.string = Some(text("string", value)?),
                "array" => {
                    let Value::Array(items) = value else {
                        return Err((
                            "/array".into(),
                            format!(
                                "`array` is {}, expected a list of strings",
                                type_name(value)
                            ),
                        ));
                    };
                    let mut texts = Vec::with_capacity(items.len());
                    for (index, item) in items.iter().enumerate() {
                        match item {
                            Value::String(text) => texts.push(text.clone()),
                            other => {
                                return Err((
                                    format!("/array/{index}"),
                                    format!(
                                        "item {index} of `array` is {}, expected a string",
                                        type_name(other)
                                    ),
                                ));
                            }
                        }
                    }
                    raw.array = Some(texts);
                }
                "map" => {
                    let Value::Object(entries) = value else {
                        return Err((
                            "/map".into(),
                            format!(
                                "`map` is {}, expected a mapping of strings",
                                type_name(value)
                            ),
                        ));
                    };
                    let mut map = BTreeMap::new();
                    for (key, item) in entries {
                        let pointer = format!("map/{}", crate::core::pointer::escape(key));
                        map.insert(key.clone(), text(&pointer, item)?);
                    }
                    raw.map = Some(map);
                }
                other => {
                    return Err((
                        format!("/{}", crate::core::pointer::escape(other)),
                        format!("unknown field `{}`", shown(other)),
                    ));
                }
            }
        }
        if !named {
            return Err((String::new(), "it has no `name`".to_owned()));
        }
        Ok(raw)
    }
}

/// A setting and where it came from, to point errors at it.
#[derive(Debug, Clone)]
struct Setting<T> {
    value: T,
    origin: Label,
    /// How messages name it: `parameter `mtls-mode`` or the variable.
    what: String,
}

/// What the Application asked for.
#[derive(Debug, Clone, Default)]
struct Settings {
    profile: Option<Setting<String>>,
    overlays: Option<Setting<Vec<String>>>,
    mtls_mode: Option<Setting<String>>,
    dataplane_mode: Option<Setting<String>>,
    gateway_class: Option<Setting<String>>,
}

impl Settings {
    fn set_string(&mut self, parameter: Parameter, setting: Setting<String>) {
        match parameter {
            Parameter::Profile => self.profile = Some(setting),
            Parameter::MtlsMode => self.mtls_mode = Some(setting),
            Parameter::DataplaneMode => self.dataplane_mode = Some(setting),
            Parameter::GatewayClass => self.gateway_class = Some(setting),
            Parameter::Overlays => {
                self.overlays = Some(Setting {
                    value: setting
                        .value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    origin: setting.origin,
                    what: setting.what,
                });
            }
        }
    }
}

/// The variables the plugin reads, as text. Every `ARGOCD_*` variable must be UTF-8: one that
/// is not is an error naming it.
fn read_environment(env: &[(OsString, OsString)]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (name, value) in env {
        let Some(name) = name.to_str() else {
            if name.to_string_lossy().starts_with("ARGOCD_") {
                return Err(Error::input(Diagnostic::new(
                    Kind::Unreadable,
                    format!(
                        "environment variable `{}` has a name that is not UTF-8",
                        shown(&name.to_string_lossy())
                    ),
                )));
            }
            continue;
        };
        if !name.starts_with("ARGOCD_") {
            continue;
        }
        let Some(value) = value.to_str() else {
            // Say where the bad byte is and, in the parameters, which parameter holds it.
            let bytes = value.as_encoded_bytes().to_vec();
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let located = crate::core::paths::utf8(bytes, name, "environment variable")
                .expect_err("the value is not UTF-8");
            let mut diagnostic = Diagnostic::new(Kind::Unreadable, located.message);
            if name == PARAMETERS_VAR
                && let Some(parameter) = parameter_holding_bad_text(&lossy)
            {
                diagnostic
                    .message
                    .push_str(&format!(", in parameter `{}`", shown(&parameter)));
            }
            diagnostic = diagnostic.help("Argo CD sets it from the Application; fix the Application (or the shell that exported it)");
            if let Some(label) = located.label {
                diagnostic = diagnostic.at(*label);
            }
            return Err(Error::input(diagnostic));
        };
        out.insert(name.to_owned(), value.to_owned());
    }
    Ok(out)
}

/// The name of the parameter whose value held bytes that are not UTF-8 (`lossy`: the
/// parameters with each bad byte replaced by U+FFFD), when the JSON still reads.
fn parameter_holding_bad_text(lossy: &str) -> Option<String> {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(lossy) else {
        return None;
    };
    items.iter().find_map(|item| {
        let name = item.get("name").and_then(Value::as_str)?;
        item.to_string()
            .contains('\u{FFFD}')
            .then(|| name.to_owned())
    })
}

/// Reads `ARGOCD_ENV_MESHGEN_*` (first) and `ARGOCD_APP_PARAMETERS` (overriding).
fn read_settings(env: &BTreeMap<String, String>) -> Result<Settings> {
    let mut settings = Settings::default();
    let known: Vec<String> = Parameter::ALL.iter().map(|p| p.env_name()).collect();
    for (name, value) in env.range(ENV_PREFIX.to_owned()..) {
        if !name.starts_with(ENV_PREFIX) {
            break;
        }
        let Some(parameter) = Parameter::ALL.into_iter().find(|p| p.env_name() == *name) else {
            let help =
                suggest::help_listing(name, known.iter().map(String::as_str), "meshgen reads");
            return Err(Error::input(
                Diagnostic::new(
                    Kind::UnknownKey,
                    format!("unknown plugin environment variable `{}`", shown(name)),
                )
                .help(help),
            ));
        };
        // Argo CD 3 passes empty values too: empty means unset.
        if value.is_empty() {
            continue;
        }
        settings.set_string(
            parameter,
            Setting {
                value: value.clone(),
                origin: SourceFile::new(name.clone(), value.as_str(), Default::default())
                    .label(Loc::START),
                what: format!("environment variable `{name}`"),
            },
        );
    }
    if let Some(text) = env.get(PARAMETERS_VAR) {
        read_parameters(&mut settings, text)?;
    }
    Ok(settings)
}

fn read_parameters(settings: &mut Settings, text: &str) -> Result<()> {
    // Positions come from reading the JSON as YAML (a superset); without them, point at 1:1.
    let positions = yaml::parse_document(text)
        .ok()
        .flatten()
        .map(|(_, positions)| positions)
        .unwrap_or_default();
    let source = SourceFile::new(PARAMETERS_VAR, text, positions);
    let parsed: Value = serde_json::from_str(text).map_err(|error| {
        Error::input(
            Diagnostic::new(Kind::Syntax, format!("{PARAMETERS_VAR} is not valid JSON: {error}"))
                .at(source.label(Loc {
                    line: error.line() as u64,
                    column: error.column() as u64,
                }))
                .help("Argo CD sets it from the Application's `spec.source.plugin.parameters`; when testing by hand, export a JSON array like [{\"name\":\"profile\",\"string\":\"meshgen.yaml\"}]"),
        )
    })?;
    let items = match parsed {
        // ApplicationSets have been seen to send `null` (argo-cd#11900): no parameters.
        Value::Null => return Ok(()),
        Value::Array(items) => items,
        other => {
            return Err(Error::input(
                source.at_value(
                    "",
                    Diagnostic::new(
                        Kind::WrongType,
                        format!(
                            "{PARAMETERS_VAR} is {}, expected a JSON array",
                            crate::core::diagnostic::type_name(&other)
                        ),
                    )
                    .help("it is a list of {name, string|array|map} objects"),
                ),
            ));
        }
    };
    for (index, item) in items.into_iter().enumerate() {
        let at = format!("/{index}");
        let raw = RawParameter::read(&item).map_err(|(pointer, problem)| {
            Error::input(source.at_value(
                &format!("{at}{pointer}"),
                Diagnostic::new(
                    Kind::WrongType,
                    format!("plugin parameter {index}{}: {problem}", item.get("name").and_then(Value::as_str).map(|name| format!(" (`{}`)", shown(name))).unwrap_or_default()),
                )
                .help("each parameter is an object with `name` and one of `string` (text), `array` (a list of texts) or `map`"),
            ))
        })?;
        let Some(parameter) = Parameter::ALL.into_iter().find(|p| p.name() == raw.name) else {
            let help = suggest::help_listing(
                &raw.name,
                Parameter::ALL.iter().map(|p| p.name()),
                "the meshgen plugin takes",
            );
            return Err(Error::input(
                source.at_value(
                    &format!("{at}/name"),
                    Diagnostic::new(
                        Kind::UnknownKey,
                        format!("unknown plugin parameter `{}`", shown(&raw.name)),
                    )
                    .help(help),
                ),
            ));
        };
        let name = parameter.name();
        let what = format!("parameter `{name}`");
        let wrong_shape = |key: &str, expected: &str| {
            Error::input(
                source.at_value(
                    &format!("{at}/{key}"),
                    Diagnostic::new(
                        Kind::WrongType,
                        format!("plugin parameter `{name}` is {key}, expected {expected}"),
                    )
                    .help(format!(
                        "set it in the Application as `{{name: {name}, {}: ...}}`",
                        if parameter.is_list() {
                            "array"
                        } else {
                            "string"
                        }
                    )),
                ),
            )
        };
        if raw.map.is_some() {
            return Err(wrong_shape(
                "map",
                if parameter.is_list() {
                    "an array"
                } else {
                    "a string"
                },
            ));
        }
        match (raw.string, raw.array) {
            (Some(_), Some(_)) => {
                return Err(wrong_shape("both a string and an array", "one of them"));
            }
            (Some(text), None) => {
                // Argo CD sends `string: ""` for a parameter left empty: unset.
                if text.is_empty() {
                    continue;
                }
                settings.set_string(
                    parameter,
                    Setting {
                        value: text,
                        origin: source.label(
                            source
                                .positions
                                .locate_value(&format!("{at}/string"))
                                .unwrap_or(Loc::START),
                        ),
                        what,
                    },
                );
            }
            (None, Some(items)) if parameter.is_list() => {
                settings.overlays = Some(Setting {
                    value: items,
                    origin: source.label(
                        source
                            .positions
                            .locate_value(&format!("{at}/array"))
                            .unwrap_or(Loc::START),
                    ),
                    what,
                });
            }
            (None, Some(_)) => return Err(wrong_shape("an array", "a string")),
            // A parameter without a value: unset.
            (None, None) => {}
        }
    }
    Ok(())
}

/// The repository root, per the module documentation: `app_dir` minus
/// `ARGOCD_APP_SOURCE_PATH`, or `app_dir` itself without the variable. It never lies above
/// what the variable names.
pub fn repository_root(app_dir: &Path, env: &BTreeMap<String, String>) -> Result<PathBuf> {
    let Some(source_path) = env.get(SOURCE_PATH_VAR) else {
        return Ok(app_dir.to_path_buf());
    };
    let relative = Path::new(source_path);
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            _ => {
                return Err(Error::input(
                    Diagnostic::new(Kind::OutsideRoot, format!("{SOURCE_PATH_VAR} `{}` is not a plain relative path", shown(source_path)))
                        .help("Argo CD sets it to the Application's `spec.source.path`, relative to the repository root"),
                ));
            }
        }
    }
    let mut root = app_dir.to_path_buf();
    for part in parts.iter().rev() {
        if root.file_name() != Some(part) {
            return Err(Error::input(
                Diagnostic::new(Kind::OutsideRoot, format!(
                    "the working directory `{}` does not end with {SOURCE_PATH_VAR} `{}`",
                    app_dir.display(),
                    shown(source_path)
                ))
                .help("the plugin must run in the app's directory of the repository copy, as argocd-cmp-server does; when running by hand, set the variable to the app's path in the repository"),
            ));
        }
        root.pop();
    }
    Ok(root)
}

/// A change a plugin parameter makes to the profile.
type Override = Box<dyn Fn(&mut MeshProfile)>;

fn parse_enum<T: serde::de::DeserializeOwned>(
    setting: &Setting<String>,
    name: &str,
    valid: &[&str],
) -> Result<T> {
    serde_json::from_value(Value::String(setting.value.clone())).map_err(|_| {
        let list = valid.join(", ");
        let close = valid
            .iter()
            .find(|v| v.eq_ignore_ascii_case(&setting.value))
            .copied()
            .or_else(|| suggest::closest(&setting.value, valid.iter().copied()));
        let help = match close {
            Some(close) => format!("did you mean `{close}`? expected one of: {list}"),
            None => format!("expected one of: {list}"),
        };
        Error::input(
            Diagnostic::new(
                Kind::InvalidValue,
                format!(
                    "invalid value `{}` for plugin parameter `{name}`",
                    shown(&setting.value)
                ),
            )
            .at(setting.origin.clone())
            .help(help),
        )
    })
}

/// Applies the scalar overrides to the loaded profile; the final layer of the merge.
fn apply_overrides(loaded: &mut LoadedProfile, settings: &Settings) -> Result<()> {
    let mut applied: Vec<(&Setting<String>, Override)> = Vec::new();
    if let Some(setting) = &settings.mtls_mode {
        let mode: MtlsMode =
            parse_enum(setting, "mtls-mode", &["STRICT", "PERMISSIVE", "DISABLE"])?;
        applied.push((setting, Box::new(move |p| p.spec.mtls.mode = mode)));
    }
    if let Some(setting) = &settings.dataplane_mode {
        let mode: DataplaneMode = parse_enum(setting, "dataplane-mode", &["sidecar", "ambient"])?;
        applied.push((setting, Box::new(move |p| p.spec.dataplane.mode = mode)));
    }
    if let Some(setting) = &settings.gateway_class {
        let class = setting.value.clone();
        applied.push((
            setting,
            Box::new(move |p| p.spec.gateway.class_name = class.clone()),
        ));
    }
    if applied.is_empty() {
        return Ok(());
    }
    let base = loaded.profile.clone();
    for (_, change) in &applied {
        change(&mut loaded.profile);
    }
    // The profile was valid before the overrides, so whatever the checks find now comes from an
    // override: point at the one that causes it on its own (else the last one).
    let problems = validate(&loaded.profile, &loaded.origins);
    if problems.is_empty() {
        return Ok(());
    }
    let mut positioned = Vec::new();
    for problem in problems {
        let culprit = applied
            .iter()
            .find(|(_, change)| {
                let mut alone = base.clone();
                change(&mut alone);
                validate(&alone, &loaded.origins)
                    .iter()
                    .any(|d| d.kind == problem.kind && d.message == problem.message)
            })
            .or(applied.last())
            .map(|(setting, _)| *setting);
        let mut diagnostic = Diagnostic::new(problem.kind, problem.message.clone());
        if let Some(setting) = culprit {
            let help = problem.help.clone().unwrap_or_default();
            diagnostic = diagnostic.at(setting.origin.clone()).help(format!(
                "{help} (the profile is valid; the value comes from {} of the Argo CD Application)",
                setting.what
            ));
        }
        positioned.push(diagnostic);
    }
    Err(Error::inputs(positioned))
}

/// Renders the app in `app_dir` as Argo CD asks (`env`: the process environment), returning
/// the YAML stream. Analyzer errors fail it: Argo CD must not apply a broken mesh.
pub fn generate(app_dir: &Path, env: &[(OsString, OsString)]) -> Result<String> {
    let env = read_environment(env)?;
    let settings = read_settings(&env)?;
    let root_dir = repository_root(app_dir, &env)?;
    let root = ProjectRoot::new(&root_dir)?;
    let profile = settings
        .profile
        .as_ref()
        .map_or("meshgen.yaml", |s| s.value.as_str());
    let source = match ProfileSource::parse(profile) {
        ProfileSource::Path(path) => ProfileSource::Path(app_dir.join(path)),
        builtin => builtin,
    };
    let mut loaded = pipeline::load_profile(&source, &root).map_err(|error| {
        match &settings.profile {
            None if error.is_input(Kind::NotFound) => Error::input(
                Diagnostic::new(Kind::NotFound, format!("no meshgen.yaml in the app directory `{}`", app_dir.display()))
                    .help("add meshgen.yaml to the app's path, or set the plugin parameter `profile` (a file relative to the app, or a built-in profile name)"),
            ),
            Some(setting) => error.map_diagnostics(|d| d.at(setting.origin.clone())),
            None => error,
        }
    })?;
    apply_overrides(&mut loaded, &settings)?;
    let overlays: Vec<PathBuf> = settings
        .overlays
        .as_ref()
        .map(|s| s.value.iter().map(|o| app_dir.join(o)).collect())
        .unwrap_or_default();
    let rendered = pipeline::render(loaded, &root, &overlays)
        .map_err(|error| match &settings.overlays {
            Some(setting) => error.map_diagnostics(|d| d.at(setting.origin.clone())),
            None => error,
        })?
        .lint_errors()?;
    if rendered.resources.is_empty() {
        return Err(Error::input(
            Diagnostic::new(Kind::Missing, "the render is empty").help(
                "refusing to print an empty stream: Argo CD would read it as \"delete everything\"",
            ),
        ));
    }
    Ok(emit::stream(&rendered.resources))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn root_from_source_path() {
        let app = Path::new("/tmp/_cmp_server/abc/clusters/prod");
        let root = repository_root(app, &env(&[(SOURCE_PATH_VAR, "clusters/prod")])).unwrap();
        assert_eq!(root, Path::new("/tmp/_cmp_server/abc"));
        let root = repository_root(app, &env(&[(SOURCE_PATH_VAR, "./clusters/prod/")])).unwrap();
        assert_eq!(root, Path::new("/tmp/_cmp_server/abc"));
        assert!(repository_root(app, &env(&[(SOURCE_PATH_VAR, "other/prod")])).is_err());
        assert!(repository_root(app, &env(&[(SOURCE_PATH_VAR, "../prod")])).is_err());
        let root = repository_root(app, &env(&[(SOURCE_PATH_VAR, ".")])).unwrap();
        assert_eq!(root, app);
        let root = repository_root(app, &env(&[(SOURCE_PATH_VAR, "")])).unwrap();
        assert_eq!(root, app);
    }

    #[test]
    fn without_a_source_path_the_root_is_the_app_directory_even_below_a_git() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        let app = dir.path().join("copy/app");
        std::fs::create_dir_all(&app).unwrap();
        assert_eq!(repository_root(&app, &env(&[])).unwrap(), app);
    }

    #[test]
    fn parameters_override_environment() {
        let settings = read_settings(&env(&[
            ("ARGOCD_ENV_MESHGEN_PROFILE", "env.yaml"),
            ("ARGOCD_ENV_MESHGEN_OVERLAYS", "a, b"),
            (
                PARAMETERS_VAR,
                r#"[{"name":"profile","string":"param.yaml"},{"name":"mtls-mode","string":""}]"#,
            ),
        ]))
        .unwrap();
        assert_eq!(settings.profile.unwrap().value, "param.yaml");
        assert_eq!(settings.overlays.unwrap().value, ["a", "b"]);
        assert!(settings.mtls_mode.is_none());
    }

    #[test]
    fn unknown_names_and_wrong_shapes_are_errors() {
        let error = read_settings(&env(&[(
            PARAMETERS_VAR,
            r#"[{"name":"mtls_mode","string":"STRICT"}]"#,
        )]))
        .unwrap_err();
        let diagnostic = &error.diagnostics()[0];
        assert_eq!(diagnostic.message, "unknown plugin parameter `mtls_mode`");
        assert!(
            diagnostic
                .help
                .as_deref()
                .unwrap()
                .contains("did you mean `mtls-mode`?")
        );
        assert_eq!(diagnostic.label.as_ref().unwrap().file, PARAMETERS_VAR);
        let error = read_settings(&env(&[("ARGOCD_ENV_MESHGEN_PROFLE", "x")])).unwrap_err();
        assert!(
            error.diagnostics()[0]
                .help
                .as_deref()
                .unwrap()
                .contains("did you mean `ARGOCD_ENV_MESHGEN_PROFILE`?")
        );
        for parameters in [
            r#"[{"name":"overlays","array":["a", 1]}]"#,
            r#"[{"name":"mtls-mode","array":["STRICT"]}]"#,
            r#"[{"name":"mtls-mode","map":{"a":"b"}}]"#,
            r#"[{"name":"mtls-mode","strin":"STRICT"}]"#,
        ] {
            assert!(
                read_settings(&env(&[(PARAMETERS_VAR, parameters)])).is_err(),
                "{parameters}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn variables_that_are_not_utf8_are_errors() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![b'a', 0xff]);
        let error =
            read_environment(&[(OsString::from(SOURCE_PATH_VAR), bad.clone())]).unwrap_err();
        assert!(error.diagnostics()[0].message.contains(SOURCE_PATH_VAR));
        let mut parameters = br#"[{"name":"mtls-mode","string":"PERMISSIVE"#.to_vec();
        parameters.extend_from_slice(b"\xff\"}]");
        let error = read_environment(&[(
            OsString::from(PARAMETERS_VAR),
            OsString::from_vec(parameters),
        )])
        .unwrap_err();
        let diagnostic = &error.diagnostics()[0];
        assert!(
            diagnostic.message.contains("in parameter `mtls-mode`"),
            "{}",
            diagnostic.message
        );
        assert_eq!(diagnostic.label.as_ref().unwrap().column, 42);
        // Variables meshgen does not read stay irrelevant.
        assert!(read_environment(&[(OsString::from("LANG"), bad)]).is_ok());
    }
}
