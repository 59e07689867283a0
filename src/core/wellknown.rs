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

/// Argo CD's sync hook annotation (hooks are not part of the wave order).
pub const ANNOTATION_SYNC_HOOK: &str = "argocd.argoproj.io/hook";
/// Argo CD's tracking annotation (annotation tracking, Argo CD 3's default).
pub const ANNOTATION_TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";
/// Sync option: never prune the object when it leaves the rendered set.
pub const SYNC_OPTION_NO_PRUNE: &str = "Prune=false";
/// Sync option: never delete the object when the Application is deleted.
pub const SYNC_OPTION_NO_DELETE: &str = "Delete=false";
/// Helm's keep policy; Argo CD treats `keep` as `Delete=false` (not as `Prune=false`).
pub const ANNOTATION_HELM_RESOURCE_POLICY: &str = "helm.sh/resource-policy";

/// Istio's GatewayClass for provisioned gateways, which istiod creates itself.
pub const ISTIO_GATEWAY_CLASS: &str = "istio";
/// The controller of Istio's provisioned-gateway classes.
pub const ISTIO_GATEWAY_CONTROLLER: &str = "istio.io/gateway-controller";
/// Istio 1.30.3's other built-in GatewayClasses (name, the istiod env that makes istiod create
/// it, whether that env defaults to true): none of them provisions a Knative gateway.
pub const ISTIO_OTHER_GATEWAY_CLASSES: &[(&str, &str, bool)] = &[
    (
        "istio-remote",
        "PILOT_MULTI_NETWORK_DISCOVER_GATEWAY_API",
        true,
    ),
    ("istio-waypoint", "PILOT_ENABLE_AMBIENT", false),
    ("istio-east-west", "AMBIENT_ENABLE_MULTI_NETWORK", false),
    ("istio-agentgateway", "PILOT_ENABLE_AGENTGATEWAY", false),
];
/// istiod env that renames its default class (`istio`).
pub const ENV_DEFAULT_GATEWAY_CLASS: &str = "PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME";

/// net-gateway-api's default name of the cluster-local gateway.
pub const KNATIVE_LOCAL_GATEWAY: &str = "knative-local-gateway";
/// Port of Knative's cluster-local placeholder Services (ExternalName, port 80): the local
/// gateway must listen there.
pub const KNATIVE_LOCAL_PORT: u32 = 80;

/// Labels of the pods of Eventing's in-memory channel controller (`imc-controller`), which
/// serves the `inmemorychannel-webhook`; it has no `app` label.
pub const LABEL_IMC_CHANNEL: &str = "messaging.knative.dev/channel";
/// Value of [`LABEL_IMC_CHANNEL`].
pub const IMC_CHANNEL: &str = "in-memory-channel";
/// The role label that tells `imc-controller` from `imc-dispatcher`.
pub const LABEL_IMC_ROLE: &str = "messaging.knative.dev/role";
/// Value of [`LABEL_IMC_ROLE`] on `imc-controller`.
pub const IMC_ROLE_CONTROLLER: &str = "controller";
/// Knative `config-network` `mesh-compatibility-mode` value that makes the activator and
/// autoscaler use ClusterIPs, never pod IPs.
pub const MESH_COMPAT_ENABLED: &str = "enabled";
