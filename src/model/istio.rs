//! The Istio part of the model: the profile's Istio settings in the shape the Istio components
//! (`render::istio`) take — the install ([`IstioKnobs`]: what exists once, which revisions, which
//! tags, which revision is the default and which one the node agents follow) and, per control
//! plane, [`RevisionKnobs`], one field per Helm value it stands for.

use serde::Serialize;

use crate::profile::{DEFAULT_REVISION, DataplaneMode, Istio, MeshProfile};

/// The Istio install: every control plane the profile renders and what they share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IstioKnobs {
    /// One per rendered revision, sorted by name (`default` = the unnamed one).
    pub revisions: Vec<RevisionKnobs>,
    /// Index in `revisions` of the control plane istio-cni and ztunnel follow (the revision
    /// `spec.dataplane.revision` resolves to; the default or first one otherwise).
    pub dataplane: usize,
    /// The default revision's name (`default` for the unnamed one), when there is one: it owns
    /// `istiod-default-validator`.
    pub default_revision: Option<String>,
    /// Render istio-cni (ambient, or sidecars with `spec.dataplane.cni.enabled`).
    pub cni: bool,
}

/// One control plane: the Helm values of one istiod release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionKnobs {
    /// Namespace istiod runs in and the mesh root namespace, e.g. `istio-system`.
    pub namespace: String,
    /// Control-plane revision; `None` for the default (unnamed) revision.
    pub revision: Option<String>,
    /// Revision tags that point at this revision (Helm `revisionTags`), sorted, with `default`
    /// last when this revision is the named default revision.
    pub tags: Vec<String>,
    /// Image registry, e.g. `docker.io/istio`.
    pub hub: String,
    /// Image tag, e.g. `1.30.3`.
    pub tag: String,
    /// Istio release, e.g. `1.30.3`.
    pub version: String,
    /// SPIFFE trust domain, e.g. `cluster.local`.
    pub trust_domain: String,
    /// Ambient data plane (istio-cni + ztunnel, ambient istiod settings).
    pub ambient: bool,
    /// `global.imagePullPolicy` (`None`: the chart's empty default).
    pub image_pull_policy: Option<String>,
    /// `global.imagePullSecrets`.
    pub image_pull_secrets: Vec<String>,
    /// `global.platform`.
    pub platform: Option<String>,
    /// `global.logAsJson`.
    pub log_as_json: bool,
    pub cni: CniKnobs,
    pub pilot: PilotKnobs,
    pub proxy: ProxyKnobs,
    pub mesh: MeshKnobs,
}

/// istio-cni as istiod's values see it (Helm `pilot.cni.*`; the directories the istio-cni
/// chart's `cniBinDir`/`cniConfDir`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CniKnobs {
    /// Sidecars rely on istio-cni (Helm `pilot.cni.enabled`); false in ambient, whose profile
    /// enables `cni.ambient` instead.
    pub enabled: bool,
    /// Directories given in the profile (the platform's come with its Helm profile).
    pub bin_dir: Option<String>,
    pub conf_dir: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PilotKnobs {
    /// Replicas when autoscaling is off (Helm `pilot.replicaCount`).
    pub replicas: u32,
    /// Horizontal autoscaling (Helm `pilot.autoscale*`); `None` = off.
    pub autoscale: Option<AutoscaleKnobs>,
    /// Container resources of `discovery` (Helm `pilot.resources`).
    pub resources: ResourceKnobs,
    /// Helm `pilot.nodeSelector`, `pilot.tolerations`, `pilot.affinity`,
    /// `pilot.topologySpreadConstraints`, as Kubernetes JSON; empty = unset.
    pub node_selector: serde_json::Map<String, serde_json::Value>,
    pub tolerations: Vec<serde_json::Value>,
    pub affinity: Option<serde_json::Value>,
    pub topology_spread_constraints: Vec<serde_json::Value>,
    /// Helm `global.priorityClassName`.
    pub priority_class_name: Option<String>,
    /// Helm `pilot.env` (names sorted).
    pub env: Vec<(String, String)>,
    /// Helm `pilot.traceSampling`; `None` = the chart's 1.
    pub trace_sampling: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutoscaleKnobs {
    pub min: u32,
    pub max: u32,
    /// Target average CPU utilisation in percent (Helm `pilot.cpu.targetAverageUtilization`).
    pub target_cpu: u32,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ResourceKnobs {
    pub requests_cpu: Option<String>,
    pub requests_memory: Option<String>,
    pub limits_cpu: Option<String>,
    pub limits_memory: Option<String>,
}

/// The injected proxies (Helm `global.proxy.*`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ProxyKnobs {
    /// `global.proxy.logLevel`; `None` = the chart's `warning`.
    pub log_level: Option<String>,
    /// `global.proxy.resources` entries given (merged key by key over the chart's).
    pub resources: ResourceKnobs,
}

/// The typed subset of MeshConfig a profile may set.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MeshKnobs {
    pub access_log_file: Option<String>,
    /// `TEXT` or `JSON`.
    pub access_log_encoding: Option<String>,
    /// `ALLOW_ANY` or `REGISTRY_ONLY`.
    pub outbound_traffic_policy: Option<String>,
    /// Label selectors, as Kubernetes `LabelSelector` JSON objects.
    pub discovery_selectors: Vec<serde_json::Value>,
    pub hold_application_until_proxy_starts: Option<bool>,
    /// `extensionProviders`, as MeshConfig JSON.
    pub extension_providers: Vec<serde_json::Value>,
    /// `defaultProviders`, as MeshConfig JSON (metrics already defaulted).
    pub default_providers: Option<serde_json::Value>,
    pub enable_tracing: Option<bool>,
    pub trust_domain_aliases: Vec<String>,
    pub access_log_format: Option<String>,
}

impl Default for RevisionKnobs {
    /// Istio 1.30.3's Helm defaults (sidecar data plane, default revision).
    fn default() -> Self {
        RevisionKnobs {
            namespace: "istio-system".into(),
            revision: None,
            tags: Vec::new(),
            hub: "docker.io/istio".into(),
            tag: "1.30.3".into(),
            version: "1.30.3".into(),
            trust_domain: "cluster.local".into(),
            ambient: false,
            image_pull_policy: None,
            image_pull_secrets: Vec::new(),
            platform: None,
            log_as_json: false,
            cni: CniKnobs::default(),
            pilot: PilotKnobs {
                replicas: 1,
                autoscale: Some(AutoscaleKnobs {
                    min: 1,
                    max: 5,
                    target_cpu: 80,
                }),
                resources: ResourceKnobs {
                    requests_cpu: Some("500m".into()),
                    requests_memory: Some("2048Mi".into()),
                    ..ResourceKnobs::default()
                },
                node_selector: serde_json::Map::new(),
                tolerations: Vec::new(),
                affinity: None,
                topology_spread_constraints: Vec::new(),
                priority_class_name: None,
                env: Vec::new(),
                trace_sampling: None,
            },
            proxy: ProxyKnobs::default(),
            mesh: MeshKnobs::default(),
        }
    }
}

impl IstioKnobs {
    /// One control plane with these settings and nothing else (tests, benchmarks).
    pub fn single(revision: RevisionKnobs) -> IstioKnobs {
        IstioKnobs {
            cni: revision.ambient || revision.cni.enabled,
            default_revision: revision
                .revision
                .is_none()
                .then(|| DEFAULT_REVISION.to_owned()),
            revisions: vec![revision],
            dataplane: 0,
        }
    }

    /// The control plane istio-cni and ztunnel follow.
    pub fn dataplane_revision(&self) -> &RevisionKnobs {
        &self.revisions[self.dataplane]
    }
}

impl Default for IstioKnobs {
    fn default() -> Self {
        IstioKnobs::single(RevisionKnobs::default())
    }
}

fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("profile types serialise")
}

/// The Istio settings of the profile (validated: every revision's settings parse, every tag
/// points at a rendered revision).
pub fn istio_knobs(profile: &MeshProfile) -> IstioKnobs {
    let spec = &profile.spec;
    let istio = &spec.istio;
    let ambient = spec.dataplane.mode == DataplaneMode::Ambient;
    let default_revision = istio.default_revision_name().map(str::to_owned);
    let names = istio.revision_names();
    let revisions: Vec<RevisionKnobs> = names
        .iter()
        .map(|name| {
            let effective = istio
                .for_revision(name)
                .expect("validated: every revision's settings fit the profile types");
            let mut tags: Vec<String> = istio
                .revision_tags
                .iter()
                .filter(|(_, target)| target.as_str() == *name)
                .map(|(tag, _)| tag.clone())
                .collect();
            // A named default revision also carries the `default` tag (the unnamed one serves
            // `istio-injection` through its own webhooks).
            if *name != DEFAULT_REVISION && default_revision.as_deref() == Some(*name) {
                tags.push(DEFAULT_REVISION.to_owned());
            }
            revision_knobs(profile, &effective, tags, ambient)
        })
        .collect();
    let dataplane = spec
        .dataplane_revision()
        .and_then(|value| istio.resolve_revision(value))
        .or(default_revision.as_deref())
        .and_then(|name| names.iter().position(|n| *n == name))
        .unwrap_or(0);
    IstioKnobs {
        revisions,
        dataplane,
        default_revision,
        cni: ambient || spec.dataplane.cni.enabled,
    }
}

fn revision_knobs(
    profile: &MeshProfile,
    istio: &Istio,
    tags: Vec<String>,
    ambient: bool,
) -> RevisionKnobs {
    let pilot = &istio.pilot;
    let mesh = &istio.mesh_config;
    let cni = &profile.spec.dataplane.cni;
    let proxy_resources = istio.proxy.resources.clone().unwrap_or_default();
    RevisionKnobs {
        namespace: istio.namespace.clone(),
        revision: istio.revision.clone(),
        tags,
        hub: istio.hub.clone(),
        tag: istio.image_tag().to_owned(),
        version: istio.version.clone(),
        trust_domain: istio.trust_domain.clone(),
        ambient,
        image_pull_policy: istio.image_pull_policy.map(|p| p.as_str().to_owned()),
        image_pull_secrets: istio.image_pull_secrets.clone(),
        platform: istio.platform.map(|p| p.as_str().to_owned()),
        log_as_json: istio.log_as_json,
        cni: CniKnobs {
            // ambient's istio-cni is the ambient profile's `cni.ambient`, not `pilot.cni`
            enabled: cni.enabled && !ambient,
            bin_dir: cni.bin_dir.clone(),
            conf_dir: cni.conf_dir.clone(),
        },
        pilot: PilotKnobs {
            replicas: pilot.replicas,
            autoscale: pilot.autoscale.enabled.then_some(AutoscaleKnobs {
                min: pilot.autoscale.min,
                max: pilot.autoscale.max,
                target_cpu: pilot.autoscale.target_cpu_utilization,
            }),
            resources: ResourceKnobs {
                requests_cpu: pilot.resources.requests.cpu.clone(),
                requests_memory: pilot.resources.requests.memory.clone(),
                limits_cpu: pilot.resources.limits.cpu.clone(),
                limits_memory: pilot.resources.limits.memory.clone(),
            },
            node_selector: pilot
                .node_selector
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::json!(v)))
                .collect(),
            tolerations: pilot.tolerations.iter().map(to_json).collect(),
            affinity: pilot.affinity.clone(),
            topology_spread_constraints: pilot.topology_spread_constraints.clone(),
            priority_class_name: pilot.priority_class_name.clone(),
            env: pilot
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            trace_sampling: pilot.trace_sampling,
        },
        proxy: ProxyKnobs {
            log_level: istio.proxy.log_level.map(|l| l.as_str().to_owned()),
            resources: ResourceKnobs {
                requests_cpu: proxy_resources.requests.cpu,
                requests_memory: proxy_resources.requests.memory,
                limits_cpu: proxy_resources.limits.cpu,
                limits_memory: proxy_resources.limits.memory,
            },
        },
        mesh: MeshKnobs {
            access_log_file: mesh.access_log_file.clone(),
            access_log_encoding: mesh.access_log_encoding.map(|e| e.as_str().to_owned()),
            outbound_traffic_policy: mesh
                .outbound_traffic_policy
                .as_ref()
                .map(|p| p.mode.as_str().to_owned()),
            discovery_selectors: mesh.discovery_selectors.iter().map(to_json).collect(),
            hold_application_until_proxy_starts: mesh
                .default_config
                .as_ref()
                .and_then(|c| c.hold_application_until_proxy_starts),
            extension_providers: mesh.extension_providers.iter().map(to_json).collect(),
            default_providers: mesh.default_providers.as_ref().map(|providers| {
                let mut value = serde_json::Map::new();
                // Given `defaultProviders`, the chart drops its own `metrics: [prometheus]`;
                // meshgen keeps it unless `metrics` is written (`[]` leaves it out).
                let metrics = providers
                    .metrics
                    .clone()
                    .unwrap_or_else(|| vec!["prometheus".to_owned()]);
                if !metrics.is_empty() {
                    value.insert("metrics".into(), serde_json::json!(metrics));
                }
                if !providers.tracing.is_empty() {
                    value.insert("tracing".into(), serde_json::json!(providers.tracing));
                }
                if !providers.access_logging.is_empty() {
                    value.insert(
                        "accessLogging".into(),
                        serde_json::json!(providers.access_logging),
                    );
                }
                serde_json::Value::Object(value)
            }),
            enable_tracing: mesh.enable_tracing,
            trust_domain_aliases: mesh.trust_domain_aliases.clone(),
            access_log_format: mesh.access_log_format.clone(),
        },
    }
}

/// The labels that put a namespace in the mesh for a data-plane value (a revision, a tag, or
/// `default`): `istio-injection=enabled` for `default` (or no value), `istio.io/rev=<value>`
/// otherwise — a tag stays a tag, so retargeting it moves the namespace without changing it —
/// and in ambient `istio.io/dataplane-mode=ambient` only (`istio.io/rev` there would make the
/// sidecar injector match).
pub fn member_labels(
    ambient: bool,
    value: Option<&str>,
) -> std::collections::BTreeMap<String, String> {
    use crate::core::wellknown::{LABEL_DATAPLANE, LABEL_INJECTION, LABEL_REV};
    let label = if ambient {
        (LABEL_DATAPLANE, "ambient")
    } else {
        match value {
            None | Some(DEFAULT_REVISION) => (LABEL_INJECTION, "enabled"),
            Some(value) => (LABEL_REV, value),
        }
    };
    [(label.0.to_owned(), label.1.to_owned())].into()
}

/// The labels both Gateways carry: `istio.io/rev=<value>` for the revision or tag that should
/// provision them (istiod only programs Gateways of its own revision or tags); none for the
/// default revision, which takes the unlabelled ones.
pub fn gateway_labels(spec: &crate::profile::Spec) -> std::collections::BTreeMap<String, String> {
    match spec.gateway_revision() {
        None | Some(DEFAULT_REVISION) => Default::default(),
        Some(value) => [(
            crate::core::wellknown::LABEL_REV.to_owned(),
            value.to_owned(),
        )]
        .into(),
    }
}
