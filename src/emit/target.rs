//! Which directories `--out` may name. meshgen writes only into a *dedicated* directory: one
//! that is not, does not contain and is not inside a place whose other contents matter more
//! than meshgen's. Resolved to its real location (symlinks in its parents followed, `.`/`..`
//! applied), `--out` is refused when it
//!
//! - is a symbolic link itself (also as `DIR/`): meshgen refuses rather than follows it, since a
//!   link points wherever the checkout resolves it (another clone, another repository, nowhere),
//!   and replacing it would leave its target stale; naming the target is the user's explicit
//!   choice, and costs nothing;
//! - is or contains the working directory, or the project root (`--out .`, `--out "$PWD"`,
//!   `--out ..`, `--out /`) — which also covers the root of the repository one works in;
//! - is inside a `.git` directory, or contains a `.git` anywhere below it (the root of a
//!   repository or worktree, a nested repository, a submodule).
//!
//! Everything else is dedicated: `manifests/` in a repository is the normal case, and so is a
//! directory outside any repository. A missing `--out` is created with its missing parents,
//! like `helm template --output-dir` does. Directories that an older meshgen left beside `--out`
//! when it was killed (`.meshgen-staging-*`, `.meshgen-previous-*`, which may hold a user's
//! files) are found and reported, never touched.

use std::ffi::OsString;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::core::diagnostic::{Diagnostic, Kind};
use crate::error::{Error, Result};

/// A vetted `--out`.
#[derive(Debug, Clone)]
pub struct Target {
    /// As the user gave it (for messages).
    pub shown: PathBuf,
    /// Where it really is: an absolute path whose parents are canonical.
    pub path: PathBuf,
    /// It exists (as a directory).
    pub exists: bool,
}

const HELP: &str = "give --out a directory of its own for meshgen's output, e.g. `--out manifests`: meshgen refuses a directory that holds the working directory, the project root or a Git repository, so its files can never mix into them";

fn refuse(message: String, help: &str) -> Error {
    Error::input(Diagnostic::new(Kind::Output, message).help(help.to_owned()))
}

/// Resolves and vets `out`; `project_root` (canonical) is refused as well when given.
pub fn resolve(out: &Path, project_root: Option<&Path>) -> Result<Target> {
    let shown = out.to_path_buf();
    let name = || format!("--out `{}`", out.display());
    // `DIR/` and `DIR/.` name DIR itself: without this a link would be resolved by lstat.
    let normalized: PathBuf = out.components().collect();
    if normalized.as_os_str().is_empty() {
        return Err(refuse("--out is empty".into(), HELP));
    }
    // The longest prefix that exists, and the missing components after it.
    let mut existing = normalized.as_path();
    let mut missing: Vec<OsString> = Vec::new();
    loop {
        let probe = if existing.as_os_str().is_empty() {
            Path::new(".")
        } else {
            existing
        };
        match fs::symlink_metadata(probe) {
            Ok(_) => break,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                match existing.components().next_back() {
                    Some(Component::Normal(part)) => missing.push(part.to_owned()),
                    _ => {
                        return Err(refuse(
                            format!("{} does not exist", name()),
                            "create the directory it names first, or give a path without `..` after a missing directory",
                        ));
                    }
                }
                existing = existing.parent().unwrap_or(Path::new(""));
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => {
                return Err(refuse(
                    format!("{} cannot be created: a part of its path is a file", name()),
                    "give a directory path; meshgen creates the missing directories of --out, not files in the way",
                ));
            }
            Err(error) => return Err(Error::io("inspect", probe, error)),
        }
    }
    let exists = missing.is_empty();
    let path = if exists {
        let metadata =
            fs::symlink_metadata(&normalized).map_err(|e| Error::io("inspect", &normalized, e))?;
        if metadata.file_type().is_symlink() {
            let to = fs::read_link(&normalized)
                .map(|to| format!(" (to `{}`)", to.display()))
                .unwrap_or_default();
            return Err(refuse(
                format!("{} is a symbolic link{to}", name()),
                "meshgen writes only into a real directory, never through or over a link: give the directory the link points to as --out, or replace the link by a directory",
            ));
        }
        if !metadata.is_dir() {
            return Err(refuse(
                format!("{} is a file, not a directory", name()),
                "give a directory path (it is created if missing)",
            ));
        }
        normalized
            .canonicalize()
            .map_err(|e| Error::io("resolve", &normalized, e))?
    } else {
        let probe = if existing.as_os_str().is_empty() {
            Path::new(".")
        } else {
            existing
        };
        if !probe.is_dir() {
            return Err(refuse(
                format!(
                    "{} cannot be created: `{}` is a file",
                    name(),
                    probe.display()
                ),
                "give a directory path; meshgen creates the missing directories of --out, not files in the way",
            ));
        }
        let mut path = probe
            .canonicalize()
            .map_err(|e| Error::io("resolve", probe, e))?;
        path.extend(missing.iter().rev());
        path
    };
    vet(out, &path, exists, project_root)?;
    Ok(Target {
        shown,
        path,
        exists,
    })
}

/// The nearest directory at or above `dir` that holds a `.git`.
fn repository_root(dir: &Path) -> Option<&Path> {
    dir.ancestors()
        .find(|ancestor| fs::symlink_metadata(ancestor.join(".git")).is_ok())
}

fn vet(out: &Path, path: &Path, exists: bool, project_root: Option<&Path>) -> Result<()> {
    let name = format!("--out `{}`", out.display());
    if let Some(git) = path
        .ancestors()
        .find(|ancestor| ancestor.file_name().is_some_and(|n| n == ".git"))
    {
        return Err(refuse(
            format!("{name} is inside the Git directory `{}`", git.display()),
            HELP,
        ));
    }
    let cwd = std::env::current_dir()
        .and_then(|cwd| cwd.canonicalize())
        .map_err(|e| Error::io("resolve", "the working directory", e))?;
    if cwd.starts_with(path) {
        let what = if repository_root(&cwd) == Some(path) {
            "is the root of the repository you are working in"
        } else if cwd == path {
            "is the working directory"
        } else {
            "contains the working directory"
        };
        return Err(refuse(
            format!("{name} {what} (`{}`)", path.display()),
            HELP,
        ));
    }
    if let Some(root) = project_root
        && root.starts_with(path)
    {
        let what = if root == path { "is" } else { "contains" };
        return Err(refuse(
            format!("{name} {what} the project root `{}`", root.display()),
            HELP,
        ));
    }
    if exists && let Some(git) = find_git(path) {
        return Err(refuse(
            format!("{name} contains a Git repository (`{}`)", git.display()),
            HELP,
        ));
    }
    Ok(())
}

/// The first `.git` at or below `dir` (links are not followed).
fn find_git(dir: &Path) -> Option<PathBuf> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|entry| entry.ok())
        .find(|entry| entry.file_name() == ".git")
        .map(|entry| entry.into_path())
}

/// Directories an older meshgen's writer left beside `target` when it was interrupted: it
/// staged the whole directory as `.meshgen-staging-*` and moved the old one to
/// `.meshgen-previous-*`, either of which may hold files of the user's.
pub fn legacy_leftovers(target: &Target) -> Vec<PathBuf> {
    let Some(parent) = target.path.parent() else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let shown_parent = target.shown.parent().unwrap_or(Path::new(""));
    let mut found: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            (name.starts_with(".meshgen-staging-") || name.starts_with(".meshgen-previous-"))
                && entry.file_type().is_ok_and(|kind| kind.is_dir())
        })
        .map(|entry| shown_parent.join(entry.file_name()))
        .collect();
    found.sort();
    found
}
