//! Errors: every way meshgen can fail, each carrying what the user needs to fix it (the file,
//! the position, what to do) and the exit code it maps to. Rendering them for humans happens
//! here too, in one place, so every command reports problems the same way.

use std::fmt;
use std::path::PathBuf;

/// Exit code of a run that found problems in otherwise valid input (drift, lint errors).
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code of bad input, bad usage or an I/O failure.
pub const EXIT_BAD_INPUT: i32 = 2;

/// A place in a user's file: 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub file: PathBuf,
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One problem in the user's input, positioned when the input has positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub position: Option<Position>,
    /// The source line the position points into, for the excerpt.
    pub source_line: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            position: None,
            source_line: None,
            help: None,
        }
    }

    pub fn at(mut self, position: Position, source: Option<&str>) -> Diagnostic {
        self.source_line = source.and_then(|text| {
            let index = usize::try_from(position.line).ok()?.checked_sub(1)?;
            text.lines().nth(index).map(str::to_owned)
        });
        self.position = Some(position);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    /// rustc-style: message, `--> file:line:col`, the source line with a caret, then `help:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        let number = self
            .position
            .as_ref()
            .map(|p| p.line.to_string())
            .unwrap_or_default();
        let gutter = " ".repeat(number.len().max(1));
        if let Some(position) = &self.position {
            write!(f, "\n{gutter}--> {position}")?;
            if let Some(line) = &self.source_line {
                let column = usize::try_from(position.column.saturating_sub(1)).unwrap_or(0);
                // Keep tabs so the caret lines up under tab-indented text.
                let pad: String = line
                    .chars()
                    .take(column)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let carets = "^".repeat(token_width(line, column));
                write!(
                    f,
                    "\n{gutter} |\n{number} | {line}\n{gutter} | {pad}{carets}"
                )?;
            }
        }
        if let Some(help) = &self.help {
            write!(f, "\n{gutter} = help: {help}")?;
        }
        Ok(())
    }
}

/// Width of the token starting at `column` (in characters): up to the next space or `:`.
fn token_width(line: &str, column: usize) -> usize {
    let token = line
        .chars()
        .skip(column)
        .take_while(|c| !c.is_whitespace() && *c != ':')
        .count();
    token.max(1)
}

/// Everything that stops a meshgen command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The profile, an overlay or another input the user wrote is wrong.
    #[error("{0}")]
    Input(Box<Diagnostic>),
    /// Several independent input problems, reported together.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n\n"))]
    Inputs(Vec<Diagnostic>),
    /// Reading or writing a file failed.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A built-in template failed: a bug in meshgen, not in the user's input.
    #[error(
        "internal error in template `{template}`: {message}\n  = help: this is a meshgen bug; please report it with the profile that triggers it"
    )]
    Template { template: String, message: String },
    /// The command ran and found problems (drift, changed output); the report was already printed.
    #[error("{0}")]
    Findings(String),
    /// The analyzers found errors; the text report.
    #[error("{0}")]
    Lint(String),
}

impl Error {
    pub fn input(diagnostic: Diagnostic) -> Error {
        Error::Input(Box::new(diagnostic))
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The process exit code this error maps to.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Findings(_) | Error::Lint(_) => EXIT_FINDINGS,
            _ => EXIT_BAD_INPUT,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}
