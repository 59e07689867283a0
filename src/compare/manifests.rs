//! Reading a manifest set someone else may have written — a directory of YAML files, a YAML
//! stream, or standard input — the way `diff` and `lint --manifests` need it: every document
//! must be a Kubernetes object, each object keeps the file and line it came from, and an
//! object that appears twice is the same object only if both copies are identical (otherwise
//! both places are named).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::Path;

use serde_json::Value;

use crate::core::diagnostic::{Diagnostic, Kind, Label};
use crate::core::patch::json_equal;
use crate::core::paths;
use crate::core::resource::{Identity, ObjectKey, check_shape};
use crate::core::source::SourceFile;
use crate::core::yaml::{self, Loc};
use crate::error::{Error, Result};
use crate::lint::{self, LintOptions, Location, Report};

/// One object and where it was read.
#[derive(Debug, Clone)]
pub struct ManifestObject {
    pub object: Value,
    pub identity: Identity,
    pub file: String,
    /// The line the object starts on.
    pub line: usize,
}

impl ManifestObject {
    fn label(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// Every object read, in reading order (files sorted by name).
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub objects: Vec<ManifestObject>,
}

impl Manifests {
    /// Reads a YAML stream (`name` is shown in messages).
    pub fn from_stream(name: &str, text: &str) -> Result<Manifests> {
        let mut set = Manifests::default();
        set.add_stream(name, text)?;
        Ok(set)
    }

    /// Reads a directory (every `.yaml`/`.yml` regular file below it, sorted by path; symlinks
    /// are not followed) or one YAML stream file.
    pub fn from_path(path: &Path) -> Result<Manifests> {
        let mut set = Manifests::default();
        set.add_path(path)?;
        Ok(set)
    }

    /// Adds a directory or file (see [`Manifests::from_path`]).
    pub fn add_path(&mut self, path: &Path) -> Result<()> {
        let metadata = std::fs::metadata(path).map_err(|error| {
            Error::input(
                Diagnostic::new(
                    Kind::NotFound,
                    format!("cannot read `{}`: {error}", path.display()),
                )
                .help("give a directory written by `meshgen render --out`, a YAML file, or - for standard input"),
            )
        })?;
        if !metadata.is_dir() {
            let text = paths::read_input(path, path, "manifest file").map_err(Error::input)?;
            return self.add_stream(&path.display().to_string(), &text);
        }
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            let entry = entry.map_err(|error| {
                Error::input(Diagnostic::new(
                    Kind::Unreadable,
                    format!("cannot read `{}`: {error}", path.display()),
                ))
            })?;
            let file = entry.path();
            let is_yaml = file.extension().is_some_and(|e| e == "yaml" || e == "yml");
            if entry.file_type().is_file() && is_yaml {
                let text = paths::read_input(file, file, "manifest file").map_err(Error::input)?;
                self.add_stream(&file.display().to_string(), &text)?;
            }
        }
        Ok(())
    }

    /// Adds the documents of one YAML stream.
    pub fn add_stream(&mut self, name: &str, text: &str) -> Result<()> {
        let documents = yaml::parse_stream(text).map_err(|error| {
            Error::input(
                Diagnostic::new(
                    Kind::Syntax,
                    format!("`{name}` is not a YAML stream: {}", error.message),
                )
                .at(SourceFile::new(name, text, Default::default())
                    .label(error.loc.unwrap_or(Loc::START)))
                .help("give a directory written by `meshgen render --out` or a YAML stream of manifests"),
            )
        })?;
        let text: std::sync::Arc<str> = text.into();
        for (object, positions) in documents {
            let source = SourceFile {
                name: name.to_owned(),
                text: text.clone(),
                positions,
            };
            let line = source
                .positions
                .locate_value("")
                .map_or(1, |loc| usize::try_from(loc.line).unwrap_or(1));
            // Kustomize's own file is not part of the manifests.
            if object.get("kind").and_then(Value::as_str) == Some("Kustomization") {
                continue;
            }
            check_shape(&object).map_err(|problem| {
                Error::input(
                    source
                        .at_value(
                            "",
                            Diagnostic::new(
                                Kind::InvalidObject,
                                format!("a document of `{name}` is not a Kubernetes object: {problem}"),
                            ),
                        )
                        .help("every document of a manifest set needs `apiVersion`, `kind` and `metadata.name`"),
                )
            })?;
            self.objects.push(ManifestObject {
                identity: Identity::of(&object),
                object,
                file: name.to_owned(),
                line,
            });
        }
        Ok(())
    }

    /// The objects by identity. An object read twice counts once when both copies are equal;
    /// copies that differ are an error naming both places.
    pub fn by_key(&self) -> Result<BTreeMap<ObjectKey, &ManifestObject>> {
        let mut objects: BTreeMap<ObjectKey, &ManifestObject> = BTreeMap::new();
        let mut conflicts = Vec::new();
        for object in &self.objects {
            match objects.entry(object.identity.key()) {
                Entry::Vacant(slot) => {
                    slot.insert(object);
                }
                Entry::Occupied(first) => {
                    if !json_equal(&first.get().object, &object.object) {
                        conflicts.push(
                            Diagnostic::new(
                                Kind::Conflict,
                                format!(
                                    "`{}` appears twice with different contents: {} and {}",
                                    object.identity,
                                    first.get().label(),
                                    object.label()
                                ),
                            )
                            .at(Label {
                                line: object.line,
                                ..Label::file(object.file.clone())
                            })
                            .help("a manifest set holds each object once; compare or lint one set at a time"),
                        );
                    }
                }
            }
        }
        if conflicts.is_empty() {
            Ok(objects)
        } else {
            Err(Error::inputs(conflicts))
        }
    }

    /// Runs the analyzers (typed validation, MG0100, included) over the set, each finding
    /// placed at the file and line of its object.
    pub fn lint(&self, options: &LintOptions) -> Result<Report> {
        let unique = self.by_key()?;
        let mut report = lint::lint(unique.values().map(|object| &object.object), options);
        report.locate(|identity| self.location_of(identity));
        Ok(report)
    }

    /// Where the object with this identity was first read.
    pub fn location_of(&self, identity: &Identity) -> Option<Location> {
        let key = identity.key();
        self.objects
            .iter()
            .find(|object| object.identity.key() == key)
            .map(|object| Location {
                file: object.file.clone(),
                line: object.line,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_file_and_line_and_duplicates_name_both_places() {
        let mut set = Manifests::default();
        set.add_stream(
            "a.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n",
        )
        .unwrap();
        set.add_stream(
            "b.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
        )
        .unwrap();
        assert_eq!(set.objects[1].line, 5);
        assert_eq!(set.by_key().unwrap().len(), 2, "equal copies count once");
        set.add_stream(
            "c.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {a: b}}\n",
        )
        .unwrap();
        let error = set.by_key().unwrap_err();
        let message = &error.diagnostics()[0].message;
        assert!(
            message.contains("a.yaml:1") && message.contains("c.yaml:1"),
            "{message}"
        );
    }

    #[test]
    fn garbage_documents_are_refused() {
        for text in [
            "42\n",
            "- a\n- b\n",
            "kind: {a: b}\napiVersion: v1\nmetadata: {name: x}\n",
        ] {
            assert!(Manifests::from_stream("s", text).is_err(), "{text}");
        }
    }
}
