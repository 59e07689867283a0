//! `meshgen check`: is the committed output directory still what meshgen would write? Byte-exact,
//! per file, with a unified diff for each changed one; the lock says which files are meshgen's.
//! Writes nothing.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use super::text::unified_diff;
use crate::core::diagnostic::{Diagnostic, Kind};
use crate::emit::OutputFile;
use crate::emit::lock::{self, LOCK_FILE};
use crate::error::{Error, Result};

/// How an output directory differs from a fresh render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    /// Files whose contents differ, with a unified diff (on disk → rendered).
    pub changed: Vec<(String, String)>,
    /// Files render would create.
    pub missing: Vec<String>,
    /// Files the lock says meshgen owns that render would delete.
    pub extra: Vec<String>,
    /// Files render would have to overwrite although meshgen does not own them.
    pub foreign: Vec<String>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.foreign.is_empty()
    }

    /// The report: a unified diff per changed file, then the lists. `out` prefixes paths.
    pub fn report(&self, out: &Path) -> String {
        let show = |path: &str| out.join(path).display().to_string();
        let mut text = String::new();
        for (path, diff) in &self.changed {
            let _ = writeln!(text, "--- {}", show(path));
            let _ = writeln!(text, "+++ {} (rendered)", show(path));
            text.push_str(diff);
        }
        for path in &self.missing {
            let _ = writeln!(text, "missing: {} (render would create it)", show(path));
        }
        for path in &self.extra {
            let _ = writeln!(
                text,
                "extra: {} (listed in {}, no longer rendered: render would delete it)",
                show(path),
                LOCK_FILE
            );
        }
        for path in &self.foreign {
            let _ = writeln!(
                text,
                "conflict: {} (differs, and meshgen does not own it: render would refuse to overwrite it)",
                show(path)
            );
        }
        text
    }

    /// One line: how many files differ, and how.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (count, what) in [
            (self.changed.len(), "changed"),
            (self.missing.len(), "missing"),
            (self.extra.len(), "extra"),
            (self.foreign.len(), "in conflict"),
        ] {
            if count > 0 {
                parts.push(format!("{count} {what}"));
            }
        }
        parts.join(", ")
    }
}

/// Compares the directory `out` with `plan` (what render would write) without writing.
pub fn check_directory(out: &Path, plan: &[OutputFile]) -> Result<Drift> {
    if out.exists() && !out.is_dir() {
        return Err(Error::input(
            Diagnostic::new(
                Kind::Output,
                format!("--out `{}` is a file, not a directory", out.display()),
            )
            .help("name the directory `meshgen render --out` writes"),
        ));
    }
    let owned = lock::owned_files(out)?;
    let mut drift = Drift::default();
    let planned: BTreeSet<&str> = plan.iter().map(|f| f.path.as_str()).collect();
    for file in plan {
        let path = out.join(&file.path);
        // Read like any input: a FIFO or device where a file belongs must not block `check`.
        match crate::core::paths::read_existing(&path).map_err(Error::input)? {
            Some(existing) if existing == file.contents.as_bytes() => {}
            Some(existing) => {
                if owned.contains(&file.path) {
                    let old = String::from_utf8_lossy(&existing);
                    drift
                        .changed
                        .push((file.path.clone(), unified_diff(&old, &file.contents, 3)));
                } else {
                    drift.foreign.push(file.path.clone());
                }
            }
            None => drift.missing.push(file.path.clone()),
        }
    }
    for path in owned {
        if !planned.contains(path.as_str()) && out.join(&path).exists() {
            drift.extra.push(path);
        }
    }
    Ok(drift)
}
