//! `meshgen check`: is the committed output directory still what meshgen would write? Byte-exact,
//! per file, with a unified diff for each changed one; the lock says which files are meshgen's.
//! A render that was interrupted (its journal is still there, or an older meshgen's staging
//! directories sit beside `--out`) is reported too, since the directory is then not a render at
//! all. Writes nothing: it reads the way the writer does (no links followed, the same `--out`
//! refusals) and waits for a render in progress instead of reading half of it.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::text::unified_diff;
use crate::core::paths;
use crate::emit::OutputFile;
use crate::emit::dir::{Entry, Lookup, split};
use crate::emit::journal::{self, Pending};
use crate::emit::lock::{self, LOCK_FILE};
use crate::emit::{target, write};
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
    /// A render into the directory was interrupted and left its journal (render recovers it).
    pub interrupted: Option<Pending>,
    /// Directories an older meshgen left beside the directory when it was interrupted.
    pub leftovers: Vec<PathBuf>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.foreign.is_empty()
            && self.interrupted.is_none()
            && self.leftovers.is_empty()
    }

    /// The report: a unified diff per changed file, then the lists. `out` prefixes paths.
    pub fn report(&self, out: &Path) -> String {
        let show = |path: &str| out.join(path).display().to_string();
        let mut text = String::new();
        match self.interrupted {
            Some(Pending::Intent) => {
                let _ = writeln!(
                    text,
                    "interrupted: {} (a render stopped before it committed; render rolls it back, then writes)",
                    show(journal::INTENT)
                );
            }
            Some(Pending::Commit) => {
                let _ = writeln!(
                    text,
                    "interrupted: {} (a render stopped half-way through placing its files; render finishes it)",
                    show(journal::COMMIT)
                );
            }
            None => {}
        }
        for leftover in &self.leftovers {
            let _ = writeln!(
                text,
                "interrupted: {} (left by an older meshgen killed during a render; it may hold files of yours: move them back, then delete it)",
                leftover.display()
            );
        }
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
        if self.interrupted.is_some() || !self.leftovers.is_empty() {
            parts.push("an interrupted render".to_owned());
        }
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
    let target = target::resolve(out, None)?;
    let mut drift = Drift {
        leftovers: target::legacy_leftovers(&target),
        ..Drift::default()
    };
    if !target.exists {
        drift.missing = plan.iter().map(|f| f.path.clone()).collect();
        return Ok(drift);
    }
    let mut tree = write::open(&target)?;
    tree.root()
        .lock_shared()
        .map_err(|e| Error::io("lock", out, e))?;
    drift.interrupted = journal::pending(&tree, out)?;
    let owned = lock::owned_files(&tree, out)?;
    let planned: BTreeSet<&str> = plan.iter().map(|f| f.path.as_str()).collect();
    for file in plan {
        let (dir_path, name) = split(&file.path);
        let at = out.join(&file.path);
        let dir = match tree
            .lookup(dir_path)
            .map_err(|e| Error::io("open", out.join(dir_path), e))?
        {
            Lookup::Found(dir) => dir,
            Lookup::Missing { .. } => {
                drift.missing.push(file.path.clone());
                continue;
            }
            Lookup::Blocked { .. } => {
                drift.foreign.push(file.path.clone());
                continue;
            }
        };
        match dir.entry(name).map_err(|e| Error::io("inspect", &at, e))? {
            Entry::Missing => drift.missing.push(file.path.clone()),
            Entry::File { len } => {
                let same_length = len == file.contents.len() as u64;
                if !same_length && !owned.contains(&file.path) {
                    drift.foreign.push(file.path.clone());
                    continue;
                }
                let existing = dir
                    .read(name, paths::MAX_FILE_BYTES)
                    .map_err(|e| Error::io("read", &at, e))?;
                if same_length && existing.as_deref() == Some(file.contents.as_bytes()) {
                    continue;
                }
                if owned.contains(&file.path) {
                    let old = match &existing {
                        Some(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                        None => format!("(larger than {} MiB)\n", paths::MAX_FILE_BYTES >> 20),
                    };
                    drift
                        .changed
                        .push((file.path.clone(), unified_diff(&old, &file.contents, 3)));
                } else {
                    drift.foreign.push(file.path.clone());
                }
            }
            // A link, directory or device where meshgen's file belongs: render refuses it.
            _ => drift.foreign.push(file.path.clone()),
        }
    }
    for path in owned {
        if planned.contains(path.as_str()) {
            continue;
        }
        let (dir_path, name) = split(&path);
        if let Lookup::Found(dir) = tree
            .lookup(dir_path)
            .map_err(|e| Error::io("open", out.join(dir_path), e))?
            && dir
                .entry(name)
                .map_err(|e| Error::io("inspect", out.join(&path), e))?
                != Entry::Missing
        {
            drift.extra.push(path);
        }
    }
    Ok(drift)
}
