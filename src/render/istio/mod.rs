//! The Istio control plane and ambient data plane: everything meshgen derives from the profile
//! for the `base`, `istiod`, `istio-cni` and `ztunnel` components, faithful to Istio 1.30.3.
//!
//! The seam with the rest of meshgen is [`IstioKnobs`] (filled by the model from the validated
//! profile) and [`context`] (the `istio` variable the component templates see). Istio 1.30.3's
//! injection templates (`templates/istiod/injection/*.gotmpl`) are data for istiod: they are
//! embedded verbatim in the `istio-sidecar-injector` ConfigMap and never run here.

use serde_json::{Map, Value, json};

use crate::core::wellknown::{ISTIO_SYSTEM, LABEL_REV};

pub use crate::model::istio::{AutoscaleKnobs, IstioKnobs, MeshKnobs, PilotKnobs, ResourceKnobs};

mod values;

pub use values::{
    config_maps, helm_values, injector_config, istiod_address, mesh_config, original_values, values,
};

/// The `istio` variable of the `base`, `istiod`, `istio-cni` and `ztunnel` templates.
///
/// Everything a template places is derived here; the templates only place values and test
/// booleans. Keys:
/// - `namespace`, `version`, `trust_domain`, `cluster_domain`, `ambient`;
/// - `revision` (`""` for the default revision), `has_revision`, `rev` (the `istio.io/rev`
///   label value: the revision, or `default`);
/// - `names`: every object name that depends on the revision or namespace (`istiod`,
///   `clusterrole`,
///   `gateway_controller_clusterrole`, `reader_clusterrole`, `reader_service_account`,
///   `injector_webhook`, `validator_webhook`, `default_validator_webhook`);
/// - `istiod_selector`: the Deployment's selector (`istio: pilot`, or `app` + `istio.io/rev`
///   for a revision); `istiod_service_selector`: the Service's and PDB's (`app` + `istio`, or
///   `app` + `istio.io/rev`);
/// - `istiod_address` and `ca_address`: `istiod[-<rev>].<namespace>.svc:15012`;
/// - `images`: `pilot`, `install_cni`, `ztunnel` (ambient uses the `-distroless` variants);
/// - `default_validator`: render `istiod-default-validator` (base chart; default revision
///   only); `validation_failure_policy`: `Fail`;
/// - `pilot`: `replicas` (null with autoscaling), `hpa`, `autoscale_min`, `autoscale_max`,
///   `target_cpu`, `pdb`, `pdb_min_available`, `resources` (may be empty), `env` (extra
///   `{name, value}` pairs from the Helm `env` value);
/// - `cni`: `agent_version`.
pub fn context(knobs: &IstioKnobs) -> serde_json::Value {
    let revision = knobs.revision.clone().unwrap_or_default();
    let rev = knobs.revision.clone().unwrap_or_else(|| "default".into());
    let namespace = &knobs.namespace;
    let istiod = suffixed("istiod", knobs);

    let injector_webhook = {
        let mut name = suffixed("istio-sidecar-injector", knobs);
        if namespace != ISTIO_SYSTEM {
            name = format!("{name}-{namespace}");
        }
        name
    };
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

    let variant = if knobs.ambient { "-distroless" } else { "" };
    let images = json!({
        "pilot": format!("{}/pilot:{}{variant}", knobs.hub, knobs.tag),
        // istio-cni and ztunnel only exist in ambient, whose profile selects distroless
        "install_cni": format!("{}/install-cni:{}-distroless", knobs.hub, knobs.tag),
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
        "names": names,
        "istiod_selector": istiod_selector,
        "istiod_service_selector": istiod_service_selector,
        "istiod_address": address,
        "ca_address": address,
        "images": images,
        "default_validator": knobs.revision.is_none(),
        "validation_failure_policy": "Fail",
        "pilot": pilot_context,
        "cni": { "agent_version": knobs.tag },
    })
}

/// `<name>-<rev>` for a revision, `<name>` for the default revision: what the charts do with
/// every per-revision object name.
pub(crate) fn suffixed(name: &str, knobs: &IstioKnobs) -> String {
    match &knobs.revision {
        Some(rev) => format!("{name}-{rev}"),
        None => name.to_string(),
    }
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
