//! `meshgen.lock`: the record of a directory render — which files meshgen owns in the output
//! directory (so it never touches anything else) and the SHA-256 of every input and file. It is
//! read back as untrusted input: a path that could leave the directory makes it invalid.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::dir::{Entry, Tree};
use crate::core::diagnostic::{Diagnostic, Kind};
use crate::core::paths;
use crate::core::yaml;
use crate::error::{Error, Result};

pub const LOCK_FILE: &str = "meshgen.lock";
const LOCK_HEADER: &str = "# Written by meshgen: the files it owns in this directory and the inputs they came from.\n# Do not edit; `meshgen render --out` rewrites it.\n";

/// One input that went into a render.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDigest {
    /// Path relative to the project root, or `builtin:NAME`.
    pub name: String,
    pub sha256: String,
}

/// One file meshgen wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDigest {
    /// Relative to the output directory, `/`-separated.
    pub path: String,
    pub sha256: String,
}

/// The lock file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The meshgen version that wrote it.
    pub meshgen: String,
    pub inputs: Vec<InputDigest>,
    pub files: Vec<FileDigest>,
}

impl Lock {
    /// The lock file's text.
    pub fn to_text(&self) -> String {
        let value = serde_json::to_value(self).expect("a lock serialises");
        format!("{LOCK_HEADER}{}", yaml::to_yaml(&value))
    }
}

/// The files the lock in the output directory says meshgen owns (with the lock itself; empty
/// without a lock). The lock is untrusted input: it must be a regular file (not a link), within
/// the input size budget, and every path it names a plain relative path inside the directory
/// that is not one of the writer's reserved names; the writer then reaches each one without
/// following links ([`super::dir`]), so a path through a link is refused where it is used.
pub fn owned_files(tree: &Tree, shown: &Path) -> Result<BTreeSet<String>> {
    let lock_path = shown.join(LOCK_FILE);
    let corrupt = |reason: &str| {
        Error::input(
            Diagnostic::new(
                Kind::InvalidValue,
                format!("`{}` is not a meshgen lock file: {reason}", lock_path.display()),
            )
            .help("restore it from version control, or delete it together with the files meshgen wrote"),
        )
    };
    let root = tree.root();
    match root
        .entry(LOCK_FILE)
        .map_err(|e| Error::io("inspect", &lock_path, e))?
    {
        Entry::Missing => return Ok(BTreeSet::new()),
        Entry::File { .. } => {}
        other => return Err(corrupt(&format!("it is {}", other.describe()))),
    }
    let bytes = root
        .read(LOCK_FILE, paths::MAX_FILE_BYTES)
        .map_err(|e| Error::io("read", &lock_path, e))?
        .ok_or_else(|| {
            corrupt(&format!(
                "it is larger than {} MiB, or not a regular file",
                paths::MAX_FILE_BYTES >> 20
            ))
        })?;
    let text =
        paths::utf8(bytes, &lock_path.display().to_string(), "lock file").map_err(Error::input)?;
    let value = match yaml::parse_document(&text) {
        Ok(Some((value, _))) => value,
        Ok(None) => return Err(corrupt("it is empty")),
        Err(error) => return Err(corrupt(&error.message)),
    };
    let lock: Lock = serde_json::from_value(value)
        .map_err(|_| corrupt("it does not have the lock file's fields"))?;
    let mut owned = BTreeSet::new();
    for file in lock.files {
        if !is_safe_relative(&file.path) || is_reserved(&file.path) {
            return Err(corrupt(&format!(
                "`{}` is not a plain relative path inside the directory",
                crate::core::diagnostic::shown(&file.path)
            )));
        }
        owned.insert(file.path);
    }
    owned.insert(LOCK_FILE.to_owned());
    Ok(owned)
}

/// A relative path that stays inside the directory.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// A path with a component the writer reserves for its own transient files (`.meshgen-*`).
pub fn is_reserved(path: &str) -> bool {
    path.split('/')
        .any(|part| part.starts_with(RESERVED_PREFIX))
}

/// The prefix of the writer's journal and temporary files.
pub const RESERVED_PREFIX: &str = ".meshgen-";
