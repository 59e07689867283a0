//! Loading a profile: find the file (or built-in), parse it with positions, resolve its
//! `extends` chain, check each layer against the types, and merge the layers with JSON Merge
//! Patch semantics — keeping, for every field of the result, the file and position it came from
//! so later checks can point at it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{API_VERSION, KIND, MeshProfile, validate};
use crate::error::{Diagnostic, Error, Position, Result, did_you_mean};
use crate::paths::ProjectRoot;
use crate::yaml::{self, Loc, Positions};

/// The built-in profiles, embedded in the binary, sorted by name.
pub const BUILTIN_PROFILES: &[(&str, &str)] = &[
    ("ambient", include_str!("../../profiles/ambient.yaml")),
    ("default", include_str!("../../profiles/default.yaml")),
    ("permissive", include_str!("../../profiles/permissive.yaml")),
];

/// Where a profile comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileSource {
    /// A built-in profile by name.
    Builtin(String),
    /// A file, relative to the working directory.
    Path(PathBuf),
}

impl ProfileSource {
    /// Reads a command-line argument: a path when it contains `/` or ends in `.yaml`/`.yml`,
    /// else a built-in name.
    pub fn parse(argument: &str) -> ProfileSource {
        if argument.contains('/') || argument.ends_with(".yaml") || argument.ends_with(".yml") {
            ProfileSource::Path(PathBuf::from(argument))
        } else {
            ProfileSource::Builtin(argument.to_owned())
        }
    }
}

/// One file of an `extends` chain.
#[derive(Debug, Clone)]
pub struct Layer {
    /// How errors name it: the path as reached from the working directory, or `builtin:NAME`.
    pub display: PathBuf,
    /// Directory its relative paths resolve against (`None` for built-ins: they name no files).
    pub dir: Option<PathBuf>,
    pub text: String,
}

/// A field's origin: which layer, and where in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub layer: usize,
    pub loc: Loc,
}

/// For every JSON Pointer of the merged profile, where its key and value were written.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    pub layers: Vec<Layer>,
    keys: BTreeMap<String, Origin>,
    values: BTreeMap<String, Origin>,
}

impl Origins {
    fn add_layer(&mut self, layer: Layer, positions: &Positions, value: &Value) {
        let index = self.layers.len();
        self.layers.push(layer);
        // What this layer replaces (scalars, lists, nulls) forgets the parent's positions below.
        forget_replaced(self, value, &mut String::new());
        for (pointer, loc) in &positions.keys {
            self.keys.insert(
                pointer.clone(),
                Origin {
                    layer: index,
                    loc: *loc,
                },
            );
        }
        for (pointer, loc) in &positions.values {
            self.values.insert(
                pointer.clone(),
                Origin {
                    layer: index,
                    loc: *loc,
                },
            );
        }
    }

    fn lookup(&self, pointer: &str, prefer_value: bool) -> Option<Origin> {
        let mut current = pointer;
        loop {
            let found = if prefer_value {
                self.values.get(current).or_else(|| self.keys.get(current))
            } else {
                self.keys.get(current).or_else(|| self.values.get(current))
            };
            if let Some(origin) = found {
                return Some(*origin);
            }
            current = &current[..current.rfind('/')?];
        }
    }

    /// A diagnostic pointing at the value at `pointer` (or the nearest thing written above it).
    pub fn at_value(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        self.attach(self.lookup(pointer, true), diagnostic)
    }

    /// A diagnostic pointing at the key of the entry at `pointer`.
    pub fn at_key(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        self.attach(self.lookup(pointer, false), diagnostic)
    }

    fn attach(&self, origin: Option<Origin>, diagnostic: Diagnostic) -> Diagnostic {
        match origin {
            Some(origin) => {
                let layer = &self.layers[origin.layer];
                let position = Position {
                    file: layer.display.clone(),
                    line: origin.loc.line,
                    column: origin.loc.column,
                };
                diagnostic.at(position, Some(&layer.text))
            }
            None => match self.layers.last() {
                Some(layer) => Diagnostic {
                    position: Some(Position {
                        file: layer.display.clone(),
                        line: 1,
                        column: 1,
                    }),
                    ..diagnostic
                },
                None => diagnostic,
            },
        }
    }

    /// Directory the layer that wrote `pointer` resolves relative paths against.
    pub fn dir_of(&self, pointer: &str) -> Option<&Path> {
        let origin = self.lookup(pointer, true)?;
        self.layers[origin.layer].dir.as_deref()
    }
}

fn forget_replaced(origins: &mut Origins, value: &Value, pointer: &mut String) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                forget_replaced(origins, child, pointer);
                pointer.truncate(len);
            }
        }
        _ => {
            let below = format!("{pointer}/");
            let keep = |key: &String| key != pointer && !key.starts_with(&below);
            origins.keys.retain(|key, _| keep(key));
            origins.values.retain(|key, _| keep(key));
        }
    }
}

/// A loaded, merged and validated profile.
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    pub profile: MeshProfile,
    pub origins: Origins,
}

impl LoadedProfile {
    /// SHA-256 of every profile file read, as (name, digest), for the lock file.
    pub fn input_digests(&self) -> Vec<(String, String)> {
        self.origins
            .layers
            .iter()
            .map(|layer| {
                (
                    layer.display.to_string_lossy().replace('\\', "/"),
                    crate::digest::sha256_hex(layer.text.as_bytes()),
                )
            })
            .collect()
    }
}

/// Loads `source`, resolving `extends`, merging and validating. Every file read must lie inside
/// `root`.
pub fn load(source: &ProfileSource, root: &ProjectRoot) -> Result<LoadedProfile> {
    let chain = read_chain(source, root)?;
    let mut origins = Origins::default();
    let mut merged = Value::Object(Default::default());
    // Ancestors first: each child is a merge patch onto its parent.
    for (layer, mut value, positions) in chain.into_iter().rev() {
        if let Value::Object(map) = &mut value {
            map.remove("extends");
        }
        crate::patch::merge(&mut merged, &value);
        origins.add_layer(layer, &positions, &value);
    }
    let profile: MeshProfile = serde_json::from_value(merged).map_err(|error| {
        Error::input(Diagnostic::new(format!(
            "the merged profile is invalid: {error}"
        )))
    })?;
    let problems = validate::validate(&profile, &origins);
    if !problems.is_empty() {
        return Err(Error::Inputs(problems));
    }
    Ok(LoadedProfile { profile, origins })
}

type ParsedLayer = (Layer, Value, Positions);

/// Reads the profile and its ancestors, child first.
fn read_chain(source: &ProfileSource, root: &ProjectRoot) -> Result<Vec<ParsedLayer>> {
    let mut chain: Vec<ParsedLayer> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut next = Some(source.clone());
    let mut referrer: Option<(usize, Loc)> = None;
    while let Some(source) = next.take() {
        let identity = match &source {
            ProfileSource::Builtin(name) => format!("builtin:{name}"),
            ProfileSource::Path(path) => root
                .canonical(path)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| path.display().to_string()),
        };
        let point_at_referrer = |diagnostic: Diagnostic, chain: &[ParsedLayer]| match referrer {
            Some((index, loc)) => {
                let layer = &chain[index].0;
                diagnostic.at(
                    Position {
                        file: layer.display.clone(),
                        line: loc.line,
                        column: loc.column,
                    },
                    Some(&layer.text),
                )
            }
            None => diagnostic,
        };
        if seen.contains(&identity) {
            let cycle: Vec<String> = chain
                .iter()
                .map(|(l, _, _)| l.display.display().to_string())
                .collect();
            let diagnostic = Diagnostic::new(format!(
                "`extends` forms a cycle: {} -> {}",
                cycle.join(" -> "),
                chain_name(&source)
            ))
            .help("remove the `extends` that points back to a profile already in the chain");
            return Err(Error::input(point_at_referrer(diagnostic, &chain)));
        }
        seen.push(identity);
        let layer = match read_layer(&source, root) {
            Ok(layer) => layer,
            Err(diagnostic) => return Err(Error::input(point_at_referrer(diagnostic, &chain))),
        };
        let (value, positions) = parse_layer(&layer)?;
        if let Some(extends) = value.get("extends") {
            let loc = positions
                .values
                .get("/extends")
                .copied()
                .unwrap_or(Loc { line: 1, column: 1 });
            referrer = Some((chain.len(), loc));
            let extends = extends.as_str().unwrap_or_default();
            next = Some(match ProfileSource::parse(extends) {
                ProfileSource::Path(path) => match &layer.dir {
                    Some(dir) => ProfileSource::Path(crate::paths::normalize(&dir.join(path))),
                    None => ProfileSource::Path(path),
                },
                builtin => builtin,
            });
        }
        chain.push((layer, value, positions));
    }
    Ok(chain)
}

fn chain_name(source: &ProfileSource) -> String {
    match source {
        ProfileSource::Builtin(name) => format!("builtin:{name}"),
        ProfileSource::Path(path) => path.display().to_string(),
    }
}

fn read_layer(
    source: &ProfileSource,
    root: &ProjectRoot,
) -> std::result::Result<Layer, Diagnostic> {
    match source {
        ProfileSource::Builtin(name) => {
            match BUILTIN_PROFILES.iter().find(|(builtin, _)| builtin == name) {
                Some((_, text)) => Ok(Layer {
                    display: PathBuf::from(format!("builtin:{name}")),
                    dir: None,
                    text: (*text).to_owned(),
                }),
                None => {
                    let names = BUILTIN_PROFILES.iter().map(|(n, _)| *n);
                    let mut diagnostic =
                        Diagnostic::new(format!("there is no built-in profile `{name}`"));
                    let list = BUILTIN_PROFILES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ");
                    diagnostic = match did_you_mean(name, names) {
                    Some(close) => diagnostic.help(format!("did you mean `{close}`? built-in profiles: {list}; a path needs a `/` or a .yaml suffix")),
                    None => diagnostic.help(format!("built-in profiles: {list}; a path needs a `/` or a .yaml suffix")),
                };
                    Err(diagnostic)
                }
            }
        }
        ProfileSource::Path(path) => {
            let text = root.read_to_string(path, "profile")?;
            Ok(Layer {
                display: path.clone(),
                dir: Some(path.parent().map(Path::to_path_buf).unwrap_or_default()),
                text,
            })
        }
    }
}

/// Parses one layer and checks it against the profile types on its own, so every error names
/// the file that holds the mistake.
fn parse_layer(layer: &Layer) -> Result<(Value, Positions)> {
    let position = |loc: Loc| Position {
        file: layer.display.clone(),
        line: loc.line,
        column: loc.column,
    };
    let (value, positions) = match yaml::parse_document(&layer.text) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            return Err(Error::input(
                Diagnostic::new("the profile is empty")
                    .at(position(Loc { line: 1, column: 1 }), None)
                    .help(format!("start from `meshgen profile show default`, or write `apiVersion: {API_VERSION}` and `kind: {KIND}`")),
            ));
        }
        Err(error) => {
            let loc = error.loc.unwrap_or(Loc { line: 1, column: 1 });
            let help = if error.message.starts_with("duplicate key") {
                "each key may appear once per mapping; remove or merge the repeated one"
            } else if error.message.starts_with("more than one") {
                "a profile is a single YAML document; remove the `---` and what follows, or split it into files joined with `extends`"
            } else {
                "fix the YAML syntax at this position"
            };
            return Err(Error::input(
                Diagnostic::new(format!("invalid YAML: {}", error.message))
                    .at(position(loc), Some(&layer.text))
                    .help(help),
            ));
        }
    };
    let at = |pointer: &str, prefer_value: bool, diagnostic: Diagnostic| {
        let loc = if prefer_value {
            positions.locate_value(pointer)
        } else {
            positions.locate(pointer)
        };
        diagnostic.at(
            position(loc.unwrap_or(Loc { line: 1, column: 1 })),
            Some(&layer.text),
        )
    };
    if !value.is_object() {
        return Err(Error::input(at(
            "",
            true,
            Diagnostic::new("a profile must be a YAML mapping").help(format!(
                "start with `apiVersion: {API_VERSION}` and `kind: {KIND}`"
            )),
        )));
    }
    for (key, expected) in [("apiVersion", API_VERSION), ("kind", KIND)] {
        match value.get(key) {
            Some(Value::String(found)) if found == expected => {}
            Some(found) => {
                return Err(Error::input(at(
                    &format!("/{key}"),
                    true,
                    Diagnostic::new(format!("`{key}` is {found}, expected `{expected}`"))
                        .help(format!("write `{key}: {expected}`")),
                )));
            }
            None => {
                return Err(Error::input(at(
                    "",
                    true,
                    Diagnostic::new(format!("`{key}` is missing"))
                        .help(format!("add `{key}: {expected}` at the top of the file")),
                )));
            }
        }
    }
    // `null` means "delete what the parent set": the types need not accept it.
    let mut checked = value.clone();
    strip_nulls(&mut checked);
    if let Err(error) = serde_path_to_error::deserialize::<_, MeshProfile>(&checked) {
        let pointer = pointer_of(error.path());
        let (diagnostic, prefer_value, pointer) =
            explain_type_error(&pointer, &error.inner().to_string());
        return Err(Error::input(at(&pointer, prefer_value, diagnostic)));
    }
    Ok((value, positions))
}

fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

/// `spec.istio.pilot` for `/spec/istio/pilot`.
pub fn dotted(pointer: &str) -> String {
    let dotted = pointer.trim_start_matches('/').replace('/', ".");
    if dotted.is_empty() {
        "the top level".to_owned()
    } else {
        dotted
    }
}

/// The backtick-quoted words of a serde message: the offending one first, then the expected.
fn quoted_words(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// Turns serde's message into one that says where and what to do; returns the diagnostic,
/// whether to point at the value (else the key), and the pointer to point at.
fn explain_type_error(pointer: &str, message: &str) -> (Diagnostic, bool, String) {
    let words = quoted_words(message);
    if message.starts_with("unknown field") {
        let unknown = words.first().copied().unwrap_or_default();
        let expected = &words[1.min(words.len())..];
        let escaped = unknown.replace('~', "~0").replace('/', "~1");
        // The error path may or may not already end with the unknown key.
        let parent = pointer
            .strip_suffix(&format!("/{escaped}"))
            .unwrap_or(pointer);
        let mut diagnostic =
            Diagnostic::new(format!("unknown key `{unknown}` in {}", dotted(parent)));
        let valid = expected.join(", ");
        diagnostic = match did_you_mean(unknown, expected.iter().copied()) {
            Some(close) => {
                diagnostic.help(format!("did you mean `{close}`? valid keys here: {valid}"))
            }
            None => diagnostic.help(format!("valid keys here: {valid}")),
        };
        return (diagnostic, false, format!("{parent}/{escaped}"));
    }
    if message.starts_with("unknown variant") {
        let unknown = words.first().copied().unwrap_or_default();
        let expected = &words[1.min(words.len())..];
        let mut diagnostic =
            Diagnostic::new(format!("invalid value `{unknown}` for {}", dotted(pointer)));
        let valid = expected.join(", ");
        diagnostic = match did_you_mean(unknown, expected.iter().copied()) {
            Some(close) => {
                diagnostic.help(format!("did you mean `{close}`? expected one of: {valid}"))
            }
            None => diagnostic.help(format!("expected one of: {valid}")),
        };
        return (diagnostic, true, pointer.to_owned());
    }
    if message.starts_with("missing field") {
        let field = words.first().copied().unwrap_or_default();
        let diagnostic = Diagnostic::new(format!("{} needs `{field}`", dotted(pointer))).help(
            format!("add `{field}:` here; `meshgen schema` describes every field"),
        );
        return (diagnostic, false, pointer.to_owned());
    }
    let help = if message.ends_with("expected a string") {
        "quote the value so YAML reads it as text, e.g. `tag: \"1.30\"`"
    } else {
        "`meshgen schema` describes every field and its type"
    };
    let message = message
        .replace("expected u32", "expected a whole number")
        .replace("expected a boolean", "expected true or false");
    let diagnostic =
        Diagnostic::new(format!("wrong type for {}: {message}", dotted(pointer))).help(help);
    (diagnostic, true, pointer.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_is_named_with_suggestion() {
        let (diagnostic, _, pointer) = explain_type_error(
            "/spec/istio/pilot",
            "unknown field `replcias`, expected one of `replicas`, `autoscale`, `resources`",
        );
        assert_eq!(
            diagnostic.message,
            "unknown key `replcias` in spec.istio.pilot"
        );
        assert_eq!(pointer, "/spec/istio/pilot/replcias");
        assert!(
            diagnostic
                .help
                .unwrap()
                .starts_with("did you mean `replicas`?")
        );
    }

    #[test]
    fn builtin_profiles_are_sorted_and_parse() {
        let names: Vec<_> = BUILTIN_PROFILES.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for (name, text) in BUILTIN_PROFILES {
            let layer = Layer {
                display: PathBuf::from(format!("builtin:{name}")),
                dir: None,
                text: (*text).to_owned(),
            };
            parse_layer(&layer).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
