//! Stage 8, emitting: the rendered set as one YAML stream, or as a directory — one file per
//! object, grouped by component, a `kustomization.yaml` listing them in apply order, and
//! `meshgen.lock` recording the SHA-256 of every input and every file ([`plan`], [`lock`]).
//!
//! # Writing a directory without ever damaging it
//!
//! `--out` usually sits inside the user's repository, next to files that are not meshgen's, and
//! users kill meshgen (Ctrl-C twice, CI timeouts, pre-commit aborts). So the writer ([`write`])
//! is built on one rule — *only meshgen's own files are ever created, replaced or deleted* — and
//! a journal that makes each write all-or-nothing across a crash:
//!
//! 1. [`target`] vets `--out` first: never a symbolic link (refused, not followed), never the
//!    working directory, the project root or anything containing them, never inside or
//!    containing a `.git` — a *dedicated* directory such as `manifests/`. Missing parents are
//!    created.
//! 2. The directory is opened once and everything below it is reached from that descriptor
//!    without following links ([`dir`]); an exclusive `flock` on it serialises concurrent
//!    renders (`check` takes a shared one), and needs no lock file that could be left behind.
//! 3. Recovery ([`journal`]) finishes or rolls back a write an earlier run left interrupted.
//! 4. The lock (untrusted: a regular file, plain relative paths, no reserved names) says which
//!    files meshgen owns. The plan is compared with the directory: a planned path held by a
//!    file meshgen does not own, or by anything but a regular file, or reached through a link,
//!    is refused before anything is written; owned files no longer rendered are to be removed.
//!    Nothing changed: nothing is written.
//! 5. The write: `.meshgen-intent` lists what will change, every new or changed file is staged
//!    as `.meshgen-new.NAME` in its own directory, and all of them and their directories are
//!    flushed together; the intent is renamed to `.meshgen-commit` — the commit point, flushed —
//!    and the staged files are renamed over their targets, the files no longer rendered are
//!    removed (with directories left empty), `meshgen.lock` is placed last, the directories are
//!    flushed, and the commit record is removed. Three flushes in a row, each of many files at
//!    once (concurrent `fsync`s share a journal commit), are what a changed render costs.
//!
//! A kill at any point therefore leaves either an intent (recovery deletes what was staged: the
//! old render, byte for byte, same inodes) or a commit (recovery places the rest: the new
//! render); `meshgen check` reports either as an interrupted render. Renaming within one
//! directory is atomic, so no file is ever seen half-written, and a foreign file — anywhere in
//! the directory — is never opened for writing, moved, copied or re-created: it keeps its bytes,
//! inode and mtime. Owned files whose contents are right are not touched either.
//!
//! Why not stage the whole directory and swap it in (what meshgen did before, and
//! `renameat2(RENAME_EXCHANGE)` would make a single step)? Because meshgen's files share
//! directories with the user's (`NOTES.md` beside `kustomization.yaml`, a README in
//! `istiod/`): a swap must copy or move those, a directory swap cannot be made of an `--out`
//! that is the user's repository root, and a swapped `--out` replaces the directory the user's
//! shell, editor or `flock` holds open. File-by-file with a journal needs none of that, keeps
//! the layout users commit, and costs one `fdatasync` per changed file.

pub mod dir;
pub mod journal;
pub mod lock;
pub mod plan;
pub mod target;
pub mod write;

use crate::core::resource::Resource;
use crate::core::yaml;

pub use journal::Recovery;
pub use lock::{InputDigest, LOCK_FILE};
pub use plan::{KUSTOMIZATION_FILE, OutputFile, directory_plan, file_names};
pub use write::{WriteReport, write_directory};

/// The whole set as one YAML stream.
pub fn stream(resources: &[Resource]) -> String {
    yaml::to_yaml_stream(resources.iter().map(|r| &r.object))
}
