//! The project root: the one directory meshgen reads from. Every file a profile or overlay names
//! must resolve (symlinks followed) inside it, so a render never depends on files outside the
//! repository it describes — Argo CD's repo-server and CI see exactly what the author saw.

use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, Error, Result};

/// The directory all inputs must live in.
#[derive(Debug, Clone)]
pub struct ProjectRoot {
    /// As given (for messages).
    shown: PathBuf,
    /// Canonical form (for containment checks).
    canonical: PathBuf,
}

impl ProjectRoot {
    pub fn new(dir: &Path) -> Result<ProjectRoot> {
        let canonical = dir
            .canonicalize()
            .map_err(|source| Error::io("open the project root", dir, source))?;
        Ok(ProjectRoot {
            shown: dir.to_path_buf(),
            canonical,
        })
    }

    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// The canonical form of `path` when it exists.
    pub fn canonical(&self, path: &Path) -> Option<PathBuf> {
        path.canonicalize().ok()
    }

    /// `path` relative to the root, with `/` separators, when it exists inside it: how lock
    /// files name inputs, so they do not depend on the working directory.
    pub fn relative_name(&self, path: &Path) -> Option<String> {
        let canonical = path.canonicalize().ok()?;
        let relative = canonical.strip_prefix(&self.canonical).ok()?;
        Some(relative.to_string_lossy().replace('\\', "/"))
    }

    /// Checks that `path` exists inside the root and returns its canonical form; `what` names
    /// the kind of file in messages ("profile", "overlay", "CRD bundle").
    pub fn resolve(&self, path: &Path, what: &str) -> std::result::Result<PathBuf, Diagnostic> {
        let canonical = path.canonicalize().map_err(|_| {
            Diagnostic::new(format!("{what} `{}` does not exist", path.display())).help(format!(
                "check the path; it is relative to {}",
                relative_base(path)
            ))
        })?;
        if !canonical.starts_with(&self.canonical) {
            return Err(Diagnostic::new(format!(
                "{what} `{}` is outside the project root `{}`",
                path.display(),
                self.shown.display()
            ))
            .help("meshgen reads only files inside the project (symlinks included); copy the file into the repository or run from a directory that contains it (--root)"));
        }
        Ok(canonical)
    }

    /// Reads a UTF-8 file inside the root.
    pub fn read_to_string(
        &self,
        path: &Path,
        what: &str,
    ) -> std::result::Result<String, Diagnostic> {
        let canonical = self.resolve(path, what)?;
        if canonical.is_dir() {
            return Err(
                Diagnostic::new(format!("{what} `{}` is a directory", path.display())).help(
                    format!(
                        "name the {what} file itself, e.g. `{}`",
                        path.join("meshgen.yaml").display()
                    ),
                ),
            );
        }
        let bytes = std::fs::read(&canonical).map_err(|error| {
            Diagnostic::new(format!("cannot read {what} `{}`: {error}", path.display()))
        })?;
        String::from_utf8(bytes).map_err(|_| {
            Diagnostic::new(format!("{what} `{}` is not UTF-8 text", path.display()))
                .help("save the file as UTF-8")
        })
    }
}

fn relative_base(path: &Path) -> &'static str {
    if path.is_absolute() {
        "the file system root"
    } else {
        "the working directory or the file that names it"
    }
}

/// Drops `.` components (`dir/./a.yaml` → `dir/a.yaml`) so messages show paths as people write
/// them. `..` stays: resolving it lexically would be wrong through symlinks.
pub fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}
