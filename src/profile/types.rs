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
    /// The control plane the mesh namespaces select: a revision of `spec.istio.revisions`, a
    /// revision tag of `spec.istio.revisionTags`, or `default` (the default revision, label
    /// `istio-injection=enabled`). Sidecar namespaces are labelled `istio.io/rev=<value>` (a tag
    /// stays a tag, so retargeting it moves them without a Namespace change); in ambient,
    /// ztunnel and istio-cni follow the revision it resolves to. Defaults to the only
    /// revision; required when the profile renders several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Per-namespace data-plane settings, by mesh namespace name (Knative system namespaces and
    /// app namespaces; sidecar mode only).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub namespaces: std::collections::BTreeMap<String, NamespaceDataplane>,
    pub cni: Cni,
}

/// One mesh namespace's data-plane settings.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct NamespaceDataplane {
    /// Revision, tag or `default` this namespace selects instead of `spec.dataplane.revision`
    /// (a canary: move one namespace to the new control plane first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

/// The istio-cni node agent.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Cni {
    /// Run istio-cni with sidecars (Helm `pilot.cni.enabled` + the istio-cni chart): pods get
    /// the `istio-validation` init container instead of `istio-init`, so they need no
    /// `NET_ADMIN`/`NET_RAW` (what Pod Security `baseline` and `restricted` require). Always on
    /// in ambient mode.
    pub enabled: bool,
    /// Host directory of the CNI plugin binaries; default: the platform's (`/opt/cni/bin`;
    /// k3s `/var/lib/rancher/k3s/data/cni`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bin_dir: Option<String>,
    /// Host directory of the CNI network configuration; default: the platform's
    /// (`/etc/cni/net.d`; k3s `/var/lib/rancher/k3s/agent/etc/cni/net.d`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conf_dir: Option<String>,
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
    /// Revision, tag or `default` whose istiod provisions both Gateways (label `istio.io/rev`;
    /// none for the default revision); defaults to `spec.dataplane.revision`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

impl Default for Gateway {
    fn default() -> Self {
        Gateway {
            revision: None,
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
    /// Control-plane revision (a DNS-1123 label); shorthand for `revisions: {<revision>: {}}`.
    /// Set, namespaces are labelled `istio.io/rev=<revision>` instead of
    /// `istio-injection=enabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The control planes to render, by revision name: each is istiod rendered with these
    /// fields, overridden by its own (JSON Merge Patch: maps merge, lists replace). Key
    /// `default` is the unnamed revision (objects without a suffix). Unset: one unnamed
    /// revision (or `revision`'s).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[schemars(with = "std::collections::BTreeMap<String, RevisionOverrides>")]
    pub revisions: std::collections::BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Revision tags, tag -> revision: each renders MutatingWebhookConfiguration
    /// `istio-revision-tag-<tag>` and Service `istiod-revision-tag-<tag>` with its revision
    /// (Helm `revisionTags`). Retarget a tag to move every namespace labelled with it.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub revision_tags: std::collections::BTreeMap<String, String>,
    /// The revision that serves `istio-injection=enabled`, `sidecar.istio.io/inject=true`,
    /// unlabelled Gateways and waypoints, and validates Istio config without `istio.io/rev`:
    /// renders `istiod-default-validator` for it (Helm base `defaultRevision`) and its `default`
    /// revision tag. Defaults to the unnamed revision when one is rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_revision: Option<String>,
    /// SPIFFE trust domain.
    pub trust_domain: String,
    /// Image pull policy of istiod and the injected proxies (Helm `global.imagePullPolicy`);
    /// unset: Kubernetes' default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<PullPolicy>,
    /// Secrets for pulling Istio's images (Helm `global.imagePullSecrets`): set on the Istio
    /// ServiceAccounts and on injected pods. Each must exist in the Istio namespace and in
    /// every injected namespace.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
    /// Kubernetes distribution with its own CNI layout (Helm `global.platform`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// JSON logs for istiod and the injected proxies (Helm `global.logAsJson`).
    pub log_as_json: bool,
    pub pilot: Pilot,
    pub proxy: Proxy,
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
            revisions: std::collections::BTreeMap::new(),
            revision_tags: std::collections::BTreeMap::new(),
            default_revision: None,
            trust_domain: "cluster.local".into(),
            image_pull_policy: None,
            image_pull_secrets: Vec::new(),
            platform: None,
            log_as_json: false,
            pilot: Pilot::default(),
            proxy: Proxy::default(),
            mesh_config: MeshConfig::default(),
        }
    }
}

/// What one revision of `spec.istio.revisions` may set for itself; every other field is
/// shared by all revisions. Unset fields inherit `spec.istio`'s.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevisionOverrides {
    /// Istio release of this control plane.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Image registry of this control plane.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub: Option<String>,
    /// Image tag of this control plane.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<PullPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_as_json: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilot: Option<Pilot>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Proxy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mesh_config: Option<MeshConfig>,
}

/// The fields of `spec.istio` a revision may override (`RevisionOverrides`).
pub const REVISION_FIELDS: &[&str] = &[
    "version",
    "hub",
    "tag",
    "imagePullPolicy",
    "logAsJson",
    "pilot",
    "proxy",
    "meshConfig",
];

/// Kubernetes image pull policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }
}

/// A Kubernetes distribution Istio's charts know (Helm `global.platform`). Only platforms
/// whose chart render meshgen has checked are offered; elsewhere set the CNI directories
/// (`spec.dataplane.cni.binDir`/`confDir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// k3s: istiod's `PLATFORM=k3s`; CNI binaries in `/var/lib/rancher/k3s/data/cni`,
    /// configuration in `/var/lib/rancher/k3s/agent/etc/cni/net.d`.
    K3s,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::K3s => "k3s",
        }
    }

    /// The CNI (binary, configuration) directories of the platform's Helm profile.
    pub fn cni_dirs(self) -> (&'static str, &'static str) {
        match self {
            Platform::K3s => (
                "/var/lib/rancher/k3s/data/cni",
                "/var/lib/rancher/k3s/agent/etc/cni/net.d",
            ),
        }
    }
}

/// The Envoy proxies istiod injects (sidecars and gateways).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Proxy {
    /// Container resources of injected proxies (Helm `global.proxy.resources`); unset keys keep
    /// the chart's (requests 100m / 128Mi, limits 2000m / 1024Mi).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ProxyResources>,
    /// Envoy log level (Helm `global.proxy.logLevel`); default `warning`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<ProxyLogLevel>,
}

/// Requests and limits of the injected proxies.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct ProxyResources {
    pub requests: Quantities,
    pub limits: Quantities,
}

/// Envoy log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProxyLogLevel {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
    Critical,
    Off,
}

impl ProxyLogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyLogLevel::Trace => "trace",
            ProxyLogLevel::Debug => "debug",
            ProxyLogLevel::Info => "info",
            ProxyLogLevel::Warning => "warning",
            ProxyLogLevel::Error => "error",
            ProxyLogLevel::Critical => "critical",
            ProxyLogLevel::Off => "off",
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
    /// Node labels istiod's pods require (Helm `pilot.nodeSelector`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub node_selector: std::collections::BTreeMap<String, String>,
    /// Tolerations of istiod's pods, after the chart's own `cni.istio.io/not-ready` (Helm
    /// `pilot.tolerations`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Kubernetes `Affinity` of istiod's pods (Helm `pilot.affinity`). A selector on
    /// `app: istiod` spans every revision; use `istio.io/rev` for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<k8s_openapi::api::core::v1::Affinity>")]
    pub affinity: Option<serde_json::Value>,
    /// Kubernetes `TopologySpreadConstraint`s of istiod's pods (Helm
    /// `pilot.topologySpreadConstraints`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<k8s_openapi::api::core::v1::TopologySpreadConstraint>")]
    pub topology_spread_constraints: Vec<serde_json::Value>,
    /// PriorityClass of istiod's pods (Helm `global.priorityClassName`; istio-cni and ztunnel
    /// keep `system-node-critical`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Extra istiod environment variables (Helm `pilot.env`), values as strings. Names the
    /// chart sets itself are refused (e.g. `PILOT_TRACE_SAMPLING`: use `traceSampling`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub env: std::collections::BTreeMap<String, String>,
    /// Percent of requests traced when no Telemetry says otherwise (Helm `pilot.traceSampling`,
    /// istiod's `PILOT_TRACE_SAMPLING`); default 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub trace_sampling: Option<f64>,
}

impl Default for Pilot {
    fn default() -> Self {
        Pilot {
            replicas: 1,
            autoscale: Autoscale::default(),
            resources: Resources::default(),
            node_selector: std::collections::BTreeMap::new(),
            tolerations: Vec::new(),
            affinity: None,
            topology_spread_constraints: Vec::new(),
            priority_class_name: None,
            env: std::collections::BTreeMap::new(),
            trace_sampling: None,
        }
    }
}

/// A Kubernetes toleration.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Toleration {
    /// Taint key; empty with `Exists` tolerates every taint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<TolerationOperator>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<TaintEffect>,
    /// Seconds a `NoExecute` taint is tolerated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// Toleration operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum TolerationOperator {
    Exists,
    Equal,
}

/// Taint effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
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
    /// Telemetry back ends (tracing), referenced by name from `defaultProviders` and
    /// Telemetry resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension_providers: Vec<ExtensionProvider>,
    /// Providers used when no Telemetry names one. Given, `metrics` defaults to
    /// `[prometheus]` (the chart would drop it); `metrics: []` leaves the mesh without default
    /// metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_providers: Option<DefaultProviders>,
    /// istiod's default is already `true`; set, the key is written to the mesh config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_tracing: Option<bool>,
    /// Other trust domains whose identities count as this mesh's (a trust-domain migration).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trust_domain_aliases: Vec<String>,
    /// Envoy access log format; takes effect with `accessLogFile` or an access-logging
    /// Telemetry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_format: Option<String>,
}

/// A telemetry back end of the mesh config: exactly one of `opentelemetry` or `zipkin`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExtensionProvider {
    /// Name Telemetry resources and `defaultProviders` use.
    pub name: String,
    /// An OpenTelemetry collector (OTLP over gRPC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opentelemetry: Option<TracingService>,
    /// A Zipkin collector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zipkin: Option<TracingService>,
}

/// Where a tracing collector listens.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TracingService {
    /// Service host, e.g. `opentelemetry-collector.observability.svc.cluster.local`.
    pub service: String,
    pub port: u32,
    /// Longest tag value Envoy sends (default 256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tag_length: Option<u32>,
}

/// MeshConfig `defaultProviders`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct DefaultProviders {
    /// Default `[prometheus]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tracing: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_logging: Vec<String>,
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
    /// Trace requests mesh-wide through the Telemetry `mesh-default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing: Option<TelemetryTracing>,
}

/// Mesh-wide tracing.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TelemetryTracing {
    /// A tracing provider of `spec.istio.meshConfig.extensionProviders`.
    pub provider: String,
    /// Percent of requests traced (Telemetry `randomSamplingPercentage`); unset: istiod's
    /// `pilot.traceSampling`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub sampling_percentage: Option<f64>,
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

/// The name under which `spec.istio.revisions` holds the unnamed revision (objects without a
/// suffix, `istio.io/rev: default`), and the value that selects the default revision.
pub const DEFAULT_REVISION: &str = "default";

impl Istio {
    /// The revisions the profile renders, by name (`default` = the unnamed one), sorted:
    /// `revisions`' keys, else `revision`, else the unnamed revision.
    pub fn revision_names(&self) -> Vec<&str> {
        if !self.revisions.is_empty() {
            self.revisions.keys().map(String::as_str).collect()
        } else if let Some(revision) = &self.revision {
            vec![revision.as_str()]
        } else {
            vec![DEFAULT_REVISION]
        }
    }

    /// The settings of one revision: these fields with the revision's overrides merged over
    /// them (JSON Merge Patch), the revision fields themselves cleared.
    pub fn for_revision(&self, name: &str) -> Result<Istio, serde_json::Error> {
        let mut base = self.clone();
        base.revisions = Default::default();
        base.revision_tags = Default::default();
        base.default_revision = None;
        base.revision = (name != DEFAULT_REVISION).then(|| name.to_owned());
        let Some(overrides) = self.revisions.get(name).filter(|o| !o.is_empty()) else {
            return Ok(base);
        };
        let mut value = serde_json::to_value(&base)?;
        crate::core::patch::merge(&mut value, &serde_json::Value::Object(overrides.clone()));
        serde_json::from_value(value)
    }

    /// The default revision: `defaultRevision`, else the unnamed revision when it is rendered.
    pub fn default_revision_name(&self) -> Option<&str> {
        self.default_revision.as_deref().or_else(|| {
            self.revision_names()
                .contains(&DEFAULT_REVISION)
                .then_some(DEFAULT_REVISION)
        })
    }

    /// The revision a data-plane value (a revision, a tag, or `default`) selects, if any.
    pub fn resolve_revision<'a>(&'a self, value: &'a str) -> Option<&'a str> {
        let names = self.revision_names();
        if value == DEFAULT_REVISION {
            return self.default_revision_name();
        }
        if let Some(target) = self.revision_tags.get(value) {
            return names.contains(&target.as_str()).then_some(target.as_str());
        }
        names.contains(&value).then_some(value)
    }
}

impl Spec {
    /// What the mesh namespaces select: `spec.dataplane.revision`, else the only revision.
    pub fn dataplane_revision(&self) -> Option<&str> {
        match &self.dataplane.revision {
            Some(value) => Some(value.as_str()),
            None => match self.istio.revision_names()[..] {
                [only] => Some(only),
                _ => None,
            },
        }
    }

    /// What a mesh namespace selects: its own `revision`, else the data plane's.
    pub fn namespace_revision(&self, namespace: &str) -> Option<&str> {
        self.dataplane
            .namespaces
            .get(namespace)
            .and_then(|n| n.revision.as_deref())
            .or_else(|| self.dataplane_revision())
    }

    /// What both Gateways select: `spec.gateway.revision`, else the data plane's.
    pub fn gateway_revision(&self) -> Option<&str> {
        self.gateway
            .revision
            .as_deref()
            .or_else(|| self.dataplane_revision())
    }
}
