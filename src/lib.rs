//! meshgen: a mesh profile in, the deterministic Istio + Knative manifest set out.
//!
//! The crate is the `meshgen` command's library; its API serves the binary, the benchmarks and
//! the fuzz targets and carries no semver promise. The modules follow the pipeline, in the order
//! data flows ([`pipeline`] runs them):
//!
//! 1. [`profile`] — load the profile (files, `extends`, merge, schema check, cross-field rules);
//! 2. [`model`] — derive every name, label and decision the templates need;
//! 3. [`render`] — run the templates, build istiod's generated ConfigMaps, read pinned CRDs;
//! 4. [`overlay`] — apply the user's patches and added resources;
//! 5. [`finish`] — labels, Argo CD annotations, key order, install order;
//! 6. [`validate`] — every object against its type or its CRD's schema;
//! 7. [`lint`] — the analyzers;
//! 8. [`emit`] — the YAML stream, or a directory with its kustomization and lock.
//!
//! Beside the pipeline: [`compare`] (`check`, `diff`, reading manifest sets), [`argocd`] (the
//! config-management plugin contract), [`cli`] (the commands), and [`core`], the vocabulary
//! they share.

pub mod argocd;
pub mod cli;
pub mod compare;
pub mod core;
pub mod emit;
pub mod error;
pub mod finish;
pub mod generated;
pub mod lint;
pub mod model;
pub mod overlay;
pub mod pipeline;
pub mod profile;
pub mod render;
pub mod validate;
