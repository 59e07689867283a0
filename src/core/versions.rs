//! The upstream releases this meshgen renders for: what `meshgen --version` reports, so a user
//! can tell which Istio, Gateway API and Knative a render was made for.

/// Istio, whose charts' render meshgen reproduces.
pub const ISTIO: &str = "1.30.3";
/// Gateway API, standard channel (what Istio 1.30.3 is built against).
pub const GATEWAY_API: &str = "v1.5.1";
/// Knative Serving and net-gateway-api.
pub const KNATIVE_SERVING: &str = "knative-v1.23";
/// Knative Eventing.
pub const KNATIVE_EVENTING: &str = "knative-v1.22";
/// Kubernetes, whose schemas validate the render.
pub const KUBERNETES: &str = "1.35";
