//! Loading a profile: find the file (or built-in), parse it with positions, resolve its
//! `extends` chain, check each layer against the profile schema on its own (so every error names
//! the file that holds the mistake), merge the layers with JSON Merge Patch semantics, check the
//! merged result once more (fields a parent and a child only complete together), and run the
//! cross-field rules. Where every field came from is kept in [`Origins`].

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::origins::{Layer, Origins};
use super::types::{API_VERSION, KIND, MeshProfile};
use super::{builtin, schema, validate};
use crate::core::diagnostic::{Diagnostic, Kind, shown};
use crate::core::paths::{self, ProjectRoot};
use crate::core::source::SourceFile;
use crate::core::structural::{Checker, Dialect, ProblemKind};
use crate::core::yaml::{self, Loc, Positions, SyntaxKind};
use crate::core::{digest, patch, suggest};
use crate::error::{Error, Result};

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

    /// How messages and the lock file name it: the path as given, or `builtin:NAME`.
    pub fn name(&self) -> String {
        match self {
            ProfileSource::Builtin(name) => format!("builtin:{name}"),
            ProfileSource::Path(path) => path.display().to_string(),
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
                    layer.source.name.replace('\\', "/"),
                    digest::sha256_hex(layer.source.text.as_bytes()),
                )
            })
            .collect()
    }

    /// Whether a layer was read from `builtin:NAME` (for naming inputs).
    pub fn is_builtin_name(name: &str) -> bool {
        name.starts_with("builtin:")
    }
}

/// Loads `source`, resolving `extends`, merging and validating. Every file read must lie inside
/// `root`.
pub fn load(source: &ProfileSource, root: &ProjectRoot) -> Result<LoadedProfile> {
    let chain = read_chain(source, root)?;
    // The description says what this profile is for: it is not inherited from the parent.
    let description = chain
        .first()
        .and_then(|(_, value)| value.pointer("/metadata/description"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut origins = Origins::default();
    let mut merged = Value::Object(Default::default());
    // Ancestors first: each child is a merge patch onto its parent.
    for (layer, mut value) in chain.into_iter().rev() {
        if let Value::Object(map) = &mut value {
            map.shift_remove("extends");
        }
        patch::merge(&mut merged, &value);
        origins.add_layer(layer, &value);
    }
    let problems = Checker::new(schema::schema(), Dialect::JsonSchema).diagnostics(
        &merged,
        "meshgen schema",
        &origins,
        |_| true,
    );
    if !problems.is_empty() {
        return Err(Error::inputs(problems));
    }
    let mut profile: MeshProfile = serde_json::from_value(merged).map_err(|error| {
        Error::input(origins.at_value(
            "",
            Diagnostic::new(
                Kind::InvalidValue,
                format!("the merged profile does not fit meshgen's types: {error}"),
            )
            .help("this is a meshgen bug (the schema accepted it); please report it with the profile"),
        ))
    })?;
    profile.metadata.description = description;
    let problems = validate::validate(&profile, &origins);
    if !problems.is_empty() {
        return Err(Error::inputs(problems));
    }
    Ok(LoadedProfile { profile, origins })
}

/// Reads the profile and its ancestors, child first, each checked on its own.
fn read_chain(source: &ProfileSource, root: &ProjectRoot) -> Result<Vec<(Layer, Value)>> {
    let mut chain: Vec<(Layer, Value)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut next = Some(source.clone());
    // The `extends` value that named the next layer: errors about that layer point at it.
    let mut referrer: Option<(usize, Loc)> = None;
    while let Some(source) = next.take() {
        let at_referrer = |diagnostic: Diagnostic, chain: &[(Layer, Value)]| match referrer {
            Some((index, loc)) => diagnostic.at(chain[index].0.source.label(loc)),
            None => diagnostic,
        };
        let identity = match &source {
            ProfileSource::Builtin(_) => source.name(),
            ProfileSource::Path(path) => path
                .canonicalize()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| source.name()),
        };
        if seen.contains(&identity) {
            let cycle: Vec<String> = chain.iter().map(|(l, _)| l.source.name.clone()).collect();
            let diagnostic = Diagnostic::new(
                Kind::Conflict,
                format!(
                    "`extends` forms a cycle: {} -> {}",
                    cycle.join(" -> "),
                    source.name()
                ),
            )
            .help("remove the `extends` that points back to a profile already in the chain");
            return Err(Error::input(at_referrer(diagnostic, &chain)));
        }
        seen.push(identity);
        let mut layer =
            read_layer(&source, root).map_err(|d| Error::input(at_referrer(d, &chain)))?;
        let (value, positions) = check_layer(&layer.source)?;
        layer.source.positions = positions;
        if let Some(extends) = value.get("extends").and_then(Value::as_str) {
            let loc = layer
                .source
                .positions
                .values
                .get("/extends")
                .copied()
                .unwrap_or(Loc::START);
            referrer = Some((chain.len(), loc));
            next = Some(match ProfileSource::parse(extends) {
                ProfileSource::Path(path) => match &layer.dir {
                    Some(dir) => ProfileSource::Path(paths::normalize(&dir.join(path))),
                    None => ProfileSource::Path(path),
                },
                builtin => builtin,
            });
        }
        chain.push((layer, value));
    }
    Ok(chain)
}

fn read_layer(source: &ProfileSource, root: &ProjectRoot) -> Result<Layer, Diagnostic> {
    let (text, dir) = match source {
        ProfileSource::Builtin(name) => {
            let Some(text) = builtin::get(name) else {
                let help = suggest::help_listing(name, builtin::names(), "built-in profiles");
                return Err(Diagnostic::new(
                    Kind::NotFound,
                    format!("there is no built-in profile `{}`", shown(name)),
                )
                .help(format!("{help}; a path needs a `/` or a .yaml suffix")));
            };
            (text.to_owned(), None)
        }
        ProfileSource::Path(path) => (
            root.read_to_string(path, "profile")?,
            Some(path.parent().map(Path::to_path_buf).unwrap_or_default()),
        ),
    };
    Ok(Layer {
        source: SourceFile::new(source.name(), text, Default::default()),
        dir,
    })
}

/// Parses one layer (filling in its positions) and checks it against the profile schema on its
/// own, so every error names the file that holds the mistake. Required fields are checked only
/// on the merged profile: a child may complete what its parent started.
fn check_layer(source: &SourceFile) -> Result<(Value, Positions)> {
    let start = source.label(Loc::START);
    let (value, positions) = match yaml::parse_document(&source.text) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            return Err(Error::input(
                Diagnostic::new(Kind::Syntax, "the profile is empty")
                    .at(crate::core::diagnostic::Label { line_text: None, ..start })
                    .help(format!("start from `meshgen profile show default`, or write `apiVersion: {API_VERSION}` and `kind: {KIND}`")),
            ));
        }
        Err(error) => {
            let help = match error.kind {
                SyntaxKind::DuplicateKey(_) => {
                    "each key may appear once per mapping; remove or merge the repeated one"
                }
                SyntaxKind::MultipleDocuments => {
                    "a profile is a single YAML document; remove the `---` and what follows, or split it into files joined with `extends`"
                }
                SyntaxKind::Budget => {
                    "a profile is a small file; check that this is the file you meant"
                }
                SyntaxKind::NonFiniteNumber | SyntaxKind::Syntax => {
                    "fix the YAML syntax at this position"
                }
            };
            return Err(Error::input(
                Diagnostic::new(Kind::Syntax, format!("invalid YAML: {}", error.message))
                    .at(source.label(error.loc.unwrap_or(Loc::START)))
                    .help(help),
            ));
        }
    };
    let source = SourceFile {
        positions,
        ..source.clone()
    };
    source.check_header(&value, "profile", API_VERSION, KIND, |_| "")?;
    // `null` means "delete what the parent set": the schema need not accept it.
    let mut checked = value.clone();
    strip_nulls(&mut checked);
    let problems = Checker::new(schema::schema(), Dialect::JsonSchema).diagnostics(
        &checked,
        "meshgen schema",
        &source,
        |problem| !matches!(problem.kind, ProblemKind::Missing { .. }),
    );
    if !problems.is_empty() {
        return Err(Error::inputs(problems));
    }
    Ok((value, source.positions))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(Value, Positions)> {
        let (_, positions) = yaml::parse_document(text).unwrap().unwrap();
        check_layer(&SourceFile::new("p.yaml", text, positions))
    }

    #[test]
    fn unknown_keys_are_named_with_a_suggestion() {
        let error = check(
            "apiVersion: meshgen.dev/v1alpha1\nkind: MeshProfile\nspec:\n  istio:\n    pilot:\n      replcias: 3\n",
        )
        .unwrap_err();
        let diagnostic = &error.diagnostics()[0];
        assert_eq!(diagnostic.kind, Kind::UnknownKey);
        assert_eq!(
            diagnostic.message,
            "unknown key `replcias` in spec.istio.pilot"
        );
        assert!(
            diagnostic
                .help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `replicas`?")
        );
        let label = diagnostic.label.as_ref().unwrap();
        assert_eq!((label.line, label.column), (6, 7));
    }

    #[test]
    fn sequences_are_never_read_as_mappings() {
        let error = check(
            "apiVersion: meshgen.dev/v1alpha1\nkind: MeshProfile\nspec:\n  mtls: [PERMISSIVE]\n",
        )
        .unwrap_err();
        assert_eq!(error.diagnostics()[0].kind, Kind::WrongType);
    }

    #[test]
    fn builtin_profiles_pass_their_own_checks() {
        for (name, text) in builtin::all() {
            check(text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        }
    }
}
