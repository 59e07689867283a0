//! The Helm values istiod 1.30.3's charts would be rendered with for a set of knobs, and the
//! three generated ConfigMap payloads (`istio`, `values`, `istio-sidecar-injector`).
//!
//! `values.json` holds the istiod chart's merged default values (sidecar profile, keys sorted,
//! as Helm's `toPrettyJson` prints them). Every knob is applied here, on top of that base,
//! at the same path the equivalent Helm value would take; the ambient profile's additions are
//! applied the way the chart's profile mechanism applies them.

use serde_json::{Map, Value, json};

use super::IstioKnobs;

/// The istiod chart's merged default values (Istio 1.30.3, no profile).
const DEFAULT_VALUES: &str = include_str!("values.json");

/// An injection template: data for istiod, embedded verbatim and never run through minijinja.
fn injection_template(name: &str) -> &'static str {
    crate::render::template_file(&format!("istiod/injection/{name}.gotmpl"))
}

/// The `template` entry upstream's injector config carries: an istiod older than the chart
/// finds this instead of the templates it expects and fails loudly.
const TEMPLATE_VERSION_GUARD: &str =
    "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}";

/// `global.proxy.clusterDomain` (not a knob): the DNS suffix istiod serves (`--domain`).
pub(crate) const CLUSTER_DOMAIN: &str = "cluster.local";

/// The trust domain the chart's mesh config starts from.
const DEFAULT_TRUST_DOMAIN: &str = "cluster.local";

/// Port of istiod's CA and xDS endpoint (`tls-xds`).
const ISTIOD_XDS_PORT: u16 = 15012;

/// The istiod chart's merged Helm values for these knobs (what the `values` ConfigMap shows
/// as `merged-values`): the chart defaults, the ambient profile when ambient, and the knobs.
pub fn helm_values(knobs: &IstioKnobs) -> Value {
    let mut values = chart_defaults(knobs);
    apply_knobs(&mut values, knobs);
    sort_keys(values)
}

/// The values istiod's injection templates read as `.Values`: the `values` key of the
/// injector ConfigMap. Like the chart, it is a subset of the merged values: `global`,
/// `sidecarInjectorWebhook`, `revision`, the gateways' security settings, and the pilot's
/// `cni` and `env` under `pilot`.
pub fn values(knobs: &IstioKnobs) -> Value {
    injector_values_from(&helm_values(knobs))
}

fn injector_values_from(merged: &Value) -> Value {
    let get = |key: &str| merged.get(key).cloned().unwrap_or(Value::Null);
    let gateways = merged.get("gateways").cloned().unwrap_or_else(|| json!({}));
    let gateways = json!({
        "securityContext": gateways.get("securityContext").cloned().unwrap_or_else(|| json!({})),
        "seccompProfile": gateways.get("seccompProfile").cloned().unwrap_or_else(|| json!({})),
    });
    let injector = json!({
        "gateways": gateways,
        "global": get("global"),
        "pilot": { "cni": get("cni"), "env": get("env") },
        "revision": get("revision"),
        "sidecarInjectorWebhook": get("sidecarInjectorWebhook"),
    });
    sort_keys(injector)
}

/// The values a user would have passed to Helm for these knobs (the `values` ConfigMap's
/// `original-values`): hub and tag always (upstream's reference passes them), the profile
/// name when ambient, and every value that differs from the chart's defaults for that profile.
pub fn original_values(knobs: &IstioKnobs) -> Value {
    original_values_from(knobs, &helm_values(knobs))
}

fn original_values_from(knobs: &IstioKnobs, merged: &Value) -> Value {
    let baseline = sort_keys(chart_defaults(knobs));
    let mut original = json!({ "global": { "hub": knobs.hub, "tag": knobs.tag } });
    if knobs.ambient {
        original["profile"] = json!("ambient");
    }
    if let Some(changed) = changed_values(merged, &baseline) {
        merge_overwrite(&mut original, changed);
    }
    sort_keys(original)
}

/// istiod's mesh config (the `mesh` key of the `istio` ConfigMap): the chart's generated mesh
/// config with `meshConfig` from the values merged over it, keys sorted as Helm's `toYaml`.
pub fn mesh_config(knobs: &IstioKnobs) -> Value {
    mesh_config_from(knobs, &helm_values(knobs))
}

fn mesh_config_from(knobs: &IstioKnobs, helm: &Value) -> Value {
    let mut default_config = Map::new();
    if knobs.ambient {
        // `global.variant: distroless` of the ambient profile
        default_config.insert("image".into(), json!({ "imageType": "distroless" }));
    }
    default_config.insert("discoveryAddress".into(), json!(istiod_address(knobs)));
    let mut mesh = json!({
        "trustDomain": DEFAULT_TRUST_DOMAIN,
        "rootNamespace": knobs.namespace,
        "defaultProviders": { "metrics": ["prometheus"] },
        "defaultConfig": default_config,
    });
    if let Some(overrides) = helm.get("meshConfig") {
        merge_overwrite(&mut mesh, overrides.clone());
    }
    sort_keys(mesh)
}

/// The injector's `config` document (the `config` key of `istio-sidecar-injector`).
pub fn injector_config(knobs: &IstioKnobs) -> Value {
    let mut templates = Map::new();
    templates.insert("sidecar".into(), json!(injection_template("sidecar")));
    // classic injected gateways (`inject.istio.io/templates: gateway`), in every install
    templates.insert("gateway".into(), json!(injection_template("gateway")));
    if knobs.ambient {
        templates.insert("waypoint".into(), json!(injection_template("waypoint")));
    }
    templates.insert(
        "kube-gateway".into(),
        json!(injection_template("kube-gateway")),
    );
    // Key order and the empty `injectedAnnotations` (null) as the chart writes them.
    json!({
        "defaultTemplates": ["sidecar"],
        "policy": "enabled",
        "alwaysInjectSelector": [],
        "neverInjectSelector": [],
        "injectedAnnotations": null,
        "template": TEMPLATE_VERSION_GUARD,
        "templates": templates,
    })
}

/// `istiod[-<rev>].<namespace>.svc:15012`: where proxies, ztunnel and istiod's own mesh
/// config find the CA and xDS server of this revision.
pub fn istiod_address(knobs: &IstioKnobs) -> String {
    format!(
        "{}.{}.svc:{ISTIOD_XDS_PORT}",
        super::suffixed("istiod", knobs),
        knobs.namespace
    )
}

/// The three ConfigMaps whose data are generated documents — `istio` (mesh config), `values`
/// (the Helm values, for tooling) and `istio-sidecar-injector` (the injection templates and the
/// values they read). They are built here rather than in a template: their payloads are large
/// text blocks (the Go templates among them) that gain nothing from templating and would only
/// be re-parsed.
pub fn config_maps(knobs: &IstioKnobs) -> Vec<Value> {
    let metadata = |name: String| {
        json!({
            "name": name,
            "namespace": knobs.namespace,
            "labels": {
                "istio.io/rev": knobs.revision.as_deref().unwrap_or("default"),
                "app.kubernetes.io/name": "istiod",
                "app.kubernetes.io/part-of": "istio",
            },
        })
    };
    let mut values_metadata = metadata(super::suffixed("values", knobs));
    values_metadata["annotations"] = json!({
        "kubernetes.io/description": "This ConfigMap contains the Helm values used during chart rendering. This ConfigMap is rendered for debugging purposes and external tooling; modifying these values has no effect.",
    });
    let config_map = |metadata: Value, data: Value| json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data });
    // Every payload derives from the merged values: compute them once.
    let merged = helm_values(knobs);
    vec![
        config_map(
            values_metadata,
            json!({
                "original-values": json_text(&original_values_from(knobs, &merged)),
                "merged-values": json_text(&merged),
            }),
        ),
        config_map(
            metadata(super::suffixed("istio", knobs)),
            json!({
                "meshNetworks": "networks: {}",
                // `|-` in the chart: the mesh text has no final newline.
                "mesh": crate::core::yaml::to_yaml(&mesh_config_from(knobs, &merged)).trim_end_matches('\n'),
            }),
        ),
        config_map(
            metadata(super::suffixed("istio-sidecar-injector", knobs)),
            json!({
                "values": json_text(&injector_values_from(&merged)),
                "config": crate::core::yaml::to_yaml(&injector_config(knobs)),
            }),
        ),
    ]
}

/// Pretty JSON as Helm's `toPrettyJson` writes it (two-space indent, no trailing newline).
pub(crate) fn json_text(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values serialise")
}

/// The chart defaults for the profile these knobs select, before any knob.
fn chart_defaults(knobs: &IstioKnobs) -> Value {
    // Parsed once per process: every render starts from the same defaults.
    static DEFAULTS: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
        serde_json::from_str(DEFAULT_VALUES).expect("values.json is JSON")
    });
    let mut values = DEFAULTS.clone();
    if knobs.ambient {
        // The ambient profile of the istiod chart, as its profile mechanism merges it:
        // `pilot.*` lands at the top level of the istiod values (and `pilot.env` stays too).
        merge_overwrite(
            &mut values,
            json!({
                "profile": "ambient",
                "global": { "variant": "distroless" },
                "cni": { "ambient": { "enabled": true } },
                "env": { "PILOT_ENABLE_AMBIENT": "true" },
                "pilot": { "env": { "PILOT_ENABLE_AMBIENT": "true" } },
                "meshConfig": {
                    "defaultConfig": {
                        "proxyMetadata": { "ISTIO_META_ENABLE_HBONE": "true" }
                    },
                    "serviceScopeConfigs": [{
                        "scope": "GLOBAL",
                        "servicesSelector": {
                            "matchExpressions": [{
                                "key": "istio.io/global",
                                "operator": "In",
                                "values": ["true"]
                            }]
                        }
                    }]
                }
            }),
        );
    }
    values
}

/// Set every knob at the path of its Helm value.
fn apply_knobs(values: &mut Value, knobs: &IstioKnobs) {
    let pilot = &knobs.pilot;
    let mut set = json!({
        "global": {
            "hub": knobs.hub,
            "tag": knobs.tag,
            "istioNamespace": knobs.namespace,
        },
        "revision": knobs.revision.clone().unwrap_or_default(),
        "replicaCount": pilot.replicas,
        "autoscaleEnabled": pilot.autoscale.is_some(),
        "resources": super::resources(&pilot.resources),
        // GitOps: render the validation webhooks with the failure policy istiod would switch
        // them to at runtime, so the rendered and live objects agree.
        "base": { "validationFailurePolicy": "Fail" },
    });
    if let Some(autoscale) = &pilot.autoscale {
        set["autoscaleMin"] = json!(autoscale.min);
        set["autoscaleMax"] = json!(autoscale.max);
        set["cpu"] = json!({ "targetAverageUtilization": autoscale.target_cpu });
    }
    merge_overwrite(values, set);
    // `resources` replaces the default, it does not merge into it.
    values["resources"] = super::resources(&pilot.resources);

    let mesh = &knobs.mesh;
    let mut mesh_config = Map::new();
    if let Some(file) = &mesh.access_log_file {
        mesh_config.insert("accessLogFile".into(), json!(file));
    }
    if let Some(encoding) = &mesh.access_log_encoding {
        mesh_config.insert("accessLogEncoding".into(), json!(encoding));
    }
    if let Some(mode) = &mesh.outbound_traffic_policy {
        mesh_config.insert("outboundTrafficPolicy".into(), json!({ "mode": mode }));
    }
    if !mesh.discovery_selectors.is_empty() {
        mesh_config.insert("discoverySelectors".into(), json!(mesh.discovery_selectors));
    }
    if let Some(hold) = mesh.hold_application_until_proxy_starts {
        mesh_config.insert(
            "defaultConfig".into(),
            json!({ "holdApplicationUntilProxyStarts": hold }),
        );
    }
    if knobs.trust_domain != DEFAULT_TRUST_DOMAIN {
        mesh_config.insert("trustDomain".into(), json!(knobs.trust_domain));
    }
    merge_overwrite(values, json!({ "meshConfig": mesh_config }));
}

/// Helm's `mergeOverwrite`: maps merge key by key, everything else (lists included) is
/// replaced by the overlay.
pub(crate) fn merge_overwrite(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge_overwrite(existing, value);
                    }
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

/// The parts of `values` that differ from `baseline` (maps compared key by key).
fn changed_values(values: &Value, baseline: &Value) -> Option<Value> {
    match (values, baseline) {
        (Value::Object(values), Value::Object(baseline)) => {
            let mut changed = Map::new();
            for (key, value) in values {
                let delta = match baseline.get(key) {
                    Some(base) => changed_values(value, base),
                    None => Some(value.clone()),
                };
                if let Some(delta) = delta {
                    changed.insert(key.clone(), delta);
                }
            }
            (!changed.is_empty()).then_some(Value::Object(changed))
        }
        (values, baseline) => (values != baseline).then(|| values.clone()),
    }
}

/// `value` with every mapping's keys sorted, as Helm's `toYaml` and `toPrettyJson` print them.
pub(crate) fn sort_keys(mut value: Value) -> Value {
    value.sort_all_objects();
    value
}
