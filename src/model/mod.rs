//! Stage 2, the model: everything the templates need, derived from a validated profile in Rust
//! — names, labels, selectors, namespace lists, which components are on. Templates only place
//! these values; every decision about the mesh is made here, once, where it can be tested.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::core::resource::Component;
use crate::core::wellknown::{
    GATEWAY_API_INGRESS_CLASS, IMC_CHANNEL, IMC_ROLE_CONTROLLER, ISTIO_GATEWAY_CLASS,
    ISTIO_GATEWAY_CONTROLLER, KNATIVE_WEBHOOK_PORT, LABEL_IMC_CHANNEL, LABEL_IMC_ROLE,
    MESH_COMPAT_ENABLED,
};
use crate::profile::{DataplaneMode, MeshProfile, MtlsMode};

pub mod istio;

use istio::IstioKnobs;

/// The template context.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub mesh: Mesh,
    pub namespaces: Vec<Namespace>,
    pub gateway: Gateways,
    pub knative: Knative,
    pub security: Security,
    pub telemetry: Telemetry,
    /// Components to render, in pipeline order.
    #[serde(skip)]
    pub components: Vec<Component>,
    /// The Istio settings; the renderer derives the `istio` template variable from them.
    #[serde(skip)]
    pub istio: IstioKnobs,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mesh {
    pub root_namespace: String,
    pub mtls_mode: &'static str,
    pub ambient: bool,
    /// The labels that put a namespace in the mesh: exactly one of `istio-injection=enabled`,
    /// `istio.io/rev=<rev>`, or (ambient) `istio.io/dataplane-mode=ambient` (a namespace with its
    /// own `spec.dataplane.namespaces` revision has its own).
    pub member_labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Namespace {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gateways {
    pub class_name: String,
    /// The GatewayClass to render: `Some` for any class but `istio`. istiod creates only its
    /// built-in classes, and its deployment controller skips a Gateway whose class has no
    /// GatewayClass object, so nothing would provision the Knative gateways.
    pub class: Option<GatewayClass>,
    pub namespace: String,
    /// Labels every Gateway carries (`istio.io/rev` for a revisioned control plane: istiod only
    /// provisions Gateways of its own revision).
    pub labels: BTreeMap<String, String>,
    pub external: Gateway,
    pub local: Gateway,
}

#[derive(Debug, Clone, Serialize)]
pub struct GatewayClass {
    pub name: String,
    /// `istio.io/gateway-controller`: istiod provisions its Gateways with the `kube-gateway`
    /// template and names their Services `<gateway>-<class>`, as `config-gateway` says.
    pub controller_name: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gateway {
    pub name: String,
    pub port: u32,
    /// Value of `networking.istio.io/service-type`, when not istiod's default (LoadBalancer).
    pub service_type: Option<&'static str>,
    pub https: Option<Https>,
    /// `<namespace>/<name>`, as Knative's `config-gateway` wants it.
    pub gateway_ref: String,
    /// `<namespace>/<name>-<class>`: the Service istiod provisions.
    pub service_ref: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Https {
    pub port: u32,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Knative {
    pub serving: String,
    pub eventing: Option<String>,
    pub app_namespaces: Vec<String>,
    pub ingress_class: &'static str,
    /// Knative's `config-network` `mesh-compatibility-mode`: `enabled` with sidecars, in every
    /// mTLS mode. Knative calls it "required when mesh is enabled": with `auto` the activator
    /// probes and calls revision pods by pod IP, which a sidecar sends as plain text (the
    /// passthrough cluster), so under PERMISSIVE the namespace-based allow policy denies those
    /// requests (403) and Knative never falls back. With `enabled` the activator and autoscaler
    /// go through ClusterIPs, which auto-mTLS encrypts. Ambient keeps `auto`: ztunnel carries an
    /// identity on pod-IP traffic too.
    pub mesh_compatibility_mode: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Security {
    /// Port-level PERMISSIVE exceptions for the webhooks the API server calls.
    pub webhook_exceptions: Vec<WebhookException>,
    /// ALLOW policies, one per app namespace.
    pub allow_policies: Vec<AllowPolicy>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebhookException {
    pub namespace: String,
    pub name: String,
    /// The webhook pods' labels (`app: <name>`, but Eventing's in-memory channel controller
    /// has no `app` label).
    pub selector: BTreeMap<String, String>,
    pub port: u16,
}

#[derive(Debug, Clone, Serialize)]
pub struct AllowPolicy {
    pub namespace: String,
    /// Namespaces whose workloads may call into `namespace`: the namespace itself, the Knative
    /// system namespaces and the gateway namespace. `knative-serving` is admitted on every
    /// path, so no separate rule for the autoscaler's `/metrics` and the activator's `/healthz`
    /// is needed (Knative's `allowlist-by-paths` would admit every mesh identity there).
    pub source_namespaces: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Telemetry {
    pub access_logging: bool,
    /// Mesh-wide tracing: the provider and, when given, the sampling percentage.
    pub tracing: Option<Tracing>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tracing {
    pub provider: String,
    /// A JSON number; integral percentages are integers (`10`, not `10.0`).
    pub sampling_percentage: Option<serde_json::Value>,
}

impl Model {
    pub fn from_profile(profile: &MeshProfile) -> Model {
        let spec = &profile.spec;
        let ambient = spec.dataplane.mode == DataplaneMode::Ambient;
        let istio_ns = spec.istio.namespace.clone();
        let member_labels = istio::member_labels(ambient, spec.dataplane_revision());

        let knative = &spec.knative;
        let eventing = knative
            .eventing
            .enabled
            .then(|| knative.namespaces.eventing.clone());
        let mut namespaces = vec![Namespace {
            name: istio_ns.clone(),
            labels: BTreeMap::new(),
        }];
        if spec.gateway.namespace != istio_ns {
            namespaces.push(Namespace {
                name: spec.gateway.namespace.clone(),
                labels: BTreeMap::new(),
            });
        }
        let mut system_namespaces = vec![knative.namespaces.serving.clone()];
        system_namespaces.extend(eventing.clone());
        for name in system_namespaces.iter().chain(&knative.app_namespaces) {
            namespaces.push(Namespace {
                name: name.clone(),
                labels: istio::member_labels(ambient, spec.namespace_revision(name)),
            });
        }

        let gateway = &spec.gateway;
        let make_gateway = |name: &str,
                            port: u32,
                            service_type: Option<&'static str>,
                            https: Option<Https>| Gateway {
            name: name.to_owned(),
            port,
            service_type,
            https,
            gateway_ref: format!("{}/{name}", gateway.namespace),
            service_ref: format!("{}/{name}-{}", gateway.namespace, gateway.class_name),
        };
        let external_type = gateway.external.service_type;
        let gateways = Gateways {
            class_name: gateway.class_name.clone(),
            class: (gateway.class_name != ISTIO_GATEWAY_CLASS).then(|| GatewayClass {
                name: gateway.class_name.clone(),
                controller_name: ISTIO_GATEWAY_CONTROLLER,
                description: "Istio-provisioned gateways for Knative (meshgen)",
            }),
            namespace: gateway.namespace.clone(),
            labels: istio::gateway_labels(spec),
            external: make_gateway(
                &gateway.external.name,
                gateway.external.port,
                (external_type != crate::profile::ServiceType::LoadBalancer)
                    .then(|| external_type.as_str()),
                gateway.external.https.as_ref().map(|h| Https {
                    port: h.port,
                    secret: h.certificate_ref.name.clone(),
                }),
            ),
            // Always ClusterIP: a LoadBalancer for cluster-local traffic would also keep Argo CD
            // waiting for an address that never comes on clusters without a provider.
            local: make_gateway(
                &gateway.local.name,
                gateway.local.port,
                Some("ClusterIP"),
                None,
            ),
        };

        let strict = spec.mtls.mode == MtlsMode::Strict;
        let mut webhook_exceptions = Vec::new();
        let app = |name: &str| [("app".to_owned(), name.to_owned())].into();
        if strict {
            for name in ["webhook", "net-gateway-api-webhook"] {
                webhook_exceptions.push(WebhookException {
                    namespace: knative.namespaces.serving.clone(),
                    name: name.into(),
                    selector: app(name),
                    port: KNATIVE_WEBHOOK_PORT,
                });
            }
            if let Some(eventing) = &eventing {
                webhook_exceptions.push(WebhookException {
                    namespace: eventing.clone(),
                    name: "eventing-webhook".into(),
                    selector: app("eventing-webhook"),
                    port: KNATIVE_WEBHOOK_PORT,
                });
                // The in-memory channel (Eventing's default channel) serves a second webhook
                // from `imc-controller` (Service `inmemorychannel-webhook`, 443 -> 8443,
                // `failurePolicy: Fail`). Its pods carry no `app` label; `role: controller`
                // keeps `imc-dispatcher` (same channel label) under STRICT. Rendered whether
                // or not IMC is installed: the selector then matches nothing.
                webhook_exceptions.push(WebhookException {
                    namespace: eventing.clone(),
                    name: "inmemorychannel-webhook".into(),
                    selector: [
                        (LABEL_IMC_CHANNEL.to_owned(), IMC_CHANNEL.to_owned()),
                        (LABEL_IMC_ROLE.to_owned(), IMC_ROLE_CONTROLLER.to_owned()),
                    ]
                    .into(),
                    port: KNATIVE_WEBHOOK_PORT,
                });
            }
        }

        let mut allow_policies = Vec::new();
        if spec.authorization.allow_knative_system {
            for namespace in &knative.app_namespaces {
                let mut sources = vec![namespace.clone()];
                for source in system_namespaces.iter().chain([&gateway.namespace]) {
                    if !sources.contains(source) {
                        sources.push(source.clone());
                    }
                }
                allow_policies.push(AllowPolicy {
                    namespace: namespace.clone(),
                    source_namespaces: sources,
                });
            }
        }

        let mut components = vec![
            Component::Crds,
            Component::Namespaces,
            Component::Base,
            Component::Istiod,
        ];
        if ambient || spec.dataplane.cni.enabled {
            components.push(Component::IstioCni);
        }
        if ambient {
            components.push(Component::Ztunnel);
        }
        components.extend([
            Component::Gateways,
            Component::Knative,
            Component::Security,
            Component::Telemetry,
        ]);

        Model {
            mesh: Mesh {
                root_namespace: istio_ns,
                mtls_mode: spec.mtls.mode.as_str(),
                ambient,
                member_labels,
            },
            namespaces,
            gateway: gateways,
            knative: Knative {
                serving: knative.namespaces.serving.clone(),
                eventing,
                app_namespaces: knative.app_namespaces.clone(),
                ingress_class: GATEWAY_API_INGRESS_CLASS,
                mesh_compatibility_mode: (!ambient).then_some(MESH_COMPAT_ENABLED),
            },
            security: Security {
                webhook_exceptions,
                allow_policies,
            },
            telemetry: Telemetry {
                access_logging: spec.telemetry.access_logging,
                tracing: spec.telemetry.tracing.as_ref().map(|t| Tracing {
                    provider: t.provider.clone(),
                    sampling_percentage: t.sampling_percentage.map(|p| {
                        if p.fract() == 0.0 {
                            serde_json::json!(p as i64)
                        } else {
                            serde_json::json!(p)
                        }
                    }),
                }),
            },
            components,
            istio: istio::istio_knobs(profile),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::MeshProfile;

    #[test]
    fn exactly_one_membership_label() {
        let mut profile = MeshProfile::default();
        let model = Model::from_profile(&profile);
        assert_eq!(
            model.mesh.member_labels,
            [("istio-injection".to_owned(), "enabled".to_owned())].into()
        );
        profile.spec.istio.revision = Some("canary".into());
        let model = Model::from_profile(&profile);
        assert_eq!(
            model.mesh.member_labels,
            [("istio.io/rev".to_owned(), "canary".to_owned())].into()
        );
        assert_eq!(
            model.gateway.labels.get("istio.io/rev").map(String::as_str),
            Some("canary")
        );
        profile.spec.dataplane.mode = DataplaneMode::Ambient;
        let model = Model::from_profile(&profile);
        assert_eq!(
            model.mesh.member_labels,
            [("istio.io/dataplane-mode".to_owned(), "ambient".to_owned())].into()
        );
    }

    #[test]
    fn app_policies_admit_system_gateway_and_self() {
        let mut profile = MeshProfile::default();
        profile.spec.knative.app_namespaces = vec!["shop".into()];
        let model = Model::from_profile(&profile);
        let policy = &model.security.allow_policies[0];
        assert_eq!(
            policy.source_namespaces,
            [
                "shop",
                "knative-serving",
                "knative-eventing",
                "istio-system"
            ]
        );
    }

    /// `mesh-compatibility-mode: enabled` in every sidecar mode (PERMISSIVE included: the
    /// activator's pod-IP requests would otherwise arrive as plain text and be denied), `auto`
    /// (absent) in ambient.
    #[test]
    fn mesh_compatibility_in_every_sidecar_mode() {
        for mode in [MtlsMode::Strict, MtlsMode::Permissive, MtlsMode::Disable] {
            let mut profile = MeshProfile::default();
            profile.spec.mtls.mode = mode;
            assert_eq!(
                Model::from_profile(&profile)
                    .knative
                    .mesh_compatibility_mode,
                Some("enabled"),
                "{mode:?}"
            );
            profile.spec.dataplane.mode = DataplaneMode::Ambient;
            assert_eq!(
                Model::from_profile(&profile)
                    .knative
                    .mesh_compatibility_mode,
                None
            );
        }
    }

    #[test]
    fn strict_exempts_the_in_memory_channel_webhook_and_other_classes_get_a_gateway_class() {
        let mut profile = MeshProfile::default();
        let model = Model::from_profile(&profile);
        let imc = model
            .security
            .webhook_exceptions
            .iter()
            .find(|exception| exception.name == "inmemorychannel-webhook")
            .expect("IMC exception");
        assert_eq!(imc.namespace, "knative-eventing");
        assert_eq!(
            imc.selector,
            [
                (
                    "messaging.knative.dev/channel".to_owned(),
                    "in-memory-channel".to_owned()
                ),
                (
                    "messaging.knative.dev/role".to_owned(),
                    "controller".to_owned()
                )
            ]
            .into()
        );
        assert!(model.gateway.class.is_none(), "istiod creates `istio`");
        profile.spec.gateway.class_name = "istio-knative".into();
        let class = Model::from_profile(&profile).gateway.class.unwrap();
        assert_eq!(class.controller_name, "istio.io/gateway-controller");
        profile.spec.knative.eventing.enabled = false;
        assert!(
            Model::from_profile(&profile)
                .security
                .webhook_exceptions
                .iter()
                .all(|exception| !exception.namespace.contains("eventing"))
        );
    }

    #[test]
    fn service_refs_follow_istio_naming() {
        let model = Model::from_profile(&MeshProfile::default());
        assert_eq!(
            model.gateway.external.service_ref,
            "istio-system/knative-gateway-istio"
        );
        assert_eq!(
            model.gateway.local.service_ref,
            "istio-system/knative-local-gateway-istio"
        );
        assert_eq!(model.gateway.local.service_type, Some("ClusterIP"));
        assert_eq!(model.gateway.external.service_type, None);
    }
}
