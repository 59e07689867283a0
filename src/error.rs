//! The ways a meshgen command can fail, as values: input problems (one or several
//! [`Diagnostic`]s, each with its kind and position), I/O failures on the output side, a
//! built-in template that fails (a meshgen bug), and a render the analyzers reject (the
//! [`Report`] itself, not its text). Nothing here prints; `cli::report` renders errors and
//! decides exit codes.

use std::path::PathBuf;

use crate::core::diagnostic::{Diagnostic, Kind};
use crate::lint::Report;

/// Everything that stops a meshgen command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The profile, an overlay or another input the user wrote is wrong.
    #[error("{}", .0.message)]
    Input(Box<Diagnostic>),
    /// Several independent input problems, reported together.
    #[error("{} problems in the input", .0.len())]
    Inputs(Vec<Diagnostic>),
    /// Writing or reading meshgen's own output failed.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A built-in template failed: a bug in meshgen, not in the user's input.
    #[error("internal error in template `{template}`: {message}")]
    Template { template: String, message: String },
    /// The analyzers found errors in a render that must not go ahead.
    #[error("the analyzers found errors")]
    Lint(Box<Report>),
}

impl Error {
    pub fn input(diagnostic: Diagnostic) -> Error {
        Error::Input(Box::new(diagnostic))
    }

    /// One or several diagnostics as one error.
    pub fn inputs(mut diagnostics: Vec<Diagnostic>) -> Error {
        if diagnostics.len() == 1 {
            Error::input(diagnostics.remove(0))
        } else {
            Error::Inputs(diagnostics)
        }
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The diagnostics of an input error (empty for other errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Input(diagnostic) => std::slice::from_ref(diagnostic),
            Error::Inputs(diagnostics) => diagnostics,
            _ => &[],
        }
    }

    /// True when this is exactly one input problem of `kind`.
    pub fn is_input(&self, kind: Kind) -> bool {
        matches!(self, Error::Input(diagnostic) if diagnostic.kind == kind)
    }

    /// Applies `change` to every diagnostic of an input error.
    pub fn map_diagnostics(self, change: impl Fn(Diagnostic) -> Diagnostic) -> Error {
        match self {
            Error::Input(diagnostic) => Error::input(change(*diagnostic)),
            Error::Inputs(diagnostics) => {
                Error::Inputs(diagnostics.into_iter().map(change).collect())
            }
            other => other,
        }
    }
}

impl From<Diagnostic> for Error {
    fn from(diagnostic: Diagnostic) -> Error {
        Error::input(diagnostic)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
