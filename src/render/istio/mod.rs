//! The Istio control plane and ambient data plane: everything meshgen derives from the profile
//! for the `base`, `istiod`, `istio-cni` and `ztunnel` components, faithful to Istio 1.30.3.
//!
//! The seam with the rest of meshgen is [`IstioKnobs`] (filled by the model from the validated
//! profile) and [`context`] (the `istio` variable the component templates see). Istio 1.30.3's
//! injection templates (`templates/istiod/injection/*.gotmpl`) are data for istiod: they are
//! embedded verbatim in the `istio-sidecar-injector` ConfigMap and never run here.

use serde_json::{Map, Value, json};

use crate::core::wellknown::{ISTIO_SYSTEM, LABEL_REV};

pub use crate::model::istio::{
    AutoscaleKnobs, CniKnobs, IstioKnobs, MeshKnobs, PilotKnobs, ProxyKnobs, ResourceKnobs,
    RevisionKnobs,
};
use crate::profile::DEFAULT_REVISION;

mod values;

pub use values::{
    config_maps, helm_values, injector_config, istiod_address, mesh_config, original_values,
    revision_config_maps, values,
};

/// The `istio` variable of the `base`, `istiod`, `istio-cni` and `ztunnel` templates.
///
/// Everything a template places is derived here; the templates only place values and test
/// booleans. The variable is the context of the data-plane revision (the one istio-cni and
/// ztunnel follow, see [`revision_context`]) plus what the install has once:
/// - `revisions`: one [`revision_context`] per control plane (the `istiod` templates loop over
///   them);
/// - `default_validator`: `{service, rev}` of the default revision for `istiod-default-validator`
///   (base chart `defaultRevision`), or null when no revision is the default;
/// - `cni`: `enabled` (render istio-cni), `agent_version`, `bin_dir`, `conf_dir`;
/// - `pull_secrets` (ServiceAccount `imagePullSecrets`), `pull_policy` (or null).
pub fn context(install: &IstioKnobs) -> Value {
    let dataplane = install.dataplane_revision();
    let mut context = revision_context(dataplane);
    let revisions: Vec<Value> = install.revisions.iter().map(revision_context).collect();
    let default_validator = install.default_revision.as_deref().and_then(|name| {
        install
            .revisions
            .iter()
            .find(|r| r.revision.as_deref().unwrap_or(DEFAULT_REVISION) == name)
            .map(|r| json!({ "service": suffixed("istiod", r), "rev": name }))
    });
    let (bin_dir, conf_dir) = match &dataplane.platform {
        Some(platform) => values::platform_cni_dirs(platform),
        None => ("/opt/cni/bin", "/etc/cni/net.d"),
    };
    context["revisions"] = json!(revisions);
    context["default_validator"] = json!(default_validator);
    context["cni"] = json!({
        "enabled": install.cni,
        "agent_version": dataplane.tag,
        "bin_dir": dataplane.cni.bin_dir.as_deref().unwrap_or(bin_dir),
        "conf_dir": dataplane.cni.conf_dir.as_deref().unwrap_or(conf_dir),
    });
    context
}

/// One control plane's part of the `istio` variable. Keys:
/// - `namespace`, `version`, `trust_domain`, `cluster_domain`, `ambient`;
/// - `revision` (`""` for the default revision), `has_revision`, `rev` (the `istio.io/rev`
///   label value: the revision, or `default`); `pod_istio_label`: the `istio` label of
///   istiod's pods (`pilot` for the unnamed revision, `istiod` for a named one, as the chart:
///   the unnamed revision's Service and PDB select `istio: pilot`, so a canary's pods must not
///   carry it);
/// - `names`: every object name that depends on the revision or namespace (`istiod`,
///   `clusterrole`,
///   `gateway_controller_clusterrole`, `reader_clusterrole`, `reader_service_account`,
///   `injector_webhook`, `validator_webhook`, `default_validator_webhook`);
/// - `istiod_selector`: the Deployment's selector (`istio: pilot`, or `app` + `istio.io/rev`
///   for a revision); `istiod_service_selector`: the Service's and PDB's (`app` + `istio`, or
///   `app` + `istio.io/rev`);
/// - `istiod_address` and `ca_address`: `istiod[-<rev>].<namespace>.svc:15012`;
/// - `images`: `pilot`, `install_cni`, `ztunnel` (ambient uses the `-distroless` variants);
/// - `legacy_default_webhooks`: the injector carries the `istio-injection`/`inject=true`
///   webhooks (the unnamed revision); `tags`: `{name, service, webhook, legacy}` per revision
///   tag of this revision (`legacy`: the `default` tag, which adds those two webhooks);
/// - `validation_failure_policy`: `Fail`;
/// - `pull_policy`, `pull_secrets`, `platform` (`""` when unset), `log_as_json`;
/// - `pilot`: `replicas` (null with autoscaling), `hpa`, `autoscale_min`, `autoscale_max`,
///   `target_cpu`, `pdb`, `pdb_min_available`, `resources` (may be empty), `env` (extra
///   `{name, value}` pairs from the Helm `env` value), `trace_sampling` (as the chart prints
///   it), `scheduling` (pod-spec fields in the chart's order, as `{key, yaml}` blocks),
///   `priority_class_name` (or null).
pub fn revision_context(knobs: &RevisionKnobs) -> Value {
    let revision = knobs.revision.clone().unwrap_or_default();
    let rev = knobs.revision.clone().unwrap_or_else(|| "default".into());
    let namespace = &knobs.namespace;
    let istiod = suffixed("istiod", knobs);

    // Cluster-scoped webhook names carry the namespace outside `istio-system`.
    let cluster_scoped = |name: String| {
        if namespace == ISTIO_SYSTEM {
            name
        } else {
            format!("{name}-{namespace}")
        }
    };
    let injector_webhook = cluster_scoped(suffixed("istio-sidecar-injector", knobs));
    let tags: Vec<Value> = knobs
        .tags
        .iter()
        .map(|tag| {
            json!({
                "name": tag,
                "service": format!("istiod-revision-tag-{tag}"),
                "webhook": cluster_scoped(format!("istio-revision-tag-{tag}")),
                "legacy": tag == DEFAULT_REVISION,
            })
        })
        .collect();
    let names = json!({
        "istiod": istiod,
        "clusterrole": format!("{}-{namespace}", suffixed("istiod-clusterrole", knobs)),
        "gateway_controller_clusterrole":
            format!("{}-{namespace}", suffixed("istiod-gateway-controller", knobs)),
        "reader_clusterrole": format!("{}-{namespace}", suffixed("istio-reader-clusterrole", knobs)),
        "reader_service_account": "istio-reader-service-account",
        "injector_webhook": injector_webhook,
        "validator_webhook": format!("{}-{namespace}", suffixed("istio-validator", knobs)),
        "default_validator_webhook": "istiod-default-validator",
    });

    // The Deployment selects `istio: pilot` (immutable, kept from older charts); the Service
    // and the PDB add `app: istiod`. A revision selects by `istio.io/rev` instead, so the
    // default revision's Service never picks a canary's pods.
    let (istiod_selector, istiod_service_selector) = if knobs.revision.is_some() {
        let by_rev = json!({ "app": "istiod", LABEL_REV: rev });
        (by_rev.clone(), by_rev)
    } else {
        (
            json!({ "istio": "pilot" }),
            json!({ "app": "istiod", "istio": "pilot" }),
        )
    };

    // The ambient profile selects the distroless variant (`global.variant`); the istio-cni
    // chart's own defaults (sidecars with istio-cni) do not.
    let variant = if knobs.ambient { "-distroless" } else { "" };
    let images = json!({
        "pilot": format!("{}/pilot:{}{variant}", knobs.hub, knobs.tag),
        "install_cni": format!("{}/install-cni:{}{variant}", knobs.hub, knobs.tag),
        "ztunnel": format!("{}/ztunnel:{}-distroless", knobs.hub, knobs.tag),
    });

    let pilot = &knobs.pilot;
    let env: Vec<Value> = values::helm_values(knobs)
        .get("env")
        .and_then(Value::as_object)
        .map(|env| {
            env.iter()
                .map(|(name, value)| {
                    let value = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    json!({ "name": name, "value": value })
                })
                .collect()
        })
        .unwrap_or_default();
    let (autoscale_min, autoscale_max, target_cpu) = match &pilot.autoscale {
        Some(a) => (a.min, a.max, a.target_cpu),
        None => (0, 0, 0),
    };
    let pilot_context = json!({
        // Helm sets `replicas` only without autoscaling (and only when non-zero).
        "replicas": if pilot.autoscale.is_none() && pilot.replicas > 0 {
            json!(pilot.replicas)
        } else {
            Value::Null
        },
        "hpa": pilot.autoscale.is_some(),
        "autoscale_min": autoscale_min,
        "autoscale_max": autoscale_max,
        "target_cpu": target_cpu,
        "pdb": pdb_enabled(pilot),
        "pdb_min_available": 1,
        "resources": resources(&pilot.resources),
        "env": env,
        "trace_sampling": values::go_float(pilot.trace_sampling.unwrap_or(1.0)),
        "scheduling": scheduling(pilot),
        "priority_class_name": pilot.priority_class_name,
    });

    let address = values::istiod_address(knobs);
    json!({
        "namespace": namespace,
        "version": knobs.version,
        "trust_domain": knobs.trust_domain,
        "cluster_domain": values::CLUSTER_DOMAIN,
        "ambient": knobs.ambient,
        "revision": revision,
        "has_revision": knobs.revision.is_some(),
        "rev": rev,
        "pod_istio_label": if knobs.revision.is_some() { "istiod" } else { "pilot" },
        "legacy_default_webhooks": knobs.revision.is_none(),
        "tags": tags,
        "pull_policy": knobs.image_pull_policy,
        "pull_secrets": knobs.image_pull_secrets,
        "platform": knobs.platform.as_deref().unwrap_or(""),
        "log_as_json": knobs.log_as_json,
        "names": names,
        "istiod_selector": istiod_selector,
        "istiod_service_selector": istiod_service_selector,
        "istiod_address": address,
        "ca_address": address,
        "images": images,
        "validation_failure_policy": "Fail",
        "pilot": pilot_context,
    })
}

/// `<name>-<rev>` for a revision, `<name>` for the default revision: what the charts do with
/// every per-revision object name.
pub(crate) fn suffixed(name: &str, knobs: &RevisionKnobs) -> String {
    match &knobs.revision {
        Some(rev) => format!("{name}-{rev}"),
        None => name.to_string(),
    }
}

/// istiod's pod-spec scheduling fields, in the order the chart writes them (`nodeSelector`,
/// `affinity`, `tolerations`, `topologySpreadConstraints`; `priorityClassName` comes after
/// `serviceAccountName`), each as `{key, yaml}` with the value as block YAML (keys sorted, as
/// Helm's `toYaml`). The chart's own `cni.istio.io/not-ready` toleration is always first.
fn scheduling(pilot: &PilotKnobs) -> Vec<Value> {
    let mut tolerations = vec![json!({ "key": "cni.istio.io/not-ready", "operator": "Exists" })];
    tolerations.extend(pilot.tolerations.iter().cloned());
    let mut fields = Vec::new();
    if !pilot.node_selector.is_empty() {
        fields.push(("nodeSelector", Value::Object(pilot.node_selector.clone())));
    }
    if let Some(affinity) = &pilot.affinity {
        fields.push(("affinity", affinity.clone()));
    }
    fields.push(("tolerations", Value::Array(tolerations)));
    if !pilot.topology_spread_constraints.is_empty() {
        fields.push((
            "topologySpreadConstraints",
            Value::Array(pilot.topology_spread_constraints.clone()),
        ));
    }
    fields
        .into_iter()
        .map(|(key, value)| {
            let yaml = crate::core::yaml::to_yaml(&values::sort_keys(value));
            json!({ "key": key, "yaml": yaml.trim_end_matches('\n') })
        })
        .collect()
}

/// The istiod chart's PodDisruptionBudget rule: only when more than one istiod is guaranteed
/// (the autoscaling minimum with autoscaling, the replica count without), since a PDB over a
/// single replica would block every node drain.
pub(crate) fn pdb_enabled(pilot: &PilotKnobs) -> bool {
    match &pilot.autoscale {
        Some(autoscale) => autoscale.min > 1,
        None => pilot.replicas > 1,
    }
}

/// Container resources as Kubernetes (and Helm's `toYaml`) write them: `limits` before
/// `requests`, `cpu` before `memory`, absent entries left out.
pub(crate) fn resources(knobs: &ResourceKnobs) -> Value {
    let section = |cpu: &Option<String>, memory: &Option<String>| {
        let mut map = Map::new();
        if let Some(cpu) = cpu {
            map.insert("cpu".into(), json!(cpu));
        }
        if let Some(memory) = memory {
            map.insert("memory".into(), json!(memory));
        }
        map
    };
    let mut out = Map::new();
    let limits = section(&knobs.limits_cpu, &knobs.limits_memory);
    if !limits.is_empty() {
        out.insert("limits".into(), Value::Object(limits));
    }
    let requests = section(&knobs.requests_cpu, &knobs.requests_memory);
    if !requests.is_empty() {
        out.insert("requests".into(), Value::Object(requests));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests;
