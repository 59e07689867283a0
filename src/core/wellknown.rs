//! Names that Istio, Knative, Kubernetes and Argo CD give meaning to: labels, annotations,
//! namespaces, classes. Defined once here, so the renderer and the analyzers can never spell
//! them differently.

/// Istio's default root and control-plane namespace.
pub const ISTIO_SYSTEM: &str = "istio-system";
/// Knative Serving's default namespace.
pub const KNATIVE_SERVING: &str = "knative-serving";
/// Knative Eventing's default namespace.
pub const KNATIVE_EVENTING: &str = "knative-eventing";

/// Namespace label that enables sidecar injection by the default revision (`enabled`).
pub const LABEL_INJECTION: &str = "istio-injection";
/// Namespace or pod label that selects a control-plane revision or revision tag.
pub const LABEL_REV: &str = "istio.io/rev";
/// Label of the `istiod-revision-tag-<tag>` Services and tag webhooks.
pub const LABEL_TAG: &str = "istio.io/tag";
/// Namespace label that puts its pods in the ambient data plane (`ambient`).
pub const LABEL_DATAPLANE: &str = "istio.io/dataplane-mode";
/// Pod label or annotation that opts one pod out of (or into) injection.
pub const LABEL_SIDECAR_INJECT: &str = "sidecar.istio.io/inject";
/// Gateway annotation istiod reads for the Service type it provisions.
pub const ANNOTATION_SERVICE_TYPE: &str = "networking.istio.io/service-type";

/// Knative's ingress class for net-gateway-api (`config-network` `ingress-class`).
pub const GATEWAY_API_INGRESS_CLASS: &str = "gateway-api.ingress.networking.knative.dev";
/// Port every Knative webhook container listens on; the API server calls it without a mesh
/// identity.
pub const KNATIVE_WEBHOOK_PORT: u16 = 8443;

/// The label meshgen puts on the objects it owns alone.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Its value.
pub const MANAGED_BY: &str = "meshgen";

/// Argo CD's sync wave annotation.
pub const ANNOTATION_SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
/// Argo CD's sync options annotation.
pub const ANNOTATION_SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";
