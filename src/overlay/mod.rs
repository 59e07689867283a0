//! Stage 4, overlays: the user's adjustments to the rendered set that the profile does not
//! cover, applied after rendering and before finishing. An overlay file (`kind: Overlay`) holds
//! `patches` — a `target` selecting rendered objects, then an RFC 6902 `jsonPatch` or an RFC
//! 7386 `mergePatch`, optionally applied to a YAML or JSON document held in a string field
//! (`embedded: /data/mesh`, for Istio's mesh config) — and `resources`, extra manifests added
//! under the component `overlay`. Every mistake is reported at its position in the overlay file
//! with the fix, because a patch that silently does nothing (kustomize's behaviour) is worse
//! than none.
//!
//! [`file`] defines the format and reads it, [`select`] matches targets, [`apply`] applies
//! patches within a budget, [`diagnose`] explains failed operations.

pub mod apply;
pub mod diagnose;
pub mod file;
pub mod select;

pub use apply::apply;
pub use file::{Overlay, load, schema_text};

/// The only `apiVersion` of an overlay file.
pub const API_VERSION: &str = "meshgen.dev/v1alpha1";
/// The `kind` of an overlay file.
pub const KIND: &str = "Overlay";
