//! The journal of a directory write, and recovery from an interrupted one.
//!
//! A write records what it is about to do in `.meshgen-intent` before it creates anything, stages
//! every new file as `.meshgen-new.NAME` beside its target, and commits by renaming the intent to
//! `.meshgen-commit`. Recovery reads whichever record is there: an intent means the write stopped
//! before its commit, and is rolled back (the staged files and the directories it created are
//! removed: the directory is the old render again); a commit means it stopped after, and is
//! rolled forward (every staged file still there is renamed into place, the files no longer
//! rendered are removed, the lock last: the directory is the new render). Both are idempotent, so
//! a kill during recovery is recovered by the next run in turn.
//!
//! The journal is untrusted input like the lock: its paths must be plain relative paths, and
//! recovery only deletes the writer's own reserved names, renames a staged file only onto a
//! missing file or one the current lock owns, and removes only regular files the current lock
//! owns — a tampered journal can do no more than a tampered lock.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::dir::{Entry, Lookup, Tree, split};
use super::lock::{self, LOCK_FILE, is_reserved, is_safe_relative};
use crate::core::diagnostic::{Diagnostic, Kind};
use crate::error::{Error, Result};

/// The record of a write that has not committed.
pub const INTENT: &str = ".meshgen-intent";
/// The record of a write that has committed but not finished.
pub const COMMIT: &str = ".meshgen-commit";
/// Staged files are `.meshgen-new.NAME` beside `NAME`.
const STAGED: &str = ".meshgen-new.";

/// What a write does, as recorded before it does it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    /// The meshgen version that wrote it.
    pub meshgen: String,
    /// Files written (each staged first), in order; the lock is placed last.
    pub write: Vec<String>,
    /// Files the lock owns that are no longer rendered.
    pub remove: Vec<String>,
    /// Directories the write creates, parents first.
    pub mkdir: Vec<String>,
}

impl Journal {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).expect("a journal serialises");
        bytes.push(b'\n');
        bytes
    }

    /// The journal in `bytes`, if it is one whose paths all stay inside the directory.
    fn parse(bytes: &[u8]) -> Option<Journal> {
        let journal: Journal = serde_json::from_slice(bytes).ok()?;
        let plain = |path: &String| is_safe_relative(path) && !is_reserved(path);
        (journal.write.iter().all(plain)
            && journal.remove.iter().all(plain)
            && journal.mkdir.iter().all(plain))
        .then_some(journal)
    }
}

/// The name a file is staged under, in the same directory.
pub fn staged_name(name: &str) -> String {
    format!("{STAGED}{name}")
}

/// What an earlier, interrupted write left in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// Stopped before its commit: recovery rolls it back.
    Intent,
    /// Stopped after its commit: recovery finishes it.
    Commit,
}

impl Pending {
    pub fn record(self) -> &'static str {
        match self {
            Pending::Intent => INTENT,
            Pending::Commit => COMMIT,
        }
    }
}

/// What recovery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The interrupted write had committed; it was finished. The files it changed (all of
    /// them, also those it had placed before it was interrupted).
    Finished {
        written: Vec<String>,
        removed: Vec<String>,
    },
    /// It had not; what it staged was removed.
    RolledBack,
}

fn output_error(message: String, help: &str) -> Error {
    Error::input(Diagnostic::new(Kind::Output, message).help(help.to_owned()))
}

fn inspect(tree: &Tree, name: &str, shown: &Path) -> Result<Entry> {
    tree.root()
        .entry(name)
        .map_err(|e| Error::io("inspect", shown.join(name), e))
}

/// Which record an interrupted write left, if any.
pub fn pending(tree: &Tree, shown: &Path) -> Result<Option<Pending>> {
    Ok(
        match (inspect(tree, INTENT, shown)?, inspect(tree, COMMIT, shown)?) {
            (Entry::Missing, Entry::Missing) => None,
            (_, Entry::Missing) => Some(Pending::Intent),
            _ => Some(Pending::Commit),
        },
    )
}

/// Finishes or rolls back the write an earlier run left interrupted (the caller holds the
/// directory's exclusive lock).
pub fn recover(tree: &mut Tree, shown: &Path) -> Result<Option<Recovery>> {
    let intent = inspect(tree, INTENT, shown)?;
    let commit = inspect(tree, COMMIT, shown)?;
    let damaged = |name: &str, what: &str| {
        output_error(
            format!(
                "`{}` is {what}: an interrupted render left it, or someone changed it",
                shown.join(name).display()
            ),
            "meshgen cannot tell how to finish that render: restore the directory from version control and delete the file",
        )
    };
    match (intent, commit) {
        (Entry::Missing, Entry::Missing) => Ok(None),
        (Entry::Missing, Entry::File { .. }) => {
            let journal = read(tree, COMMIT, shown)?
                .ok_or_else(|| damaged(COMMIT, "not a journal meshgen can read"))?;
            let owned = lock::owned_files(tree, shown)?;
            roll_forward(tree, shown, &journal, &owned)?;
            // What the interrupted write changed, placed by it or now: it never got to say so.
            Ok(Some(Recovery::Finished {
                written: journal.write,
                removed: journal.remove,
            }))
        }
        (Entry::File { .. }, Entry::Missing) => {
            match read(tree, INTENT, shown)? {
                Some(journal) => roll_back(tree, shown, &journal)?,
                // Created before anything else: a torn intent means a kill came before anything
                // was staged (or a power cut lost it, and a staged file it named is replaced
                // when a write stages it again).
                None => {
                    tree.root()
                        .remove_file(INTENT)
                        .map_err(|e| Error::io("remove", shown.join(INTENT), e))?;
                }
            }
            Ok(Some(Recovery::RolledBack))
        }
        (Entry::File { .. }, Entry::File { .. }) => {
            Err(damaged(INTENT, &format!("there together with `{COMMIT}`")))
        }
        (Entry::Missing | Entry::File { .. }, other) => Err(damaged(
            COMMIT,
            &format!("{}, not a file", other.describe()),
        )),
        (other, _) => Err(damaged(
            INTENT,
            &format!("{}, not a file", other.describe()),
        )),
    }
}

fn read(tree: &Tree, name: &str, shown: &Path) -> Result<Option<Journal>> {
    let bytes = tree
        .root()
        .read(name, 64 << 20)
        .map_err(|e| Error::io("read", shown.join(name), e))?;
    Ok(bytes.as_deref().and_then(Journal::parse))
}

/// The directory of `path`, refusing one reached through a link.
fn dir_of<'t>(tree: &'t mut Tree, shown: &Path, path: &str) -> Result<Option<&'t super::dir::Dir>> {
    let (dir, _) = split(path);
    match tree
        .lookup(dir)
        .map_err(|e| Error::io("open", shown.join(dir), e))?
    {
        Lookup::Found(found) => Ok(Some(found)),
        Lookup::Missing { .. } => Ok(None),
        Lookup::Blocked { at, entry } => Err(through(shown, path, &at, entry)),
    }
}

/// `path` goes through `at`, which is not a directory.
pub fn through(shown: &Path, path: &str, at: &str, entry: Entry) -> Error {
    let message = format!(
        "`{}` goes through `{}`, which is {}",
        shown.join(path).display(),
        shown.join(at).display(),
        entry.describe()
    );
    if entry == Entry::Symlink {
        output_error(
            message,
            "meshgen never follows links inside its output directory, so it cannot write or delete anything outside it; remove the link, or restore the directory (and meshgen.lock) from version control",
        )
    } else {
        output_error(
            message,
            "meshgen keeps its files of a component in a directory of that name; move what is there away",
        )
    }
}

/// Places every staged file (the lock last), removes the files no longer rendered, and deletes
/// the commit record. `owned` is what the lock on disk lists. Returns the files placed and
/// removed.
pub fn roll_forward(
    tree: &mut Tree,
    shown: &Path,
    journal: &Journal,
    owned: &BTreeSet<String>,
) -> Result<(Vec<String>, Vec<String>)> {
    let mut written = Vec::new();
    let mut removed = Vec::new();
    let mut touched = BTreeSet::new();
    let (locks, files): (Vec<&String>, Vec<&String>) =
        journal.write.iter().partition(|path| *path == LOCK_FILE);
    for path in files {
        place(tree, shown, path, owned, &mut written, &mut touched)?;
    }
    for path in &journal.remove {
        if !owned.contains(path) {
            continue;
        }
        let Some(dir) = dir_of(tree, shown, path)? else {
            continue;
        };
        let (dir_path, name) = split(path);
        let at = shown.join(path);
        if let Entry::File { .. } = dir.entry(name).map_err(|e| Error::io("inspect", &at, e))? {
            dir.remove_file(name)
                .map_err(|e| Error::io("remove", &at, e))?;
            touched.insert(dir_path.to_owned());
            removed.push(path.clone());
        }
        // Directories that held only meshgen's files go with them.
        let mut dir_path = dir_path;
        while !dir_path.is_empty()
            && tree
                .remove_if_empty(dir_path)
                .map_err(|e| Error::io("remove", shown.join(dir_path), e))?
        {
            touched.remove(dir_path);
            dir_path = split(dir_path).0;
            touched.insert(dir_path.to_owned());
        }
    }
    for path in locks {
        place(tree, shown, path, owned, &mut written, &mut touched)?;
    }
    tree.sync_dirs(&touched)
        .map_err(|e| Error::io("sync", shown, e))?;
    // Not flushed: a commit record a power cut brings back is finished again, with nothing to do.
    tree.root()
        .remove_file(COMMIT)
        .map_err(|e| Error::io("remove", shown.join(COMMIT), e))?;
    Ok((written, removed))
}

/// Renames the staged `path` into place, if it is still staged and its target is missing or
/// owned; a staged file whose target someone else has put there since is removed instead.
fn place(
    tree: &mut Tree,
    shown: &Path,
    path: &str,
    owned: &BTreeSet<String>,
    written: &mut Vec<String>,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
    let Some(dir) = dir_of(tree, shown, path)? else {
        return Ok(());
    };
    let (dir_path, name) = split(path);
    let staged = staged_name(name);
    let at = |n: &str| shown.join(dir_path).join(n);
    match dir
        .entry(&staged)
        .map_err(|e| Error::io("inspect", at(&staged), e))?
    {
        Entry::File { .. } => {}
        // Placed already (or never staged).
        _ => return Ok(()),
    }
    match dir
        .entry(name)
        .map_err(|e| Error::io("inspect", at(name), e))?
    {
        Entry::Missing => {}
        Entry::File { .. } if owned.contains(path) => {}
        // Not meshgen's to replace (someone put it there since): leave it.
        _ => {
            dir.remove_file(&staged)
                .map_err(|e| Error::io("remove", at(&staged), e))?;
            touched.insert(dir_path.to_owned());
            return Ok(());
        }
    }
    dir.rename(&staged, name)
        .map_err(|e| Error::io("rename into place", at(name), e))?;
    touched.insert(dir_path.to_owned());
    written.push(path.to_owned());
    Ok(())
}

/// Removes what an uncommitted write staged and the directories it created, then the intent.
pub fn roll_back(tree: &mut Tree, shown: &Path, journal: &Journal) -> Result<()> {
    let mut touched = BTreeSet::new();
    for path in &journal.write {
        let Some(dir) = dir_of(tree, shown, path)? else {
            continue;
        };
        let (dir_path, name) = split(path);
        let staged = staged_name(name);
        let at = shown.join(dir_path).join(&staged);
        if let Entry::File { .. } = dir
            .entry(&staged)
            .map_err(|e| Error::io("inspect", &at, e))?
        {
            dir.remove_file(&staged)
                .map_err(|e| Error::io("remove", &at, e))?;
            touched.insert(dir_path.to_owned());
        }
    }
    for dir in journal.mkdir.iter().rev() {
        let found = matches!(
            tree.lookup(dir)
                .map_err(|e| Error::io("open", shown.join(dir), e))?,
            Lookup::Found(_)
        );
        if found
            && tree
                .remove_if_empty(dir)
                .map_err(|e| Error::io("remove", shown.join(dir), e))?
        {
            touched.remove(dir.as_str());
            touched.insert(split(dir).0.to_owned());
        }
    }
    tree.sync_dirs(&touched)
        .map_err(|e| Error::io("sync", shown, e))?;
    // Not flushed: an intent a power cut brings back is rolled back again, with nothing to do.
    tree.root()
        .remove_file(INTENT)
        .map_err(|e| Error::io("remove", shown.join(INTENT), e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(path: &str) -> Vec<u8> {
        Journal {
            meshgen: "0".into(),
            write: vec![path.into()],
            remove: vec![],
            mkdir: vec![],
        }
        .to_bytes()
    }

    #[test]
    fn a_journal_names_only_plain_paths_inside_the_directory() {
        assert!(Journal::parse(&journal("istiod/x.yaml")).is_some());
        for path in [
            "../x",
            "/etc/passwd",
            "a//b",
            "a/./b",
            ".meshgen-intent",
            "a/.meshgen-new.b",
        ] {
            assert!(Journal::parse(&journal(path)).is_none(), "{path}");
        }
        // A torn write is no journal.
        let bytes = journal("istiod/x.yaml");
        assert!(Journal::parse(&bytes[..bytes.len() / 2]).is_none());
    }
}
