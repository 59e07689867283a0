//! `meshgen diff OLD NEW`: two renders compared object by object.

use std::path::{Path, PathBuf};

use super::Outcome;
use super::report::Printer;
use crate::compare::{self, Manifests};
use crate::core::paths;
use crate::error::{Error, Result};

pub const EXAMPLES: &str = "\
Examples:
  meshgen render default > before.yaml
  meshgen render meshgen.yaml > after.yaml
  meshgen diff before.yaml after.yaml              object by object; exit 1 when they differ
  meshgen diff manifests/ after.yaml               a directory written by `render --out` works too
  meshgen render meshgen.yaml | meshgen diff manifests/ -";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The render before.
    pub old: PathBuf,
    /// The render after.
    pub new: PathBuf,
}

pub fn run(args: &Args, printer: &Printer) -> Result<Outcome> {
    let changes = compare::diff_objects(&read(&args.old)?, &read(&args.new)?)?;
    if changes.is_empty() {
        return Ok(Outcome::Clean);
    }
    printer.stdout(&changes.report())?;
    Ok(Outcome::Findings)
}

/// A directory, a YAML file, or `-` for standard input.
pub fn read(path: &Path) -> Result<Manifests> {
    if path != Path::new("-") {
        return Manifests::from_path(path);
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::io::stdin().lock(), paths::MAX_FILE_BYTES + 1),
        &mut bytes,
    )
    .map_err(|e| Error::io("read", "standard input", e))?;
    if bytes.len() as u64 > paths::MAX_FILE_BYTES {
        return Err(Error::input(crate::core::diagnostic::Diagnostic::new(
            crate::core::diagnostic::Kind::Budget,
            format!(
                "standard input is larger than {} MiB",
                paths::MAX_FILE_BYTES >> 20
            ),
        )));
    }
    let text = paths::utf8(bytes, "standard input", "input").map_err(Error::input)?;
    Manifests::from_stream("standard input", &text)
}
