//! Diagnostics: one problem in the user's input as a value — what kind of problem it is, the
//! message, where it is (file, line, column and the source line) and what to do. Nothing here
//! prints; `cli::report` renders diagnostics, in one place, for every command. Code that reacts
//! to a problem matches on its [`Kind`], never on its text.

use std::fmt;

use serde_json::Value;

/// What sort of problem a diagnostic reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A file, directory or built-in the input names does not exist.
    NotFound,
    /// A path leaves the project root (or the Argo CD repository copy).
    OutsideRoot,
    /// The input exists but cannot be read as input: a directory, a FIFO or device, not UTF-8,
    /// unreadable.
    Unreadable,
    /// A limit meshgen puts on inputs (size, depth, count) was exceeded.
    Budget,
    /// YAML or JSON syntax, or a document that is empty or not one document.
    Syntax,
    /// A key the format does not have.
    UnknownKey,
    /// A value of the wrong type or shape.
    WrongType,
    /// A value its field does not allow.
    InvalidValue,
    /// A required field is absent.
    Missing,
    /// Inputs that contradict each other, or one thing given twice.
    Conflict,
    /// An overlay patch that cannot be applied as written.
    Patch,
    /// A rendered or added object that its type or schema does not accept.
    InvalidObject,
    /// The output directory cannot be written as asked.
    Output,
}

/// A place in a user's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// How the file is named to the user: the path as given, `builtin:NAME`, or the
    /// environment variable that held the text.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Characters to underline from `column` (at least one).
    pub width: usize,
    /// The source line the position points into, when the input has text.
    pub line_text: Option<String>,
}

impl Label {
    /// A position without source text (the file itself, a command-line value).
    pub fn file(file: impl Into<String>) -> Label {
        Label {
            file: file.into(),
            line: 1,
            column: 1,
            width: 1,
            line_text: None,
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem in the user's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub kind: Kind,
    pub message: String,
    /// Where it is, when the input has positions (boxed: diagnostics travel in `Result`s).
    pub label: Option<Box<Label>>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(kind: Kind, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            kind,
            message: message.into(),
            label: None,
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Positions the diagnostic, unless it already has a position (the innermost one wins:
    /// a problem inside a named file points into that file, not at the name).
    pub fn at(mut self, label: Label) -> Diagnostic {
        if self.label.is_none() {
            self.label = Some(Box::new(label));
        }
        self
    }

    /// Positions the diagnostic even when it has a position already.
    pub fn relabel(mut self, label: Label) -> Diagnostic {
        self.label = Some(Box::new(label));
        self
    }

    /// Prepends to the help text (or sets it).
    pub fn help_prefix(mut self, prefix: &str) -> Diagnostic {
        self.help = Some(match self.help.take() {
            Some(help) => format!("{prefix}; {help}"),
            None => prefix.to_owned(),
        });
        self
    }

    /// Appends to the help text (or sets it).
    pub fn help_suffix(mut self, suffix: &str) -> Diagnostic {
        self.help = Some(match self.help.take() {
            Some(help) => format!("{help}{suffix}"),
            None => suffix.trim_start_matches([';', ' ']).to_owned(),
        });
        self
    }
}

/// At most this many characters of a user's value are quoted back in a message: a 10 MiB value
/// must not come back as a 10 MiB error.
const SHOWN_CHARS: usize = 120;

/// A user's value as a message quotes it: control characters escaped, long values cut.
pub fn shown(value: &str) -> String {
    let mut out = String::new();
    for (index, c) in value.chars().enumerate() {
        if index == SHOWN_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The name of a value's type in messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Width of the token at `column` (1-based, characters) of `line`: a quoted scalar up to its
/// closing quote, a key up to its `:`, else up to the next blank or comment.
pub fn token_width(line: &str, column: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(column.saturating_sub(1)).collect();
    let width = match rest.first() {
        Some(quote @ ('"' | '\'')) => {
            // Up to the closing quote: in a double-quoted scalar `\"` does not close it.
            let mut escaped = false;
            rest[1..]
                .iter()
                .position(|c| {
                    let closes = c == quote && !escaped;
                    escaped = *quote == '"' && *c == '\\' && !escaped;
                    closes
                })
                .map_or(rest.len(), |end| end + 2)
        }
        Some(_) => rest
            .iter()
            .position(|c| c.is_whitespace() || *c == ':' || *c == ',' || *c == '#')
            .unwrap_or(rest.len()),
        None => 1,
    };
    width.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_and_control_values_are_cut_and_escaped() {
        assert_eq!(shown("a\nb"), "a\\nb");
        let long = "x".repeat(1000);
        assert_eq!(shown(&long).chars().count(), SHOWN_CHARS + 1);
    }

    #[test]
    fn token_widths() {
        assert_eq!(token_width("  replcias: 3", 3), 8);
        assert_eq!(token_width("tag: \"a b\" # x", 6), 5);
        assert_eq!(token_width("mode: STRICT", 7), 6);
        assert_eq!(token_width("", 1), 1);
        assert_eq!(token_width(r#"hub: "a\"b" # x"#, 6), 6);
    }
}
