//! The project root and reading inputs from it. Every file a profile or overlay names must
//! resolve (symlinks followed) inside the root, so a render never depends on files outside the
//! repository it describes — Argo CD's repo-server and CI see exactly what the author saw.
//!
//! The root follows the profile, as helm, kustomize and istioctl follow the path they are
//! given ([`ProjectRoot::for_profile`]): the repository that contains the profile file (the
//! nearest directory above it holding `.git`), else the working directory when the profile is
//! below it, else the profile's own directory; `--root` overrides it, and the Argo CD plugin
//! computes its own, stricter root (`argocd`).
//!
//! Inputs are read the way a careful peer reads them: only regular files (a FIFO, a device or a
//! directory is refused before it is opened, so it can neither block nor stream forever), at
//! most [`MAX_FILE_BYTES`] per file and [`MAX_RENDER_BYTES`] for all files of one render, and
//! UTF-8 only (a bad byte is reported with its line and column).

use std::cell::Cell;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::diagnostic::{Diagnostic, Kind, Label};

/// Largest input file meshgen reads (the Istio CRD bundle is about 1 MiB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Largest total of input files one render reads.
pub const MAX_RENDER_BYTES: u64 = 256 << 20;

/// The directory all inputs must live in.
#[derive(Debug, Clone)]
pub struct ProjectRoot {
    /// As given (for messages).
    shown: PathBuf,
    /// Canonical form (for containment checks).
    canonical: PathBuf,
    /// Bytes read so far through this root.
    read_bytes: Cell<u64>,
}

impl ProjectRoot {
    /// The root at `dir`, which must be an existing directory.
    pub fn new(dir: &Path) -> Result<ProjectRoot, Diagnostic> {
        let canonical = dir.canonicalize().map_err(|error| {
            Diagnostic::new(
                Kind::NotFound,
                format!(
                    "the project root `{}` does not exist: {error}",
                    dir.display()
                ),
            )
            .help("pass an existing directory with --root")
        })?;
        if !canonical.is_dir() {
            return Err(Diagnostic::new(
                Kind::Unreadable,
                format!("the project root `{}` is not a directory", dir.display()),
            )
            .help("--root names the directory every input must live in, not a file"));
        }
        Ok(ProjectRoot {
            shown: dir.to_path_buf(),
            canonical,
            read_bytes: Cell::new(0),
        })
    }

    /// The root of a render of the profile file at `profile` (as named, relative to the
    /// working directory): the nearest directory above it that holds `.git` (a repository, or
    /// a worktree whose `.git` is a file); else the working directory when the profile is below
    /// it; else the directory the profile is in. A profile whose directory does not exist gets
    /// the working directory, so loading it reports the missing file.
    pub fn for_profile(profile: &Path) -> Result<ProjectRoot, Diagnostic> {
        let dir = match profile.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let Ok(canonical) = dir.canonicalize() else {
            return ProjectRoot::new(Path::new("."));
        };
        let cwd = std::env::current_dir()
            .and_then(|cwd| cwd.canonicalize())
            .ok();
        let found = match canonical
            .ancestors()
            .find(|ancestor| std::fs::symlink_metadata(ancestor.join(".git")).is_ok())
        {
            Some(repository) => repository.to_path_buf(),
            // No repository: a profile below the working directory keeps it as the root (a
            // copy without `.git` reads as it did), one elsewhere gets its own directory.
            None => match cwd {
                Some(cwd) if canonical.starts_with(&cwd) => cwd,
                _ => canonical,
            },
        };
        let root = ProjectRoot::new(&found)?;
        Ok(ProjectRoot {
            shown: shown_from_working_directory(&root.canonical),
            ..root
        })
    }

    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// The root's canonical path.
    pub fn canonical_path(&self) -> &Path {
        &self.canonical
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
    pub fn resolve(&self, path: &Path, what: &str) -> Result<PathBuf, Diagnostic> {
        let canonical = path.canonicalize().map_err(|_| {
            Diagnostic::new(
                Kind::NotFound,
                format!("{what} `{}` does not exist", path.display()),
            )
            .help(format!(
                "check the path; it is relative to {}",
                relative_base(path)
            ))
        })?;
        if !canonical.starts_with(&self.canonical) {
            return Err(Diagnostic::new(
                Kind::OutsideRoot,
                format!(
                    "{what} `{}` is outside the project root `{}`",
                    path.display(),
                    self.shown.display()
                ),
            )
            .help("meshgen reads only files inside the project (symlinks included); copy the file into the repository or name a root that contains it (--root)"));
        }
        Ok(canonical)
    }

    /// Reads a UTF-8 regular file inside the root, within the size budgets.
    pub fn read_to_string(&self, path: &Path, what: &str) -> Result<String, Diagnostic> {
        let canonical = self.resolve(path, what)?;
        let text = read_input(&canonical, path, what)?;
        let total = self.read_bytes.get() + text.len() as u64;
        if total > MAX_RENDER_BYTES {
            return Err(Diagnostic::new(
                Kind::Budget,
                format!(
                    "the inputs of this render exceed {} MiB (reading {what} `{}`)",
                    MAX_RENDER_BYTES >> 20,
                    path.display()
                ),
            )
            .help("meshgen limits what one render reads; split the inputs or remove what is not needed"));
        }
        self.read_bytes.set(total);
        Ok(text)
    }
}

/// How messages show `dir`: relative to the working directory when it is the working
/// directory, below it or above it (`.`, `clusters/prod`, `../..`), else absolute.
fn shown_from_working_directory(dir: &Path) -> PathBuf {
    let Some(cwd) = std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.canonicalize().ok())
    else {
        return dir.to_path_buf();
    };
    if let Ok(below) = dir.strip_prefix(&cwd) {
        return if below.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            below.to_path_buf()
        };
    }
    if let Ok(above) = cwd.strip_prefix(dir) {
        return above.components().map(|_| "..").collect();
    }
    dir.to_path_buf()
}

/// Opens a file the caller found to be regular, without blocking if it was swapped for a FIFO
/// since (`O_NONBLOCK` changes nothing for a regular file), and checks the opened file again.
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "it stopped being a regular file while meshgen opened it",
        ));
    }
    Ok(file)
}

/// Reads `canonical` (shown to the user as `path`): a regular file of at most
/// [`MAX_FILE_BYTES`], valid UTF-8. No containment check: callers that need one resolve first.
pub fn read_input(canonical: &Path, path: &Path, what: &str) -> Result<String, Diagnostic> {
    let unreadable = |message: String| Diagnostic::new(Kind::Unreadable, message);
    let metadata = std::fs::metadata(canonical)
        .map_err(|error| unreadable(format!("cannot read {what} `{}`: {error}", path.display())))?;
    if metadata.is_dir() {
        return Err(
            unreadable(format!("{what} `{}` is a directory", path.display())).help(format!(
                "name the {what} file itself, e.g. `{}`",
                path.join("meshgen.yaml").display()
            )),
        );
    }
    if !metadata.is_file() {
        return Err(unreadable(format!(
            "{what} `{}` is not a regular file (a FIFO, socket or device)",
            path.display()
        ))
        .help("meshgen reads inputs only from regular files, so a render can neither block nor read forever"));
    }
    let too_large = || {
        Diagnostic::new(
            Kind::Budget,
            format!(
                "{what} `{}` is larger than {} MiB",
                path.display(),
                MAX_FILE_BYTES >> 20
            ),
        )
        .help("meshgen limits the size of every input file; check that this is the file you meant")
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let file = open_regular(canonical)
        .map_err(|error| unreadable(format!("cannot read {what} `{}`: {error}", path.display())))?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    // The file may grow after the check: never read more than the budget.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| unreadable(format!("cannot read {what} `{}`: {error}", path.display())))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    utf8(bytes, &path.display().to_string(), what)
}

/// `bytes` as text; a byte that is not UTF-8 is reported with its line and column.
pub fn utf8(bytes: Vec<u8>, name: &str, what: &str) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        let valid = error.utf8_error().valid_up_to();
        let line_start = bytes[..valid]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |newline| newline + 1);
        let line = bytes[..valid].iter().filter(|b| **b == b'\n').count() + 1;
        let column = valid - line_start + 1;
        Diagnostic::new(
            Kind::Unreadable,
            format!(
                "{what} `{name}` is not UTF-8 text: byte 0x{:02x} at line {line}, column {column} (byte {column} of the line)",
                bytes[valid]
            ),
        )
        .at(Label {
            file: name.to_owned(),
            line,
            column,
            width: 1,
            line_text: None,
        })
        .help("save the file as UTF-8")
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_utf8_is_positioned() {
        let error = utf8(b"a: 1\nb: \xff\n".to_vec(), "p.yaml", "profile").unwrap_err();
        let label = error.label.unwrap();
        assert_eq!((label.line, label.column), (2, 4));
        assert!(error.message.contains("0xff"), "{}", error.message);
    }

    #[test]
    fn the_root_is_the_repository_of_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("clusters/prod")).unwrap();
        std::fs::write(repo.join(".git"), "gitdir: elsewhere\n").unwrap();
        let root = ProjectRoot::for_profile(&repo.join("clusters/prod/meshgen.yaml")).unwrap();
        assert_eq!(root.canonical_path(), repo.canonicalize().unwrap());
        // Without a repository (and outside the working directory): the profile's directory.
        std::fs::create_dir_all(dir.path().join("plain/sub")).unwrap();
        let root = ProjectRoot::for_profile(&dir.path().join("plain/sub/p.yaml")).unwrap();
        assert_eq!(
            root.canonical_path(),
            dir.path().join("plain/sub").canonicalize().unwrap()
        );
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_before_reading() {
        let root = ProjectRoot::new(Path::new("/dev")).unwrap();
        let error = root
            .read_to_string(Path::new("/dev/zero"), "profile")
            .unwrap_err();
        assert_eq!(error.kind, Kind::Unreadable);
        assert!(ProjectRoot::new(Path::new("/dev/null")).is_err());
    }
}
