//! Stage 5, finishing: what every rendered object gets before it is written — meshgen's label,
//! the Argo CD sync waves and sync options, a canonical key order — and the fixed install order
//! of the whole set. Also the last consistency check: no two objects with one identity.

use serde_json::{Map, Value};

use crate::core::diagnostic::{Diagnostic, Kind};
use crate::core::resource::{Component, Identity, Resource};
use crate::core::wellknown::{
    ANNOTATION_SYNC_OPTIONS, ANNOTATION_SYNC_WAVE, LABEL_MANAGED_BY, MANAGED_BY,
    SYNC_OPTION_NO_DELETE, SYNC_OPTION_NO_PRUNE,
};
use crate::error::{Error, Result};
use crate::profile::Argocd;

/// The last sync wave: objects whose health may need something outside the render.
pub const LAST_WAVE: i32 = 1;

/// Argo CD sync wave of an object. Argo CD applies one wave at a time and starts the next only
/// when everything of the current wave is Healthy (a Degraded object fails the sync), so no
/// wave may hold an object whose health the render alone cannot bring about:
///
/// - −3 CRDs (and the admission policy their bundle ships);
/// - −2 the control plane: istiod's injection and validation webhooks must answer before
///   anything is injected or any Istio resource is admitted; Deployment `istiod` and the
///   DaemonSets become Healthy from the render alone;
/// - −1 Namespaces (Argo CD moves a Namespace up to the wave of its first object anyway), a
///   GatewayClass, Knative's ConfigMaps (`mesh-compatibility-mode` lands before the policies);
/// - 0 the mesh policies and telemetry, which have no health: STRICT and its webhook exceptions
///   never wait for a load balancer;
/// - 1 ([`LAST_WAVE`]) what may never become Healthy on some clusters: Gateways (a
///   LoadBalancer without a provider stays Progressing, a listener whose certificate Secret is
///   missing is Degraded), HorizontalPodAutoscalers (Degraded without metrics), LoadBalancer
///   Services and Ingresses an overlay adds. Nothing waits for the last wave: the sync
///   operation ends once it is applied.
fn sync_wave(resource: &Resource, identity: &Identity) -> i32 {
    if waits_on_outside(resource, identity) {
        return LAST_WAVE;
    }
    match (identity.group.as_str(), identity.kind.as_str()) {
        ("apiextensions.k8s.io", "CustomResourceDefinition") => return -3,
        ("", "Namespace") | ("gateway.networking.k8s.io", "GatewayClass") => return -1,
        _ => {}
    }
    match resource.component {
        Component::Crds => -3,
        Component::Base | Component::Istiod | Component::IstioCni | Component::Ztunnel => -2,
        Component::Namespaces | Component::Knative | Component::Gateways => -1,
        Component::Security | Component::Telemetry | Component::Overlay => 0,
    }
}

/// Objects whose health needs something the render does not hold: metrics, a load-balancer
/// provider, a certificate.
fn waits_on_outside(resource: &Resource, identity: &Identity) -> bool {
    match (identity.group.as_str(), identity.kind.as_str()) {
        ("gateway.networking.k8s.io", "Gateway")
        | ("autoscaling", "HorizontalPodAutoscaler")
        | ("networking.k8s.io", "Ingress") => true,
        ("", "Service") => {
            resource
                .object
                .pointer("/spec/type")
                .and_then(Value::as_str)
                == Some("LoadBalancer")
        }
        _ => false,
    }
}

/// Objects other tools also write or that hold other owners' objects: Knative creates its
/// namespaces and ConfigMaps, so meshgen applies partial objects server-side and does not
/// claim them with its label; every Namespace holds objects meshgen never renders.
fn is_shared(resource: &Resource, identity: &Identity) -> bool {
    matches!(
        resource.component,
        Component::Namespaces | Component::Knative
    ) || identity.is("", "Namespace")
}

/// Objects Argo CD must never prune (when they leave the render) nor delete (when the
/// Application is deleted): every Namespace (deleting one deletes everything in it: Knative,
/// the Knative Services, istiod's CA Secret, TLS Secrets), every CRD (deleting one deletes
/// every object of its kind in the cluster) and Knative's ConfigMaps (meshgen sets three keys;
/// deleting them deletes Knative's whole configuration). Not gated by any profile flag: without
/// Argo CD the options are inert, with it they are the only guard.
fn never_prune(resource: &Resource, identity: &Identity) -> bool {
    resource.component == Component::Knative
        || identity.is("", "Namespace")
        || identity.is("apiextensions.k8s.io", "CustomResourceDefinition")
}

/// Upstream files included verbatim: no meshgen label.
fn is_upstream(resource: &Resource) -> bool {
    resource.component == Component::Crds
}

/// The `argocd.argoproj.io/sync-options` of an object, in one fixed order.
fn sync_options(resource: &Resource, identity: &Identity, argocd: &Argocd) -> Vec<&'static str> {
    let mut options = Vec::new();
    if argocd.server_side_apply {
        // CRDs exceed the client-side-apply annotation limit; shared objects must not have
        // their other owners' fields wiped; Gateways carry listeners net-gateway-api appends.
        if is_upstream(resource) || is_shared(resource, identity) || identity.kind == "Gateway" {
            options.push("ServerSideApply=true");
        }
        // Custom resources whose CRDs the same sync installs fail the dry run otherwise.
        if identity.group.ends_with(".istio.io") || identity.group == "gateway.networking.k8s.io" {
            options.push("SkipDryRunOnMissingResource=true");
        }
    }
    if never_prune(resource, identity) {
        options.extend([SYNC_OPTION_NO_PRUNE, SYNC_OPTION_NO_DELETE]);
    }
    options
}

/// Install-order rank of a kind: namespaces, CRDs, service accounts and RBAC, configuration,
/// services, workloads, webhooks, then custom resources.
fn kind_rank(group: &str, kind: &str) -> u8 {
    match (group, kind) {
        ("", "Namespace") => 0,
        ("apiextensions.k8s.io", "CustomResourceDefinition") => 1,
        ("", "ServiceAccount") => 2,
        ("rbac.authorization.k8s.io", "ClusterRole") => 3,
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => 4,
        ("rbac.authorization.k8s.io", "Role") => 5,
        ("rbac.authorization.k8s.io", "RoleBinding") => 6,
        ("", "ConfigMap") => 7,
        ("", "Secret") => 8,
        ("", "Service") => 9,
        ("apps", "DaemonSet") => 10,
        ("apps", "Deployment") => 11,
        ("autoscaling", "HorizontalPodAutoscaler") => 12,
        ("policy", "PodDisruptionBudget") => 13,
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => 14,
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => 15,
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => 16,
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => 17,
        // Before its Gateways (`Gateway` sorts first by name), for kubectl, which has no waves.
        ("gateway.networking.k8s.io", "GatewayClass") => 18,
        _ => 19,
    }
}

/// Labels, annotations, key order and install order for the whole set.
pub fn finish(mut resources: Vec<Resource>, argocd: &Argocd) -> Result<Vec<Resource>> {
    for resource in &mut resources {
        let identity = resource.identity();
        let shared = is_shared(resource, &identity);
        let upstream = is_upstream(resource);
        let wave = sync_wave(resource, &identity);
        let options = sync_options(resource, &identity, argocd);
        let Some(metadata) = resource
            .object
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        if !shared && !upstream {
            entry_map(metadata, "labels").insert(LABEL_MANAGED_BY.into(), MANAGED_BY.into());
        }
        if argocd.sync_waves {
            entry_map(metadata, "annotations")
                .insert(ANNOTATION_SYNC_WAVE.into(), wave.to_string().into());
        }
        if !options.is_empty() {
            entry_map(metadata, "annotations")
                .insert(ANNOTATION_SYNC_OPTIONS.into(), options.join(",").into());
        }
    }
    for resource in &mut resources {
        canonicalize(&mut resource.object);
    }
    // Identities once: sorting and the duplicate check both need them.
    let mut keyed: Vec<(u8, Identity, Resource)> = resources
        .into_iter()
        .map(|resource| {
            let identity = resource.identity();
            (
                kind_rank(&identity.group, &identity.kind),
                identity,
                resource,
            )
        })
        .collect();
    fn order_key(entry: &(u8, Identity, Resource)) -> (u8, &str, &str, &str, &str) {
        let (rank, id, _) = entry;
        (*rank, &id.group, &id.kind, &id.namespace, &id.name)
    }
    keyed.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
    let duplicates: Vec<Diagnostic> = keyed
        .windows(2)
        .filter(|pair| pair[0].1.key() == pair[1].1.key())
        .map(|pair| {
            let (first, second) = (&pair[0].2, &pair[1].2);
            let diagnostic = Diagnostic::new(
                Kind::Conflict,
                format!(
                    "`{}` is rendered twice: by {} and by {}",
                    pair[1].1,
                    source_of(first),
                    source_of(second)
                ),
            )
            .help("each object may come from one place: patch the existing object instead of adding it again, or give one of them another name");
            // Point at the user's file that holds one of the two, the later one first.
            match [second, first].into_iter().find_map(|r| where_from(r)) {
                Some(label) => diagnostic.at(label.clone()),
                None => diagnostic,
            }
        })
        .collect();
    if !duplicates.is_empty() {
        return Err(Error::inputs(duplicates));
    }
    Ok(keyed.into_iter().map(|(_, _, resource)| resource).collect())
}

/// How a message names where an object came from: the file (and line) that added it, the
/// component that rendered it, and the last patch that changed it.
fn source_of(resource: &Resource) -> String {
    let provenance = &resource.provenance;
    let mut text = match &provenance.added {
        Some(label) => format!("`{label}` (component `{}`)", resource.component),
        None => format!("component `{}`", resource.component),
    };
    if let Some(touch) = provenance.patches.last() {
        text.push_str(&format!(", changed by {} at `{}`", touch.name, touch.label));
    }
    text
}

/// The user's file position behind an object, if any: its last patch, else its addition.
fn where_from(resource: &Resource) -> Option<&crate::core::diagnostic::Label> {
    let provenance = &resource.provenance;
    provenance
        .patches
        .last()
        .map(|touch| &touch.label)
        .or(provenance.added.as_ref())
}

fn entry_map<'a>(metadata: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = metadata
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("just made an object")
}

/// `apiVersion`, `kind`, `metadata` first; in metadata `name`, `namespace`, `labels`,
/// `annotations` first, labels and annotations sorted; everything else keeps template order.
pub fn canonicalize(object: &mut Value) {
    let Value::Object(map) = object else { return };
    reorder(map, &["apiVersion", "kind", "metadata"]);
    if let Some(Value::Object(metadata)) = map.get_mut("metadata") {
        reorder(metadata, &["name", "namespace", "labels", "annotations"]);
        for key in ["labels", "annotations"] {
            if let Some(Value::Object(entries)) = metadata.get_mut(key) {
                entries.sort_keys();
            }
        }
    }
}

/// Moves the keys `first` to the front, in that order; the other keys keep their order
/// (`shift_remove`: serde_json's `remove` swaps the last key into the hole).
fn reorder(map: &mut Map<String, Value>, first: &[&str]) {
    let mut ordered = Map::with_capacity(map.len());
    for key in first {
        if let Some(value) = map.shift_remove(*key) {
            ordered.insert((*key).to_owned(), value);
        }
    }
    ordered.append(map);
    *map = ordered;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn install_order_and_annotations() {
        let resources = vec![
            Resource::new(
                Component::Security,
                json!({"kind": "PeerAuthentication", "apiVersion": "security.istio.io/v1", "metadata": {"name": "default", "namespace": "istio-system"}}),
            ),
            Resource::new(
                Component::Namespaces,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "knative-serving"}}),
            ),
        ];
        let finished = finish(resources, &Argocd::default()).unwrap();
        assert_eq!(finished[0].identity().kind, "Namespace");
        let ns = &finished[0].object["metadata"];
        assert_eq!(ns["annotations"][ANNOTATION_SYNC_WAVE], "-1");
        assert!(ns.get("labels").is_none(), "shared objects are not claimed");
        assert_eq!(
            ns["annotations"][ANNOTATION_SYNC_OPTIONS],
            "ServerSideApply=true,Prune=false,Delete=false"
        );
        let pa = &finished[1].object;
        assert_eq!(pa["metadata"]["labels"][LABEL_MANAGED_BY], "meshgen");
        assert_eq!(
            pa["metadata"]["annotations"][ANNOTATION_SYNC_OPTIONS],
            "SkipDryRunOnMissingResource=true"
        );
        let keys: Vec<_> = pa.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata"]);
    }

    #[test]
    fn reordering_keeps_the_order_of_the_other_keys() {
        let mut binding = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "istiod"}, "roleRef": {}, "subjects": []
        });
        // Templates write `metadata` first; serde_json's swap-remove would move `subjects`
        // into its place, ahead of `roleRef`.
        let object = binding.as_object_mut().unwrap();
        let metadata = object.shift_remove("metadata").unwrap();
        let mut reordered = Map::new();
        reordered.insert("metadata".into(), metadata);
        reordered.append(object);
        let mut value = Value::Object(reordered);
        canonicalize(&mut value);
        let keys: Vec<_> = value.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["apiVersion", "kind", "metadata", "roleRef", "subjects"]
        );
    }

    /// Whatever adds them, Namespaces are never pruned and never claimed; without server-side
    /// apply they still are protected; HPAs and Gateways go last, policies before them.
    #[test]
    fn waves_and_protection_do_not_depend_on_the_component() {
        let resources = vec![
            Resource::new(
                Component::Overlay,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}),
            ),
            Resource::new(
                Component::Istiod,
                json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "istiod", "namespace": "istio-system"}}),
            ),
            Resource::new(
                Component::Gateways,
                json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "g", "namespace": "istio-system"}}),
            ),
            Resource::new(
                Component::Gateways,
                json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "c"}}),
            ),
            Resource::new(
                Component::Security,
                json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "istio-system"}}),
            ),
        ];
        let argocd = Argocd {
            server_side_apply: false,
            ..Argocd::default()
        };
        let finished = finish(resources, &argocd).unwrap();
        let get = |kind: &str| {
            finished
                .iter()
                .find(|r| r.identity().kind == kind)
                .unwrap()
                .object["metadata"]
                .clone()
        };
        let namespace = get("Namespace");
        assert!(namespace.get("labels").is_none());
        assert_eq!(
            namespace["annotations"][ANNOTATION_SYNC_OPTIONS],
            "Prune=false,Delete=false"
        );
        for (kind, wave) in [
            ("Namespace", "-1"),
            ("GatewayClass", "-1"),
            ("PeerAuthentication", "0"),
            ("HorizontalPodAutoscaler", "1"),
            ("Gateway", "1"),
        ] {
            assert_eq!(
                get(kind)["annotations"][ANNOTATION_SYNC_WAVE],
                wave,
                "{kind}"
            );
        }
        let kinds: Vec<String> = finished.iter().map(|r| r.identity().kind).collect();
        let at = |kind: &str| kinds.iter().position(|k| k == kind).unwrap();
        assert!(at("GatewayClass") < at("Gateway"), "{kinds:?}");
    }

    #[test]
    fn duplicates_are_errors() {
        let object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "b"}});
        let resources = vec![
            Resource::new(Component::Knative, object.clone()),
            Resource::new(Component::Overlay, object),
        ];
        assert!(finish(resources, &Argocd::default()).is_err());
    }
}
