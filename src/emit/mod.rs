//! Stage 8, emitting: the rendered set as one YAML stream, or as a directory — one file per
//! object, grouped by component, a `kustomization.yaml` listing them in apply order, and
//! `meshgen.lock` recording the SHA-256 of every input and every file ([`plan`], [`lock`]).
//! Writing the directory ([`write`]) touches only the files the previous lock says meshgen owns.

pub mod lock;
pub mod plan;
pub mod write;

use crate::core::resource::Resource;
use crate::core::yaml;

pub use lock::{InputDigest, LOCK_FILE};
pub use plan::{KUSTOMIZATION_FILE, OutputFile, directory_plan, file_names};
pub use write::{WriteReport, write_directory};

/// The whole set as one YAML stream.
pub fn stream(resources: &[Resource]) -> String {
    yaml::to_yaml_stream(resources.iter().map(|r| &r.object))
}
