//! meshgen: a mesh profile in, the deterministic Istio + Knative manifest set out.

pub mod argocd;
pub mod crds;
pub mod diff;
pub mod digest;
pub mod emit;
pub mod error;
pub mod finish;
pub mod istio;
pub mod lint;
pub mod model;
pub mod overlay;
pub mod patch;
pub mod paths;
pub mod pipeline;
pub mod profile;
pub mod render;
pub mod resource;
pub mod schema;
pub mod yaml;
