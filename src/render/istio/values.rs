//! The Helm values istiod 1.30.3's charts would be rendered with for a set of knobs, and the
//! three generated ConfigMap payloads (`istio`, `values`, `istio-sidecar-injector`).
//!
//! `values.json` holds the istiod chart's merged default values (sidecar profile, keys sorted,
//! as Helm's `toPrettyJson` prints them). Every knob is applied here, on top of that base,
//! at the same path the equivalent Helm value would take; the ambient profile's additions are
//! applied the way the chart's profile mechanism applies them.

use serde_json::{Map, Value, json};

use super::RevisionKnobs;

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
pub fn helm_values(knobs: &RevisionKnobs) -> Value {
    let mut values = chart_defaults(knobs);
    apply_knobs(&mut values, knobs);
    // The `pilot.*` knobs as the chart's `zzy_descope_legacy.yaml` treats them: the `pilot`
    // subtree stays as given and is also merged over the top level, where the templates read it.
    let pilot = pilot_overlay(knobs);
    if !pilot.is_empty() {
        merge_overwrite(&mut values, json!({ "pilot": pilot.clone() }));
        merge_overwrite(&mut values, Value::Object(pilot));
    }
    sort_keys(values)
}

/// The knobs a user passes to the istiod chart under `pilot` (the spelling upstream's
/// references use): scheduling, extra env, trace sampling and istio-cni. Only what differs
/// from the chart's defaults.
fn pilot_overlay(knobs: &RevisionKnobs) -> Map<String, Value> {
    let pilot = &knobs.pilot;
    let mut overlay = Map::new();
    if !pilot.node_selector.is_empty() {
        overlay.insert(
            "nodeSelector".into(),
            Value::Object(pilot.node_selector.clone()),
        );
    }
    if !pilot.tolerations.is_empty() {
        overlay.insert("tolerations".into(), json!(pilot.tolerations));
    }
    if let Some(affinity) = &pilot.affinity {
        overlay.insert("affinity".into(), affinity.clone());
    }
    if !pilot.topology_spread_constraints.is_empty() {
        overlay.insert(
            "topologySpreadConstraints".into(),
            json!(pilot.topology_spread_constraints),
        );
    }
    if !pilot.env.is_empty() {
        let env: Map<String, Value> = pilot
            .env
            .iter()
            .map(|(name, value)| (name.clone(), json!(value)))
            .collect();
        overlay.insert("env".into(), Value::Object(env));
    }
    if let Some(sampling) = pilot.trace_sampling {
        overlay.insert("traceSampling".into(), helm_number(sampling));
    }
    let mut cni = Map::new();
    if knobs.cni.enabled {
        cni.insert("enabled".into(), json!(true));
    }
    if let Some(dir) = &knobs.cni.bin_dir {
        cni.insert("cniBinDir".into(), json!(dir));
    }
    if let Some(dir) = &knobs.cni.conf_dir {
        cni.insert("cniConfDir".into(), json!(dir));
    }
    if !cni.is_empty() {
        overlay.insert("cni".into(), Value::Object(cni));
    }
    overlay
}

/// A number as Helm holds a YAML number: integral values are integers (`10`, not `10.0`).
fn helm_number(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        json!(number as i64)
    } else {
        json!(number)
    }
}

/// A float as Go's `%v` prints it (what the chart's `{{ .Values.traceSampling }}` yields):
/// `1`, `10`, `0.5`.
pub(crate) fn go_float(number: f64) -> String {
    match helm_number(number) {
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// The values istiod's injection templates read as `.Values`: the `values` key of the
/// injector ConfigMap. Like the chart, it is a subset of the merged values: `global`,
/// `sidecarInjectorWebhook`, `revision`, the gateways' security settings, and the pilot's
/// `cni` and `env` under `pilot`.
pub fn values(knobs: &RevisionKnobs) -> Value {
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
pub fn original_values(knobs: &RevisionKnobs) -> Value {
    let baseline = sort_keys(chart_defaults(knobs));
    let mut original = json!({ "global": { "hub": knobs.hub, "tag": knobs.tag } });
    if knobs.ambient {
        original["profile"] = json!("ambient");
    }
    // Compared without the `pilot.*` knobs: those were given under `pilot` only.
    let mut without_pilot = chart_defaults(knobs);
    apply_knobs(&mut without_pilot, knobs);
    if let Some(changed) = changed_values(&sort_keys(without_pilot), &baseline) {
        merge_overwrite(&mut original, changed);
    }
    let pilot = pilot_overlay(knobs);
    if !pilot.is_empty() {
        merge_overwrite(&mut original, json!({ "pilot": pilot }));
    }
    sort_keys(original)
}

/// istiod's mesh config (the `mesh` key of the `istio` ConfigMap): the chart's generated mesh
/// config with `meshConfig` from the values merged over it, keys sorted as Helm's `toYaml`.
pub fn mesh_config(knobs: &RevisionKnobs) -> Value {
    mesh_config_from(knobs, &helm_values(knobs))
}

fn mesh_config_from(knobs: &RevisionKnobs, helm: &Value) -> Value {
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
        // The chart writes its `defaultProviders: {metrics: [prometheus]}` only when
        // `meshConfig.defaultProviders` is unset (`default-prometheus` in `_helpers.tpl`).
        if overrides.get("defaultProviders").is_some() {
            mesh["defaultProviders"] = json!({});
        }
        merge_overwrite(&mut mesh, overrides.clone());
    }
    sort_keys(mesh)
}

/// The injector's `config` document (the `config` key of `istio-sidecar-injector`).
pub fn injector_config(knobs: &RevisionKnobs) -> Value {
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
pub fn istiod_address(knobs: &RevisionKnobs) -> String {
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
pub fn config_maps(install: &super::IstioKnobs) -> Vec<Value> {
    install
        .revisions
        .iter()
        .flat_map(revision_config_maps)
        .collect()
}

/// The three generated ConfigMaps of one revision.
pub fn revision_config_maps(knobs: &RevisionKnobs) -> Vec<Value> {
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
                "original-values": json_text(&original_values(knobs)),
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
fn chart_defaults(knobs: &RevisionKnobs) -> Value {
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
    if let Some(platform) = &knobs.platform {
        // The platform's Helm profile (`platform-<name>.yaml`), as the chart applies it.
        let (bin, conf) = platform_cni_dirs(platform);
        merge_overwrite(
            &mut values,
            json!({ "cni": { "cniBinDir": bin, "cniConfDir": conf } }),
        );
    }
    values
}

/// The CNI directories a platform's Helm profile sets.
pub(crate) fn platform_cni_dirs(platform: &str) -> (&'static str, &'static str) {
    match platform {
        "k3s" => crate::profile::Platform::K3s.cni_dirs(),
        other => unreachable!("platform {other} is not offered"),
    }
}

/// Set every knob at the path of its Helm value.
fn apply_knobs(values: &mut Value, knobs: &RevisionKnobs) {
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
    if !knobs.tags.is_empty() {
        set["revisionTags"] = json!(knobs.tags);
    }
    let global = &mut set["global"];
    if let Some(policy) = &knobs.image_pull_policy {
        global["imagePullPolicy"] = json!(policy);
    }
    if !knobs.image_pull_secrets.is_empty() {
        global["imagePullSecrets"] = json!(knobs.image_pull_secrets);
    }
    if let Some(platform) = &knobs.platform {
        global["platform"] = json!(platform);
    }
    if let Some(class) = &pilot.priority_class_name {
        global["priorityClassName"] = json!(class);
    }
    if knobs.log_as_json {
        global["logAsJson"] = json!(true);
    }
    if let Some(level) = &knobs.proxy.log_level {
        global["proxy"] = json!({ "logLevel": level });
    }
    let proxy_resources = super::resources(&knobs.proxy.resources);
    if proxy_resources.as_object().is_some_and(|r| !r.is_empty()) {
        merge_overwrite(global, json!({ "proxy": { "resources": proxy_resources } }));
    }
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
    if !mesh.extension_providers.is_empty() {
        mesh_config.insert("extensionProviders".into(), json!(mesh.extension_providers));
    }
    if let Some(providers) = &mesh.default_providers {
        mesh_config.insert("defaultProviders".into(), providers.clone());
    }
    if let Some(enable) = mesh.enable_tracing {
        mesh_config.insert("enableTracing".into(), json!(enable));
    }
    if !mesh.trust_domain_aliases.is_empty() {
        mesh_config.insert(
            "trustDomainAliases".into(),
            json!(mesh.trust_domain_aliases),
        );
    }
    if let Some(format) = &mesh.access_log_format {
        mesh_config.insert("accessLogFormat".into(), json!(format));
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
