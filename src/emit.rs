//! Emitting: the rendered set as one YAML stream, or as a directory — one file per object,
//! grouped by component, a `kustomization.yaml` listing them in apply order, and `meshgen.lock`
//! recording the SHA-256 of every input and every file. Directory writes are all-or-nothing and
//! touch only the files the previous lock says meshgen owns.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::digest::sha256_hex;
use crate::error::{Diagnostic, Error, Result};
use crate::resource::Resource;
use crate::yaml;

pub const LOCK_FILE: &str = "meshgen.lock";
pub const KUSTOMIZATION_FILE: &str = "kustomization.yaml";
const LOCK_HEADER: &str = "# Written by meshgen: the files it owns in this directory and the inputs they came from.\n# Do not edit; `meshgen render --out` rewrites it.\n";

/// One input that went into a render, for the lock file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputDigest {
    /// Path relative to the project root, or `builtin:NAME`.
    pub name: String,
    pub sha256: String,
}

/// A file meshgen writes, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: String,
}

/// The whole set as one YAML stream.
pub fn stream(resources: &[Resource]) -> String {
    yaml::to_yaml_stream(resources.iter().map(|r| &r.object))
}

/// File name of an object: `<component>/<kind>_<namespace>_<name>.yaml` (`_` cannot occur in
/// Kubernetes names, so the name is unambiguous).
pub fn file_name(resource: &Resource) -> String {
    let identity = resource.identity();
    let kind = identity.kind.to_ascii_lowercase();
    if identity.namespace.is_empty() {
        format!("{}/{kind}_{}.yaml", resource.component, identity.name)
    } else {
        format!(
            "{}/{kind}_{}_{}.yaml",
            resource.component, identity.namespace, identity.name
        )
    }
}

/// Every file of the output directory, in apply order, ending with the kustomization and the lock.
pub fn directory_plan(resources: &[Resource], inputs: &[InputDigest]) -> Vec<OutputFile> {
    let mut files: Vec<OutputFile> = resources
        .iter()
        .map(|r| OutputFile {
            path: file_name(r),
            contents: yaml::to_yaml(&r.object),
        })
        .collect();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        // Keep meshgen's install order; kustomize's default (legacy) order would reshuffle it.
        "sortOptions": {"order": "fifo"},
        "resources": files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
    });
    files.push(OutputFile {
        path: KUSTOMIZATION_FILE.into(),
        contents: yaml::to_yaml(&kustomization),
    });
    let lock = json!({
        "meshgen": env!("CARGO_PKG_VERSION"),
        "inputs": inputs.iter().map(|i| json!({"name": i.name, "sha256": i.sha256})).collect::<Vec<_>>(),
        "files": files.iter().map(|f| json!({"path": f.path, "sha256": sha256_hex(f.contents.as_bytes())})).collect::<Vec<_>>(),
    });
    files.push(OutputFile {
        path: LOCK_FILE.into(),
        contents: format!("{LOCK_HEADER}{}", yaml::to_yaml(&lock)),
    });
    files
}

/// The files a previous render owns in `out`, according to its lock (empty without a lock).
pub fn owned_files(out: &Path) -> Result<BTreeSet<String>> {
    let lock_path = out.join(LOCK_FILE);
    let text = match fs::read_to_string(&lock_path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(error) => return Err(Error::io("read", lock_path, error)),
    };
    let corrupt = || {
        Error::input(
            Diagnostic::new(format!("`{}` is not a meshgen lock file", lock_path.display()))
                .help("restore it from version control, or delete it together with the files meshgen wrote"),
        )
    };
    let (lock, _) = yaml::parse_document(&text)
        .map_err(|_| corrupt())?
        .ok_or_else(corrupt)?;
    let files = lock
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(corrupt)?;
    let mut owned = BTreeSet::new();
    for file in files {
        let path = file
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(corrupt)?;
        if !is_safe_relative(path) {
            return Err(corrupt());
        }
        owned.insert(path.to_owned());
    }
    owned.insert(LOCK_FILE.to_owned());
    Ok(owned)
}

/// A relative path that stays inside the directory.
fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

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

/// Compares `plan` with the directory: what a write would change.
pub fn compare(out: &Path, plan: &[OutputFile]) -> Result<WriteReport> {
    compare_owned(out, plan, &owned_files(out)?)
}

/// [`compare`] with the owned files already read from the lock.
fn compare_owned(out: &Path, plan: &[OutputFile], owned: &BTreeSet<String>) -> Result<WriteReport> {
    let planned: BTreeSet<&str> = plan.iter().map(|f| f.path.as_str()).collect();
    let mut report = WriteReport::default();
    for file in plan {
        let path = out.join(&file.path);
        match fs::read(&path) {
            Ok(existing) if existing == file.contents.as_bytes() => {}
            Ok(_) if !owned.contains(&file.path) => {
                return Err(Error::input(
                    Diagnostic::new(format!("`{}` exists and meshgen does not own it", path.display()))
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
            Diagnostic::new(format!(
                "--out `{}` is a file, not a directory",
                out.display()
            ))
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
            Diagnostic::new(format!(
                "the parent of --out `{}` does not exist",
                out.display()
            ))
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
