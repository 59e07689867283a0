//! The mesh profile types: meshgen's public input format. They are the schema (`meshgen schema`
//! is generated from them and their doc comments, and every profile file is checked against that
//! schema before it is read), the parser's target, and — with every default filled in — what
//! `meshgen profile show` prints.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The only `apiVersion` meshgen reads.
pub const API_VERSION: &str = "meshgen.dev/v1alpha1";
/// The only `kind` meshgen reads.
pub const KIND: &str = "MeshProfile";
/// Istio releases this meshgen renders.
pub const SUPPORTED_ISTIO_VERSIONS: &[&str] = &["1.30.3"];

/// A mesh profile: what mesh to render for Knative.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "MeshProfile")]
pub struct MeshProfile {
    /// Always `meshgen.dev/v1alpha1`.
    #[serde(default = "default_api_version")]
    pub api_version: String,
    /// Always `MeshProfile`.
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default)]
    pub metadata: Metadata,
    /// Profile this one is merged onto (JSON Merge Patch: maps merge, lists replace, `null`
    /// deletes): a built-in profile name (`default`, `ambient`, `permissive`) or a path relative
    /// to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Overlay files or directories applied to the rendered set, in order, before those given
    /// with `--overlay`. Paths are relative to this file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overlays: Vec<String>,
    #[serde(default)]
    pub spec: Spec,
}

fn default_api_version() -> String {
    API_VERSION.to_owned()
}

fn default_kind() -> String {
    KIND.to_owned()
}

impl Default for MeshProfile {
    fn default() -> Self {
        MeshProfile {
            api_version: default_api_version(),
            kind: default_kind(),
            metadata: Metadata::default(),
            extends: None,
            overlays: Vec::new(),
            spec: Spec::default(),
        }
    }
}

/// Identifies the profile.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Metadata {
    /// Name of the profile (a DNS-1123 label); shown in the lock file.
    pub name: String,
    /// One line saying what the profile is for (`meshgen profile list` shows it).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// What the mesh looks like.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Spec {
    pub mtls: Mtls,
    pub dataplane: Dataplane,
    pub gateway: Gateway,
    pub knative: Knative,
    pub istio: Istio,
    pub authorization: Authorization,
    pub telemetry: Telemetry,
    pub crds: Crds,
    pub gitops: Gitops,
    pub lint: Lint,
}

/// Mesh-wide mutual TLS.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Mtls {
    /// Mode of the mesh-wide PeerAuthentication `default` in the root namespace.
    pub mode: MtlsMode,
}

/// PeerAuthentication mTLS mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
pub enum MtlsMode {
    /// Only mutual TLS is accepted.
    #[default]
    #[serde(rename = "STRICT")]
    Strict,
    /// Mutual TLS and plain text are accepted (for migrating a cluster into STRICT).
    #[serde(rename = "PERMISSIVE")]
    Permissive,
    /// Plain text only.
    #[serde(rename = "DISABLE")]
    Disable,
}

impl MtlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MtlsMode::Strict => "STRICT",
            MtlsMode::Permissive => "PERMISSIVE",
            MtlsMode::Disable => "DISABLE",
        }
    }
}

/// How workloads join the mesh.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Dataplane {
    pub mode: DataplaneMode,
}

/// Data plane mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DataplaneMode {
    /// An Envoy sidecar injected into every pod of a labelled namespace.
    #[default]
    Sidecar,
    /// istio-cni + ztunnel, namespaces labelled `istio.io/dataplane-mode=ambient`. Not supported
    /// by Knative upstream.
    Ambient,
}

/// The Gateway API ingress gateways Knative routes through.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Gateway {
    /// GatewayClass of both gateways. istiod creates class `istio` itself; for any other name
    /// meshgen renders the GatewayClass (controller `istio.io/gateway-controller`). istiod's
    /// other built-in classes (`istio-remote`, `istio-waypoint`, `istio-east-west`,
    /// `istio-agentgateway`) are refused.
    pub class_name: String,
    /// Namespace of both gateways (and of the Services istiod creates for them).
    pub namespace: String,
    pub external: ExternalGateway,
    pub local: LocalGateway,
}

impl Default for Gateway {
    fn default() -> Self {
        Gateway {
            class_name: "istio".into(),
            namespace: "istio-system".into(),
            external: ExternalGateway::default(),
            local: LocalGateway::default(),
        }
    }
}

/// The gateway for traffic from outside the cluster.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct ExternalGateway {
    /// Gateway name; istiod names its Service `<name>-<className>`.
    pub name: String,
    /// Port of the `http` listener.
    pub port: u32,
    /// Service type istiod gives the gateway (annotation `networking.istio.io/service-type`).
    /// `ClusterIP` suits clusters without a load-balancer provider.
    pub service_type: ServiceType,
    /// Adds an `https` listener terminating TLS with a certificate Secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub https: Option<Https>,
}

impl Default for ExternalGateway {
    fn default() -> Self {
        ExternalGateway {
            name: "knative-gateway".into(),
            port: 80,
            service_type: ServiceType::LoadBalancer,
            https: None,
        }
    }
}

/// Kubernetes Service type of a provisioned gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
pub enum ServiceType {
    #[default]
    LoadBalancer,
    ClusterIP,
    NodePort,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::LoadBalancer => "LoadBalancer",
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
        }
    }
}

/// An HTTPS listener.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Https {
    /// Port of the `https` listener.
    #[serde(default = "default_https_port")]
    pub port: u32,
    /// The TLS Secret, in the gateway namespace.
    pub certificate_ref: CertificateRef,
}

fn default_https_port() -> u32 {
    443
}

/// Reference to a `kubernetes.io/tls` Secret in the gateway namespace.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CertificateRef {
    /// Secret name.
    pub name: String,
}

/// The cluster-local gateway (always a ClusterIP Service).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct LocalGateway {
    /// Gateway name; istiod names its Service `<name>-<className>`.
    pub name: String,
    /// Port of the `http` listener: must be 80, Knative's cluster-local names are ExternalName
    /// Services on port 80.
    pub port: u32,
}

impl Default for LocalGateway {
    fn default() -> Self {
        LocalGateway {
            name: "knative-local-gateway".into(),
            port: 80,
        }
    }
}

/// Where Knative runs.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Knative {
    pub namespaces: KnativeNamespaces,
    pub eventing: Eventing,
    /// Namespaces where Knative Services run: they join the mesh and get the allow policies.
    pub app_namespaces: Vec<String>,
}

/// Knative system namespaces.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct KnativeNamespaces {
    /// Knative Serving's namespace (activator, autoscaler, net-gateway-api).
    pub serving: String,
    /// Knative Eventing's namespace.
    pub eventing: String,
}

impl Default for KnativeNamespaces {
    fn default() -> Self {
        KnativeNamespaces {
            serving: "knative-serving".into(),
            eventing: "knative-eventing".into(),
        }
    }
}

/// Knative Eventing.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Eventing {
    /// Whether Knative Eventing is installed (its namespace joins the mesh).
    pub enabled: bool,
}

impl Default for Eventing {
    fn default() -> Self {
        Eventing { enabled: true }
    }
}

/// The Istio control plane.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Istio {
    /// Istio release; only `1.30.3` is supported.
    pub version: String,
    /// Image registry.
    pub hub: String,
    /// Image tag; defaults to `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Namespace of istiod; also the mesh root namespace.
    pub namespace: String,
    /// Control-plane revision (a DNS-1123 label). Set, namespaces are labelled
    /// `istio.io/rev=<revision>` instead of `istio-injection=enabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// SPIFFE trust domain.
    pub trust_domain: String,
    pub pilot: Pilot,
    pub mesh_config: MeshConfig,
}

impl Default for Istio {
    fn default() -> Self {
        Istio {
            version: "1.30.3".into(),
            hub: "docker.io/istio".into(),
            tag: None,
            namespace: "istio-system".into(),
            revision: None,
            trust_domain: "cluster.local".into(),
            pilot: Pilot::default(),
            mesh_config: MeshConfig::default(),
        }
    }
}

/// istiod's Deployment.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Pilot {
    /// Replicas when autoscaling is off. More than one adds a PodDisruptionBudget.
    pub replicas: u32,
    pub autoscale: Autoscale,
    pub resources: Resources,
}

impl Default for Pilot {
    fn default() -> Self {
        Pilot {
            replicas: 1,
            autoscale: Autoscale::default(),
            resources: Resources::default(),
        }
    }
}

/// istiod's HorizontalPodAutoscaler.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Autoscale {
    pub enabled: bool,
    /// A minimum above one adds a PodDisruptionBudget.
    pub min: u32,
    pub max: u32,
    /// Target average CPU utilisation, percent.
    #[serde(rename = "targetCPUUtilization")]
    pub target_cpu_utilization: u32,
}

impl Default for Autoscale {
    fn default() -> Self {
        Autoscale {
            enabled: true,
            min: 1,
            max: 5,
            target_cpu_utilization: 80,
        }
    }
}

/// Container resources of istiod.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Resources {
    pub requests: Quantities,
    pub limits: Quantities,
}

impl Default for Resources {
    fn default() -> Self {
        Resources {
            requests: Quantities {
                cpu: Some("500m".into()),
                memory: Some("2048Mi".into()),
            },
            limits: Quantities::default(),
        }
    }
}

/// CPU and memory quantities (Kubernetes quantity syntax, e.g. `500m`, `2Gi`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Quantities {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

/// The typed subset of Istio's MeshConfig a profile may set.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct MeshConfig {
    /// Envoy access log path, e.g. `/dev/stdout`; unset = off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_encoding: Option<AccessLogEncoding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbound_traffic_policy: Option<OutboundTrafficPolicy>,
    /// Label selectors (ORed) of the namespaces istiod watches. They must select the Istio,
    /// Knative and app namespaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discovery_selectors: Vec<LabelSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_config: Option<ProxyConfig>,
}

/// Access log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum AccessLogEncoding {
    #[serde(rename = "TEXT")]
    Text,
    #[serde(rename = "JSON")]
    Json,
}

impl AccessLogEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLogEncoding::Text => "TEXT",
            AccessLogEncoding::Json => "JSON",
        }
    }
}

/// Where sidecars may send traffic.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OutboundTrafficPolicy {
    pub mode: OutboundMode,
}

/// Outbound traffic policy mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum OutboundMode {
    /// Any destination.
    #[serde(rename = "ALLOW_ANY")]
    AllowAny,
    /// Only destinations in the service registry.
    #[serde(rename = "REGISTRY_ONLY")]
    RegistryOnly,
}

impl OutboundMode {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundMode::AllowAny => "ALLOW_ANY",
            OutboundMode::RegistryOnly => "REGISTRY_ONLY",
        }
    }
}

/// A Kubernetes label selector.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub match_labels: std::collections::BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: SelectorOperator,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// Operator of a label selector requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum SelectorOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// Proxy defaults (MeshConfig `defaultConfig`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct ProxyConfig {
    /// Start the application only once the proxy is ready (moot with native sidecars).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_application_until_proxy_starts: Option<bool>,
}

/// Authorization policies for Knative.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Authorization {
    /// Render an ALLOW policy per app namespace letting the namespace itself, the Knative system
    /// namespaces and the gateway namespace reach its workloads (on every path, so the
    /// autoscaler's `/metrics` and the activator's `/healthz` too). It matches callers by mTLS
    /// identity: with mTLS mode DISABLE it must be off.
    pub allow_knative_system: bool,
}

impl Default for Authorization {
    fn default() -> Self {
        Authorization {
            allow_knative_system: true,
        }
    }
}

/// Mesh telemetry.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Telemetry {
    /// Render the Telemetry `mesh-default` with the `envoy` access-log provider.
    pub access_logging: bool,
}

/// Upstream CRD bundles, included verbatim.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Crds {
    pub bundles: Vec<CrdBundle>,
}

/// One pinned CRD file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CrdBundle {
    /// Path relative to the profile file.
    pub path: String,
    /// SHA-256 of the file, lowercase hex; a mismatch is an error.
    pub sha256: String,
}

/// GitOps integration.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Gitops {
    pub argocd: Argocd,
}

/// Argo CD annotations.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Argocd {
    /// Annotate `argocd.argoproj.io/sync-wave`: CRDs, then the control plane, then namespaces,
    /// the GatewayClass and Knative config, then policies, and last what may never become
    /// Healthy on some clusters (Gateways, the istiod HorizontalPodAutoscaler).
    pub sync_waves: bool,
    /// Annotate `argocd.argoproj.io/sync-options: ServerSideApply=true` on CRDs and on the
    /// objects meshgen shares with other owners (Knative ConfigMaps, Namespaces, Gateways).
    /// Namespaces, CRDs and Knative's ConfigMaps carry `Prune=false,Delete=false` whatever this
    /// says.
    pub server_side_apply: bool,
}

impl Default for Argocd {
    fn default() -> Self {
        Argocd {
            sync_waves: true,
            server_side_apply: true,
        }
    }
}

/// Analyzer settings.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Lint {
    /// Findings acknowledged on purpose.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<LintIgnore>,
}

/// An acknowledged analyzer finding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LintIgnore {
    /// Analyzer code, e.g. `MG0004`.
    pub code: String,
    /// Why it is acknowledged (required).
    pub reason: String,
}

impl Istio {
    /// Image tag: `tag` when set, else the release.
    pub fn image_tag(&self) -> &str {
        self.tag.as_deref().unwrap_or(&self.version)
    }
}
