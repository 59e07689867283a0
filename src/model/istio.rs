//! The Istio part of the model: the profile's Istio settings in the shape the Istio components
//! (`render::istio`) take, one field per Helm value they stand for.

use serde::Serialize;

use crate::profile::{DataplaneMode, MeshProfile};

/// The profile's Istio settings, already validated and defaulted by the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IstioKnobs {
    /// Namespace istiod runs in and the mesh root namespace, e.g. `istio-system`.
    pub namespace: String,
    /// Control-plane revision; `None` for the default revision.
    pub revision: Option<String>,
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
    pub pilot: PilotKnobs,
    pub mesh: MeshKnobs,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PilotKnobs {
    /// Replicas when autoscaling is off (Helm `pilot.replicaCount`).
    pub replicas: u32,
    /// Horizontal autoscaling (Helm `pilot.autoscale*`); `None` = off.
    pub autoscale: Option<AutoscaleKnobs>,
    /// Container resources of `discovery` (Helm `pilot.resources`).
    pub resources: ResourceKnobs,
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
}

impl Default for IstioKnobs {
    /// Istio 1.30.3's Helm defaults (sidecar data plane, default revision).
    fn default() -> Self {
        IstioKnobs {
            namespace: "istio-system".into(),
            revision: None,
            hub: "docker.io/istio".into(),
            tag: "1.30.3".into(),
            version: "1.30.3".into(),
            trust_domain: "cluster.local".into(),
            ambient: false,
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
            },
            mesh: MeshKnobs::default(),
        }
    }
}

/// The Istio settings of the profile.
pub fn istio_knobs(profile: &MeshProfile) -> IstioKnobs {
    let istio = &profile.spec.istio;
    let pilot = &istio.pilot;
    let mesh = &istio.mesh_config;
    IstioKnobs {
        namespace: istio.namespace.clone(),
        revision: istio.revision.clone(),
        hub: istio.hub.clone(),
        tag: istio.image_tag().to_owned(),
        version: istio.version.clone(),
        trust_domain: istio.trust_domain.clone(),
        ambient: profile.spec.dataplane.mode == DataplaneMode::Ambient,
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
        },
        mesh: MeshKnobs {
            access_log_file: mesh.access_log_file.clone(),
            access_log_encoding: mesh.access_log_encoding.map(|e| e.as_str().to_owned()),
            outbound_traffic_policy: mesh
                .outbound_traffic_policy
                .as_ref()
                .map(|p| p.mode.as_str().to_owned()),
            discovery_selectors: mesh
                .discovery_selectors
                .iter()
                .map(|s| serde_json::to_value(s).expect("label selectors serialise"))
                .collect(),
            hold_application_until_proxy_starts: mesh
                .default_config
                .as_ref()
                .and_then(|c| c.hold_application_until_proxy_starts),
        },
    }
}
