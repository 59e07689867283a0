//! Writing the output directory: file by file, each through a staged copy renamed into place,
//! under a journal that makes the whole write all-or-nothing across a crash ([`super::journal`]),
//! through descriptors that never follow a link ([`super::dir`]), holding an exclusive lock on
//! the directory. Files the lock does not list are never opened for writing, moved, copied or
//! deleted; owned files whose contents are already right are not touched either.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::dir::{self, Dir, Entry, Lookup, Sync, Tree, split};
use super::journal::{self, COMMIT, INTENT, Journal, Recovery, staged_name};
use super::lock::owned_files;
use super::plan::OutputFile;
use super::target::{self, Target};
use crate::core::diagnostic::{Diagnostic, Kind};
use crate::error::{Error, Result};

/// What a directory write changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or whose contents changed (also by finishing an interrupted write).
    pub written: Vec<String>,
    /// Owned files no longer rendered, removed.
    pub removed: Vec<String>,
    /// What was done first about an interrupted earlier write, if there was one.
    pub recovery: Option<Recovery>,
    /// Directories an older meshgen left beside the output directory (reported, not touched).
    pub leftovers: Vec<PathBuf>,
}

impl WriteReport {
    pub fn changed(&self) -> bool {
        !self.written.is_empty() || !self.removed.is_empty()
    }
}

/// What a write must do to turn the directory into the plan.
#[derive(Debug, Default)]
struct Changes<'p> {
    write: Vec<&'p OutputFile>,
    remove: Vec<String>,
    /// Directories to create, parents first.
    mkdir: Vec<String>,
    /// Planned files with a staged copy beside them that no journal names: a power cut kept it
    /// and lost its intent. Staging replaces those it writes; the others are removed.
    orphans: Vec<String>,
}

fn output_error(message: String, help: &str) -> Error {
    Error::input(Diagnostic::new(Kind::Output, message).help(help.to_owned()))
}

/// Writes `plan` into `out` (created with its parents if missing): see [`super`] for how.
/// `project_root` (canonical) is one of the directories `out` must not be or contain. Nothing
/// is written when nothing changed.
pub fn write_directory(
    out: &Path,
    plan: &[OutputFile],
    project_root: &Path,
) -> Result<WriteReport> {
    let target = target::resolve(out, Some(project_root))?;
    let mut report = WriteReport {
        leftovers: target::legacy_leftovers(&target),
        ..WriteReport::default()
    };
    if !target.exists {
        fs::create_dir_all(&target.path).map_err(|e| Error::io("create", out, e))?;
    }
    let mut tree = open(&target)?;
    tree.root()
        .lock_exclusive()
        .map_err(|e| Error::io("lock", out, e))?;
    report.recovery = journal::recover(&mut tree, out)?;
    let owned = owned_files(&tree, out)?;
    let changes = compare(&mut tree, out, plan, &owned)?;
    report.written = changes.write.iter().map(|f| f.path.clone()).collect();
    report.removed = changes.remove.clone();
    remove_orphans(&mut tree, out, &changes)?;
    if !changes.write.is_empty() || !changes.remove.is_empty() {
        apply(&mut tree, out, &changes, &owned)?;
    }
    if let Some(Recovery::Finished { written, removed }) = &report.recovery {
        merge(&mut report.written, written);
        merge(&mut report.removed, removed);
    }
    dir::report_steps();
    Ok(report)
}

/// Only the first step of a write: finishes or rolls back an interrupted write into `out`, if
/// there is one (the crash test checks with it that recovery alone restores a whole render).
pub fn recover(out: &Path) -> Result<Option<Recovery>> {
    let target = target::resolve(out, None)?;
    if !target.exists {
        return Ok(None);
    }
    let mut tree = open(&target)?;
    tree.root()
        .lock_exclusive()
        .map_err(|e| Error::io("lock", out, e))?;
    journal::recover(&mut tree, out)
}

/// Adds the files of `more` that `list` does not name yet.
fn merge(list: &mut Vec<String>, more: &[String]) {
    for path in more {
        if !list.contains(path) {
            list.push(path.clone());
        }
    }
}

/// Opens the vetted directory; a link that replaced it since it was vetted is refused.
pub fn open(target: &Target) -> Result<Tree> {
    let dir = Dir::open(&target.path).map_err(|error| {
        if error.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
            output_error(
                format!("--out `{}` is a symbolic link", target.shown.display()),
                "meshgen writes only into a real directory: give the directory the link points to",
            )
        } else {
            Error::io("open", &target.shown, error)
        }
    })?;
    Ok(Tree::new(dir))
}

/// Compares `plan` with the directory: what a write must change. Refuses, before anything is
/// written, to replace a file meshgen does not own, to go through a link, or to replace or
/// delete anything but a regular file.
fn compare<'p>(
    tree: &mut Tree,
    out: &Path,
    plan: &'p [OutputFile],
    owned: &BTreeSet<String>,
) -> Result<Changes<'p>> {
    let planned: BTreeSet<&str> = plan.iter().map(|f| f.path.as_str()).collect();
    let mut changes = Changes::default();
    let not_a_file = |path: &str, entry: Entry| {
        output_error(
            format!(
                "`{}` is {}, not a file meshgen wrote",
                out.join(path).display(),
                entry.describe()
            ),
            "meshgen replaces and deletes only regular files its lock lists; move it away, or restore the directory from version control",
        )
    };
    for file in plan {
        let (dir_path, name) = split(&file.path);
        let dir = match tree
            .lookup(dir_path)
            .map_err(|e| Error::io("open", out.join(dir_path), e))?
        {
            Lookup::Found(dir) => dir,
            Lookup::Missing { missing } => {
                let mut path = missing.clone();
                loop {
                    if !changes.mkdir.contains(&path) {
                        changes.mkdir.push(path.clone());
                    }
                    if path == dir_path {
                        break;
                    }
                    let next = dir_path[path.len() + 1..]
                        .split('/')
                        .next()
                        .unwrap_or_default();
                    path = format!("{path}/{next}");
                }
                changes.write.push(file);
                continue;
            }
            Lookup::Blocked { at, entry } => {
                return Err(journal::through(out, &file.path, &at, entry));
            }
        };
        let at = out.join(&file.path);
        let staged = staged_name(name);
        // A regular file there is meshgen's (see `stage`); anything else is not for it to replace.
        match dir
            .entry(&staged)
            .map_err(|e| Error::io("inspect", out.join(dir_path).join(&staged), e))?
        {
            Entry::Missing => {}
            Entry::File { .. } => changes.orphans.push(file.path.clone()),
            entry => {
                return Err(output_error(
                    format!(
                        "`{}` is {}, but the name is meshgen's for a file it is writing",
                        out.join(dir_path).join(&staged).display(),
                        entry.describe()
                    ),
                    "names starting with `.meshgen-` in the output directory are meshgen's; move it away",
                ));
            }
        }
        match dir.entry(name).map_err(|e| Error::io("inspect", &at, e))? {
            Entry::Missing => changes.write.push(file),
            Entry::File { len } => {
                let same = len == file.contents.len() as u64
                    && dir
                        .read(name, len)
                        .map_err(|e| Error::io("read", &at, e))?
                        .is_some_and(|bytes| bytes == file.contents.as_bytes());
                if same {
                    continue;
                }
                if !owned.contains(&file.path) {
                    return Err(output_error(
                        format!("`{}` exists and meshgen does not own it", at.display()),
                        "meshgen only replaces files its lock lists; move the file away or choose another --out directory",
                    ));
                }
                changes.write.push(file);
            }
            entry => return Err(not_a_file(&file.path, entry)),
        }
    }
    for path in owned {
        if planned.contains(path.as_str()) {
            continue;
        }
        let (dir_path, name) = split(path);
        let dir = match tree
            .lookup(dir_path)
            .map_err(|e| Error::io("open", out.join(dir_path), e))?
        {
            Lookup::Found(dir) => dir,
            Lookup::Missing { .. } => continue,
            Lookup::Blocked { at, entry } => return Err(journal::through(out, path, &at, entry)),
        };
        match dir
            .entry(name)
            .map_err(|e| Error::io("inspect", out.join(path), e))?
        {
            Entry::Missing => {}
            Entry::File { .. } => changes.remove.push(path.clone()),
            entry => return Err(not_a_file(path, entry)),
        }
    }
    Ok(changes)
}

/// Removes the orphaned staged copies of files this write does not stage again.
fn remove_orphans(tree: &mut Tree, out: &Path, changes: &Changes<'_>) -> Result<()> {
    for path in &changes.orphans {
        if changes.write.iter().any(|f| &f.path == path) {
            continue;
        }
        let (dir_path, name) = split(path);
        let staged = staged_name(name);
        if let Lookup::Found(dir) = tree
            .lookup(dir_path)
            .map_err(|e| Error::io("open", out.join(dir_path), e))?
        {
            dir.remove_file(&staged)
                .map_err(|e| Error::io("remove", out.join(dir_path).join(&staged), e))?;
        }
    }
    Ok(())
}

/// Carries out `changes`: the intent, the staged files (all flushed), the commit, then placing
/// them (see [`journal`]). An error before the commit rolls back what was staged; after it, the
/// next run finishes the write.
fn apply(
    tree: &mut Tree,
    out: &Path,
    changes: &Changes<'_>,
    owned: &BTreeSet<String>,
) -> Result<()> {
    let journal = Journal {
        meshgen: env!("CARGO_PKG_VERSION").to_owned(),
        write: changes.write.iter().map(|f| f.path.clone()).collect(),
        remove: changes.remove.clone(),
        mkdir: changes.mkdir.clone(),
    };
    // Created first, so that a kill finds it whatever else was created; flushed together with
    // the staged files.
    let intent = tree
        .root()
        .write_new(INTENT, &journal.to_bytes())
        .map_err(|e| Error::io("write", out.join(INTENT), e))?;
    if let Err(error) = stage(tree, out, changes, intent) {
        // Best effort: what is left is rolled back by the next run.
        let _ = journal::roll_back(tree, out, &journal);
        return Err(error);
    }
    let root = tree.root();
    root.rename(INTENT, COMMIT)
        .map_err(|e| Error::io("commit the write in", out, e))?;
    root.sync().map_err(|e| Error::io("sync", out, e))?;
    journal::roll_forward(tree, out, &journal, owned).map_err(|error| match error {
        Error::Io {
            action,
            path,
            source,
        } => Error::Io {
            action,
            path,
            source: std::io::Error::new(
                source.kind(),
                format!("{source} (the write had committed: the next `meshgen render --out` finishes it)"),
            ),
        },
        other => other,
    })?;
    Ok(())
}

/// Staged files written before they are flushed together.
const STAGE_BATCH: usize = 256;

/// Creates the new directories and every staged file, then flushes them, the intent and the
/// directories that hold them, all at once, so the commit never refers to anything a power cut
/// could lose. A staged file already there is one a power cut kept while it lost its intent
/// (names starting with `.meshgen-` are meshgen's): it is replaced.
fn stage(tree: &mut Tree, out: &Path, changes: &Changes<'_>, intent: File) -> Result<()> {
    let mut dirty = BTreeSet::from([String::new()]);
    for dir in &changes.mkdir {
        tree.create(dir)
            .map_err(|e| Error::io("create", out.join(dir), e))?;
        dirty.insert(split(dir).0.to_owned());
    }
    // In batches, so that a render of many thousand files never holds more than a few hundred
    // descriptors open; the last batch is flushed with the intent and the directories.
    let mut batches: Vec<&[&OutputFile]> = changes.write.chunks(STAGE_BATCH).collect();
    if batches.is_empty() {
        // Only removals (a lock always changes with them; this keeps the flush regardless).
        batches.push(&[]);
    }
    for (index, batch) in batches.iter().enumerate() {
        let mut staged_files = Vec::with_capacity(batch.len());
        for file in *batch {
            let (dir_path, name) = split(&file.path);
            let staged = staged_name(name);
            let at = || out.join(dir_path).join(&staged);
            let Lookup::Found(dir) = tree
                .lookup(dir_path)
                .map_err(|e| Error::io("open", out.join(dir_path), e))?
            else {
                return Err(Error::io(
                    "open",
                    out.join(dir_path),
                    std::io::Error::from(std::io::ErrorKind::NotFound),
                ));
            };
            if let Entry::File { .. } = dir
                .entry(&staged)
                .map_err(|e| Error::io("inspect", at(), e))?
            {
                dir.remove_file(&staged)
                    .map_err(|e| Error::io("remove", at(), e))?;
            }
            let written = dir
                .write_new(&staged, file.contents.as_bytes())
                .map_err(|e| Error::io("write", at(), e))?;
            staged_files.push(written);
            dirty.insert(dir_path.to_owned());
        }
        let mut flush: Vec<(&File, Sync)> = staged_files.iter().map(|f| (f, Sync::Data)).collect();
        if index + 1 == batches.len() {
            flush.push((&intent, Sync::Data));
            flush.extend(dirty.iter().map(|dir| (tree.get(dir).as_file(), Sync::All)));
        }
        dir::sync_all(&flush).map_err(|e| Error::io("sync the files staged in", out, e))?;
    }
    Ok(())
}
