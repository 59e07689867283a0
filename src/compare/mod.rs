//! Comparing manifest sets, beside the pipeline. Two questions GitOps users ask: "is the
//! committed output directory still what meshgen would write?" ([`drift`], behind
//! `meshgen check`) and "what changes between these two renders?" ([`objects`], behind
//! `meshgen diff`). [`manifests`] reads a set of manifests from files (also for
//! `lint --manifests`); [`text`] makes line diffs. Nothing here writes.

pub mod drift;
pub mod manifests;
pub mod objects;
pub mod text;

pub use drift::{Drift, check_directory};
pub use manifests::Manifests;
pub use objects::{FieldChange, ObjectDiff, diff_objects};
