//! A user's YAML or JSON text with the position of every key and value: what turns "the
//! problem is at `/spec/istio/pilot/replcias`" into "meshgen.yaml:7:7, this token". Profiles,
//! overlays, resource files and Argo CD parameters all position their diagnostics through it.

use std::sync::Arc;

use serde_json::Value;

use super::diagnostic::{Diagnostic, Kind, Label, shown, token_width};
use super::structural::Locate;
use super::yaml::{Loc, Positions};

/// One input text and where its keys and values are.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// How the file is named to the user (a path as given, `builtin:NAME`, a variable name).
    pub name: String,
    pub text: Arc<str>,
    pub positions: Positions,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>, positions: Positions) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
            positions,
        }
    }

    /// The label of a line and column of this file.
    pub fn label(&self, loc: Loc) -> Label {
        label_in(&self.name, &self.text, loc)
    }

    /// `diagnostic` positioned at the value at `pointer` (or the nearest thing written above it).
    pub fn at_value(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        let loc = self.positions.locate_value(pointer).unwrap_or(Loc::START);
        diagnostic.at(self.label(loc))
    }

    /// Checks that a meshgen file is a mapping with the expected `apiVersion` and `kind`; `what`
    /// names the format ("profile"), `hint` adds to the help for a wrong kind (e.g. a profile
    /// passed where an overlay belongs).
    pub fn check_header(
        &self,
        value: &Value,
        what: &str,
        api_version: &str,
        kind: &str,
        hint: impl Fn(&str) -> &'static str,
    ) -> Result<(), Diagnostic> {
        if !value.is_object() {
            return Err(self.at_value(
                "",
                Diagnostic::new(Kind::WrongType, format!("a {what} must be a YAML mapping")).help(
                    format!("start with `apiVersion: {api_version}` and `kind: {kind}`"),
                ),
            ));
        }
        for (key, expected) in [("apiVersion", api_version), ("kind", kind)] {
            match value.get(key) {
                Some(Value::String(found)) if found == expected => {}
                Some(found) => {
                    let found_text = match found {
                        Value::String(text) => format!("\"{}\"", shown(text)),
                        other => shown(&other.to_string()),
                    };
                    let extra = if key == "kind" {
                        hint(found.as_str().unwrap_or_default())
                    } else {
                        ""
                    };
                    return Err(self.at_value(
                        &format!("/{key}"),
                        Diagnostic::new(
                            Kind::InvalidValue,
                            format!("`{key}` is {found_text}, expected `{expected}`"),
                        )
                        .help(format!("write `{key}: {expected}`{extra}")),
                    ));
                }
                None => {
                    return Err(self.at_value(
                        "",
                        Diagnostic::new(Kind::Missing, format!("`{key}` is missing"))
                            .help(format!("add `{key}: {expected}` at the top of the file")),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `diagnostic` positioned at the key of the entry at `pointer`.
    pub fn at_key(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        let loc = self.positions.locate(pointer).unwrap_or(Loc::START);
        diagnostic.at(self.label(loc))
    }
}

/// The label of `loc` in `text`, named `name`.
pub fn label_in(name: &str, text: &str, loc: Loc) -> Label {
    let line = usize::try_from(loc.line).unwrap_or(1).max(1);
    let column = usize::try_from(loc.column).unwrap_or(1).max(1);
    let line_text = text.lines().nth(line - 1).map(str::to_owned);
    let width = line_text
        .as_deref()
        .map_or(1, |text| token_width(text, column));
    Label {
        file: name.to_owned(),
        line,
        column,
        width,
        line_text,
    }
}

impl Locate for SourceFile {
    fn at_key(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        SourceFile::at_key(self, pointer, diagnostic)
    }

    fn at_value(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        SourceFile::at_value(self, pointer, diagnostic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::diagnostic::Kind;
    use crate::core::yaml;

    #[test]
    fn labels_point_at_the_token() {
        let text = "spec:\n  istio:\n    pilot:\n      replcias: 3\n";
        let (_, positions) = yaml::parse_document(text).unwrap().unwrap();
        let source = SourceFile::new("meshgen.yaml", text, positions);
        let diagnostic = source.at_key(
            "/spec/istio/pilot/replcias",
            Diagnostic::new(Kind::UnknownKey, "unknown key"),
        );
        let label = diagnostic.label.unwrap();
        assert_eq!((label.line, label.column, label.width), (4, 7, 8));
        assert_eq!(label.line_text.as_deref(), Some("      replcias: 3"));
    }
}
