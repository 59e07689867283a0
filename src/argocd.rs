//! The Argo CD config-management plugin: `meshgen argocd generate`, run by the `argocd-cmp-server`
//! sidecar in the app's directory of a fresh copy of the repository. This module owns turning
//! what Argo CD passes — `ARGOCD_APP_PARAMETERS` (JSON), `ARGOCD_ENV_MESHGEN_*` and
//! `ARGOCD_APP_SOURCE_PATH` — into a render, and the plugin's safety rules: only YAML on stdout,
//! never an empty stream with success (with auto-prune Argo CD would delete everything), nothing
//! written, nothing read outside the repository copy, no dependence on `HOME`.
//!
//! The repository root (the boundary no path may leave) is computed from
//! `ARGOCD_APP_SOURCE_PATH`: the sidecar runs the command in `<copy>/<source path>`, so the root
//! is the working directory with that suffix removed. Walking up to a `.git` directory is only
//! the fallback for runs outside Argo CD, because the repo-server usually excludes `.git` from
//! the copy it streams (`reposerver.plugin.tar.exclusions`) and a walk that finds none would
//! climb out of the copy — and one that found a `.git` above it would widen the boundary.
//! Without either, the app directory itself is the root.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::emit;
use crate::error::{Diagnostic, Error, Position, Result, did_you_mean};
use crate::paths::ProjectRoot;
use crate::pipeline;
use crate::profile::validate::validate;
use crate::profile::{DataplaneMode, LoadedProfile, MtlsMode, ProfileSource};
use crate::yaml::{self, Positions};

/// Name of the environment variable holding the Application's plugin parameters.
pub const PARAMETERS_VAR: &str = "ARGOCD_APP_PARAMETERS";
/// Prefix Argo CD gives the Application's `plugin.env` entries, plus meshgen's own prefix.
pub const ENV_PREFIX: &str = "ARGOCD_ENV_MESHGEN_";
/// The app's path inside the repository.
pub const SOURCE_PATH_VAR: &str = "ARGOCD_APP_SOURCE_PATH";

/// The parameters the plugin understands (also announced in `argocd/plugin.yaml`).
pub const PARAMETERS: &[&str] = &[
    "profile",
    "overlays",
    "mtls-mode",
    "dataplane-mode",
    "gateway-class",
];

/// Where a setting came from, to point errors at it.
#[derive(Debug, Clone)]
struct Origin {
    /// `ARGOCD_APP_PARAMETERS` or the environment variable's name.
    variable: String,
    /// The variable's value (the source line of the excerpt).
    text: String,
    line: u64,
    column: u64,
    /// How to name it in messages: parameter `mtls-mode`, or the variable.
    label: String,
}

impl Origin {
    fn at(&self, diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.at(
            Position {
                file: PathBuf::from(&self.variable),
                line: self.line,
                column: self.column,
            },
            Some(&self.text),
        )
    }
}

#[derive(Debug, Clone)]
struct Setting<T> {
    value: T,
    origin: Origin,
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

fn env_name(parameter: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        parameter.to_ascii_uppercase().replace('-', "_")
    )
}

/// Reads `ARGOCD_ENV_MESHGEN_*` (first) and `ARGOCD_APP_PARAMETERS` (overriding).
fn read_settings(env: &BTreeMap<String, String>) -> Result<Settings> {
    let mut settings = Settings::default();
    let known: Vec<String> = PARAMETERS.iter().map(|p| env_name(p)).collect();
    for (name, value) in env.range(ENV_PREFIX.to_owned()..) {
        if !name.starts_with(ENV_PREFIX) {
            break;
        }
        let origin = Origin {
            variable: name.clone(),
            text: value.clone(),
            line: 1,
            column: 1,
            label: name.clone(),
        };
        let Some(index) = known.iter().position(|k| k == name) else {
            let valid = known.join(", ");
            let help = match did_you_mean(name, known.iter().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`? meshgen reads {valid}"),
                None => format!("meshgen reads {valid}"),
            };
            return Err(Error::input(
                Diagnostic::new(format!("unknown plugin environment variable `{name}`")).help(help),
            ));
        };
        // Argo CD 3 passes empty values too: empty means unset.
        if value.is_empty() {
            continue;
        }
        set(
            &mut settings,
            PARAMETERS[index],
            ParamValue::Env(value.clone()),
            origin,
        )?;
    }
    if let Some(text) = env.get(PARAMETERS_VAR) {
        read_parameters(&mut settings, text)?;
    }
    Ok(settings)
}

enum ParamValue {
    Env(String),
    String(String),
    Array(Vec<String>),
    Other(&'static str),
}

fn set(settings: &mut Settings, name: &str, value: ParamValue, origin: Origin) -> Result<()> {
    let string = |value: ParamValue, origin: &Origin| -> Result<String> {
        match value {
            ParamValue::Env(text) | ParamValue::String(text) => Ok(text),
            ParamValue::Array(_) => Err(kind_error(origin, name, "an array", "a string")),
            ParamValue::Other(kind) => Err(kind_error(origin, name, kind, "a string")),
        }
    };
    match name {
        "profile" => {
            settings.profile = Some(Setting {
                value: string(value, &origin)?,
                origin,
            });
        }
        "overlays" => {
            let list = match value {
                // One environment variable holds a comma-separated list.
                ParamValue::Env(text) | ParamValue::String(text) => text
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                ParamValue::Array(items) => items,
                ParamValue::Other(kind) => return Err(kind_error(&origin, name, kind, "an array")),
            };
            settings.overlays = Some(Setting {
                value: list,
                origin,
            });
        }
        "mtls-mode" => {
            settings.mtls_mode = Some(Setting {
                value: string(value, &origin)?,
                origin,
            })
        }
        "dataplane-mode" => {
            settings.dataplane_mode = Some(Setting {
                value: string(value, &origin)?,
                origin,
            })
        }
        _ => {
            settings.gateway_class = Some(Setting {
                value: string(value, &origin)?,
                origin,
            })
        }
    }
    Ok(())
}

fn kind_error(origin: &Origin, name: &str, found: &str, expected: &str) -> Error {
    Error::input(
        origin.at(Diagnostic::new(format!(
            "plugin parameter `{name}` is {found}, expected {expected}"
        ))
        .help(format!(
            "set it in the Application as `{{name: {name}, {}: ...}}`",
            if expected == "an array" {
                "array"
            } else {
                "string"
            }
        ))),
    )
}

fn read_parameters(settings: &mut Settings, text: &str) -> Result<()> {
    let variable_origin = |line: u64, column: u64, label: &str| Origin {
        variable: PARAMETERS_VAR.to_owned(),
        text: text
            .lines()
            .nth(usize::try_from(line).unwrap_or(1).saturating_sub(1))
            .unwrap_or("")
            .to_owned(),
        line,
        column,
        label: label.to_owned(),
    };
    let parsed: Value = serde_json::from_str(text).map_err(|error| {
        Error::input(
            variable_origin(error.line() as u64, error.column() as u64, PARAMETERS_VAR).at(
                Diagnostic::new(format!("{PARAMETERS_VAR} is not valid JSON: {error}"))
                    .help("Argo CD sets it from the Application's `spec.source.plugin.parameters`; when testing by hand, export a JSON array like [{\"name\":\"profile\",\"string\":\"meshgen.yaml\"}]"),
            ),
        )
    })?;
    // Positions come from reading the JSON as YAML (a superset); without them, point at 1:1.
    let positions: Positions = yaml::parse_document(text)
        .ok()
        .flatten()
        .map(|(_, positions)| positions)
        .unwrap_or_default();
    let origin_at = |pointer: &str, label: &str| {
        let loc = positions
            .locate_value(pointer)
            .unwrap_or(yaml::Loc { line: 1, column: 1 });
        variable_origin(loc.line, loc.column, label)
    };
    let items = match &parsed {
        // ApplicationSets have been seen to send `null` (argo-cd#11900): no parameters.
        Value::Null => return Ok(()),
        Value::Array(items) => items,
        other => {
            return Err(Error::input(
                origin_at("", PARAMETERS_VAR).at(Diagnostic::new(format!(
                    "{PARAMETERS_VAR} is {}, expected a JSON array",
                    crate::patch::type_name(other)
                ))
                .help("it is a list of {name, string|array|map} objects")),
            ));
        }
    };
    for (index, item) in items.iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
        let label = format!("parameter `{name}`");
        if !PARAMETERS.contains(&name) {
            let valid = PARAMETERS.join(", ");
            let help = match did_you_mean(name, PARAMETERS.iter().copied()) {
                Some(close) => format!("did you mean `{close}`? the meshgen plugin takes {valid}"),
                None => format!("the meshgen plugin takes {valid}"),
            };
            return Err(Error::input(
                origin_at(&format!("/{index}/name"), &label)
                    .at(Diagnostic::new(format!("unknown plugin parameter `{name}`")).help(help)),
            ));
        }
        let (pointer, value) = if let Some(Value::String(text)) = item.get("string") {
            (format!("/{index}/string"), ParamValue::String(text.clone()))
        } else if let Some(Value::Array(entries)) = item.get("array") {
            let strings = entries
                .iter()
                .map(|e| e.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .unwrap_or_default();
            (format!("/{index}/array"), ParamValue::Array(strings))
        } else if item.get("map").is_some() {
            (format!("/{index}/map"), ParamValue::Other("a map"))
        } else {
            // A parameter without a value (Argo CD sends `string: ""` for empty ones): unset.
            continue;
        };
        if matches!(&value, ParamValue::String(text) if text.is_empty()) {
            continue;
        }
        set(settings, name, value, origin_at(&pointer, &label))?;
    }
    Ok(())
}

/// The repository root, per the module documentation.
pub fn repository_root(app_dir: &Path, env: &BTreeMap<String, String>) -> Result<PathBuf> {
    if let Some(source_path) = env.get(SOURCE_PATH_VAR).filter(|p| !p.is_empty()) {
        let relative = Path::new(source_path);
        let mut parts = Vec::new();
        for component in relative.components() {
            match component {
                Component::Normal(part) => parts.push(part),
                Component::CurDir => {}
                _ => {
                    return Err(Error::input(
                        Diagnostic::new(format!("{SOURCE_PATH_VAR} `{source_path}` is not a plain relative path"))
                            .help("Argo CD sets it to the Application's `spec.source.path`, relative to the repository root"),
                    ));
                }
            }
        }
        let mut root = app_dir.to_path_buf();
        for part in parts.iter().rev() {
            if root.file_name() != Some(part) {
                return Err(Error::input(
                    Diagnostic::new(format!(
                        "the working directory `{}` does not end with {SOURCE_PATH_VAR} `{source_path}`",
                        app_dir.display()
                    ))
                    .help("the plugin must run in the app's directory of the repository copy, as argocd-cmp-server does; unset the variable when running by hand"),
                ));
            }
            root.pop();
        }
        return Ok(root);
    }
    let mut dir = Some(app_dir);
    while let Some(current) = dir {
        if current.join(".git").exists() {
            return Ok(current.to_path_buf());
        }
        dir = current.parent();
    }
    Ok(app_dir.to_path_buf())
}

/// A change a plugin parameter makes to the profile.
type Override = Box<dyn Fn(&mut crate::profile::MeshProfile)>;

/// Applies the scalar overrides to the loaded profile; the final layer of the merge.
fn apply_overrides(loaded: &mut LoadedProfile, settings: &Settings) -> Result<()> {
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
                .or_else(|| did_you_mean(&setting.value, valid.iter().copied()));
            let help = match close {
                Some(close) => format!("did you mean `{close}`? expected one of: {list}"),
                None => format!("expected one of: {list}"),
            };
            Error::input(
                setting.origin.at(Diagnostic::new(format!(
                    "invalid value `{}` for plugin parameter `{name}`",
                    setting.value
                ))
                .help(help)),
            )
        })
    }
    let mut applied: Vec<(&Origin, Override)> = Vec::new();
    if let Some(setting) = &settings.mtls_mode {
        let mode: MtlsMode =
            parse_enum(setting, "mtls-mode", &["STRICT", "PERMISSIVE", "DISABLE"])?;
        applied.push((&setting.origin, Box::new(move |p| p.spec.mtls.mode = mode)));
    }
    if let Some(setting) = &settings.dataplane_mode {
        let mode: DataplaneMode = parse_enum(setting, "dataplane-mode", &["sidecar", "ambient"])?;
        applied.push((
            &setting.origin,
            Box::new(move |p| p.spec.dataplane.mode = mode),
        ));
    }
    if let Some(setting) = &settings.gateway_class {
        let class = setting.value.clone();
        applied.push((
            &setting.origin,
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
                    .any(|d| d.message == problem.message)
            })
            .or(applied.last())
            .map(|(origin, _)| *origin);
        let mut diagnostic = Diagnostic::new(problem.message.clone());
        if let Some(origin) = culprit {
            let help = problem.help.clone().unwrap_or_default();
            diagnostic = origin.at(diagnostic).help(format!(
                "{help} (the profile is valid; the value comes from {} of the Argo CD Application)",
                origin.label
            ));
        }
        positioned.push(diagnostic);
    }
    Err(Error::Inputs(positioned))
}

/// Renders the app in `app_dir` as Argo CD asks, returning the YAML stream.
pub fn generate(app_dir: &Path, env: &BTreeMap<String, String>) -> Result<String> {
    let settings = read_settings(env)?;
    let root_dir = repository_root(app_dir, env)?;
    let root = ProjectRoot::new(&root_dir)?;
    let profile = settings
        .profile
        .as_ref()
        .map_or("meshgen.yaml", |s| s.value.as_str());
    let source = match ProfileSource::parse(profile) {
        ProfileSource::Path(path) => ProfileSource::Path(app_dir.join(path)),
        builtin => builtin,
    };
    let mut loaded = pipeline::load_profile(&source, &root).map_err(|error| match (&settings.profile, error) {
        (None, Error::Input(d)) if d.message.contains("does not exist") => Error::input(
            Diagnostic::new(format!("no meshgen.yaml in the app directory `{}`", app_dir.display()))
                .help("add meshgen.yaml to the app's path, or set the plugin parameter `profile` (a file relative to the app, or a built-in profile name)"),
        ),
        (Some(setting), Error::Input(d)) if d.position.is_none() => Error::input(setting.origin.at(*d)),
        (_, other) => other,
    })?;
    apply_overrides(&mut loaded, &settings)?;
    let overlays: Vec<PathBuf> = settings
        .overlays
        .as_ref()
        .map(|s| s.value.iter().map(|o| app_dir.join(o)).collect())
        .unwrap_or_default();
    let rendered = pipeline::render_profile(loaded, &root, &overlays).map_err(|error| {
        match (&settings.overlays, error) {
            (Some(setting), Error::Input(d)) if d.position.is_none() => {
                Error::input(setting.origin.at(*d))
            }
            (_, other) => other,
        }
    })?;
    if rendered.resources.is_empty() {
        return Err(Error::input(Diagnostic::new("the render is empty").help(
            "refusing to print an empty stream: Argo CD would read it as \"delete everything\"",
        )));
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
    fn unknown_names_are_errors() {
        let error = read_settings(&env(&[(
            PARAMETERS_VAR,
            r#"[{"name":"mtls_mode","string":"STRICT"}]"#,
        )]))
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("unknown plugin parameter `mtls_mode`"),
            "{error}"
        );
        assert!(error.contains("did you mean `mtls-mode`?"), "{error}");
        assert!(error.contains("ARGOCD_APP_PARAMETERS:1:"), "{error}");
        let error = read_settings(&env(&[("ARGOCD_ENV_MESHGEN_PROFLE", "x")]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("did you mean `ARGOCD_ENV_MESHGEN_PROFILE`?"),
            "{error}"
        );
    }
}
