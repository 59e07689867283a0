//! meshgen: a mesh profile in, the deterministic Istio + Knative manifest set out.

pub mod istio;
pub mod resource;
