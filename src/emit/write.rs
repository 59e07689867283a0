//! Writing the output directory: all of it is staged beside `--out`, then swapped in with
//! renames, so on any failure the previous directory stays as it was. Files the previous lock
//! does not list are carried over; a file meshgen does not own is never overwritten.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::lock::owned_files;
use super::plan::OutputFile;
use crate::core::diagnostic::{Diagnostic, Kind};
use crate::error::{Error, Result};

/// What a directory write changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or whose contents changed.
    pub written: Vec<String>,
    /// Owned files no longer rendered, removed.
    pub removed: Vec<String>,
}

impl WriteReport {
    pub fn changed(&self) -> bool {
        !self.written.is_empty() || !self.removed.is_empty()
    }
}

/// Compares `plan` with the directory (the files the previous lock owns already read): what a
/// write would change.
fn compare_owned(out: &Path, plan: &[OutputFile], owned: &BTreeSet<String>) -> Result<WriteReport> {
    let planned: BTreeSet<&str> = plan.iter().map(|f| f.path.as_str()).collect();
    let mut report = WriteReport::default();
    for file in plan {
        let path = out.join(&file.path);
        match fs::read(&path) {
            Ok(existing) if existing == file.contents.as_bytes() => {}
            Ok(_) if !owned.contains(&file.path) => {
                return Err(Error::input(
                    Diagnostic::new(Kind::Output, format!("`{}` exists and meshgen does not own it", path.display()))
                        .help("meshgen only replaces files its lock lists; move the file away or choose another --out directory"),
                ));
            }
            _ => report.written.push(file.path.clone()),
        }
    }
    for path in owned {
        if !planned.contains(path.as_str()) && out.join(path).exists() {
            report.removed.push(path.clone());
        }
    }
    Ok(report)
}

/// Writes `plan` into `out`. All of it is staged beside `out` first; `out` is then swapped in
/// with renames, so on any failure the previous directory stays as it was. Files the previous
/// lock does not list are carried over untouched. Nothing is written when nothing changed.
pub fn write_directory(out: &Path, plan: &[OutputFile]) -> Result<WriteReport> {
    if out.exists() && !out.is_dir() {
        return Err(Error::input(
            Diagnostic::new(
                Kind::Output,
                format!("--out `{}` is a file, not a directory", out.display()),
            )
            .help("give a directory path (it is created if missing)"),
        ));
    }
    let owned = owned_files(out)?;
    let report = compare_owned(out, plan, &owned)?;
    if !report.changed() {
        return Ok(report);
    }
    let parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::input(
            Diagnostic::new(
                Kind::Output,
                format!("the parent of --out `{}` does not exist", out.display()),
            )
            .help("create the parent directory first"),
        ));
    }
    let staging = tempfile::Builder::new()
        .prefix(".meshgen-staging-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io("create a staging directory in", &parent, e))?;
    if out.is_dir() {
        copy_foreign(out, staging.path(), Path::new(""), &owned)?;
    }
    for file in plan {
        let path = staging.path().join(&file.path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        fs::write(&path, &file.contents).map_err(|e| Error::io("write", &path, e))?;
    }
    swap_in(staging, out, &parent)?;
    Ok(report)
}

/// Copies everything under `from` that meshgen does not own into `to`.
fn copy_foreign(from: &Path, to: &Path, relative: &Path, owned: &BTreeSet<String>) -> Result<()> {
    let dir = from.join(relative);
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .map_err(|e| Error::io("read", &dir, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io("read", &dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let rel = relative.join(entry.file_name());
        let key = rel.to_string_lossy().replace('\\', "/");
        let source = entry.path();
        let target = to.join(&rel);
        let kind = entry
            .file_type()
            .map_err(|e| Error::io("inspect", &source, e))?;
        if kind.is_dir() {
            fs::create_dir_all(&target).map_err(|e| Error::io("create", &target, e))?;
            copy_foreign(from, to, &rel, owned)?;
        } else if !owned.contains(&key) {
            if kind.is_symlink() {
                #[cfg(unix)]
                {
                    let link = fs::read_link(&source).map_err(|e| Error::io("read", &source, e))?;
                    std::os::unix::fs::symlink(link, &target)
                        .map_err(|e| Error::io("copy", &source, e))?;
                }
            } else {
                fs::copy(&source, &target).map_err(|e| Error::io("copy", &source, e))?;
            }
        }
    }
    Ok(())
}

/// Replaces `out` by the staged directory: two renames, undone if the second fails.
fn swap_in(staging: tempfile::TempDir, out: &Path, parent: &Path) -> Result<()> {
    let staged = staging.keep();
    if !out.exists() {
        return fs::rename(&staged, out).map_err(|e| {
            let _ = fs::remove_dir_all(&staged);
            Error::io("move the new output into", out, e)
        });
    }
    // Keep the directory's permissions.
    if let Ok(metadata) = fs::metadata(out) {
        let _ = fs::set_permissions(&staged, metadata.permissions());
    }
    let old = tempfile::Builder::new()
        .prefix(".meshgen-previous-")
        .tempdir_in(parent)
        .map_err(|e| Error::io("create a directory in", parent, e))?
        .keep();
    fs::remove_dir(&old).map_err(|e| Error::io("prepare", &old, e))?;
    fs::rename(out, &old).map_err(|e| {
        let _ = fs::remove_dir_all(&staged);
        Error::io("move aside", out, e)
    })?;
    if let Err(error) = fs::rename(&staged, out) {
        let _ = fs::rename(&old, out);
        let _ = fs::remove_dir_all(&staged);
        return Err(Error::io("move the new output into", out, error));
    }
    let _ = fs::remove_dir_all(&old);
    Ok(())
}
