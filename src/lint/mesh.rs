//! The analyzers' shared view of a manifest set: each object with its identity, plus the facts
//! several analyzers need and that only the whole set shows — rendered Namespaces and their
//! labels, istiod revisions and revision tags, the mesh config and root namespace, the effective
//! mTLS mode of a namespace, whether Knative and an ambient data plane are present. Everything
//! here is derived from the objects alone; what they do not show is `None` or empty.
//!
//! The analyzers ask these questions per namespace and per policy, so the answers are indexed
//! once, when the view is built (objects by kind, namespaces, gateway and istiod namespaces,
//! the namespace-wide mTLS policies): a render with 10,000 app namespaces costs ten times one
//! with 1,000, not a hundred.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::KnativeNamespaces;
use super::istio_types::{AuthorizationPolicy, MtlsMode, PeerAuthentication, Telemetry};
pub(crate) use crate::core::pointer::escape;
use crate::core::resource::Identity;
use crate::core::selector::{Selector, string_map};
pub(crate) use crate::core::wellknown::{
    ISTIO_SYSTEM, LABEL_DATAPLANE, LABEL_INJECTION, LABEL_REV, LABEL_TAG,
};

/// One object of the set.
#[derive(Debug)]
pub(crate) struct Object<'a> {
    pub id: Identity,
    pub value: &'a Value,
}

impl<'a> Object<'a> {
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.id.group == group && self.id.kind == kind
    }

    /// `metadata.labels` (string values only).
    pub fn labels(&self) -> BTreeMap<&'a str, &'a str> {
        string_map(self.value.pointer("/metadata/labels"))
    }

    /// `metadata.annotations` (string values only).
    pub fn annotations(&self) -> BTreeMap<&'a str, &'a str> {
        string_map(self.value.pointer("/metadata/annotations"))
    }

    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.value
            .pointer("/metadata/labels")
            .and_then(|labels| labels.get(key))
            .and_then(Value::as_str)
    }

    /// A string at a JSON Pointer.
    pub fn str_at(&self, pointer: &str) -> Option<&'a str> {
        str_at(self.value, pointer)
    }

    /// The items of the array at a JSON Pointer (none when it is absent or not an array).
    pub fn items_at(&self, pointer: &str) -> impl Iterator<Item = &'a Value> + use<'a> {
        items_at(self.value, pointer)
    }

    /// The whole object through a typed struct; `None` when it does not fit (typed validation
    /// reports why).
    pub fn typed<T: DeserializeOwned>(&self) -> Option<T> {
        T::deserialize(self.value).ok()
    }

    /// `namespace/name` (or `name` when cluster-scoped), for messages.
    pub fn name(&self) -> String {
        if self.id.namespace.is_empty() {
            self.id.name.clone()
        } else {
            format!("{}/{}", self.id.namespace, self.id.name)
        }
    }
}

impl<'a> Object<'a> {
    /// `argocd.argoproj.io/sync-wave` (absent or unparsable: 0, Argo CD's default).
    pub fn sync_wave(&self) -> i32 {
        self.annotations()
            .get(crate::core::wellknown::ANNOTATION_SYNC_WAVE)
            .and_then(|wave| wave.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The options of `argocd.argoproj.io/sync-options` (comma-separated, trimmed).
    pub fn sync_options(&self) -> BTreeSet<&'a str> {
        self.annotations()
            .get(crate::core::wellknown::ANNOTATION_SYNC_OPTIONS)
            .map(|options| {
                options
                    .split(',')
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An Argo CD sync hook (`argocd.argoproj.io/hook`): not part of the wave order.
    pub fn is_sync_hook(&self) -> bool {
        self.annotations()
            .contains_key(crate::core::wellknown::ANNOTATION_SYNC_HOOK)
    }
}

/// A rendered istiod Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Istiod {
    pub namespace: String,
    /// `default` for the default revision.
    pub revision: String,
}

/// A parsed mesh config (ConfigMap `istio` / `istio-<rev>`, key `mesh`).
#[derive(Debug)]
pub(crate) struct MeshConfig<'a> {
    pub object: &'a Object<'a>,
    pub config: Value,
}

/// A PeerAuthentication with its typed spec.
pub(crate) struct PeerAuth<'a> {
    pub object: &'a Object<'a>,
    pub policy: PeerAuthentication,
}

impl PeerAuth<'_> {
    pub fn has_selector(&self) -> bool {
        self.policy
            .spec
            .as_ref()
            .and_then(|spec| spec.selector.as_ref())
            .and_then(|selector| selector.match_labels.as_ref())
            .is_some_and(|labels| !labels.is_empty())
    }

    pub fn mode(&self) -> Option<MtlsMode> {
        self.policy
            .spec
            .as_ref()?
            .mtls
            .as_ref()?
            .mode
            .filter(|mode| *mode != MtlsMode::Unset)
    }
}

/// An AuthorizationPolicy with its typed spec.
pub(crate) struct Authz<'a> {
    pub object: &'a Object<'a>,
    /// Read once per set (four analyzers look at every policy).
    pub policy: &'a AuthorizationPolicy,
}

/// Everything the analyzers look at.
pub(crate) struct Mesh<'a> {
    pub objects: Vec<Object<'a>>,
    /// `meshConfig.rootNamespace` of the first mesh config that sets it, else `istio-system`.
    pub root: String,
    /// Rendered istiod Deployments.
    pub istiods: Vec<Istiod>,
    /// Where Knative Serving and Eventing run.
    pub knative: KnativeNamespaces,
    /// Positions in `objects` by group, then kind, in set order.
    by_kind: HashMap<String, HashMap<String, Vec<usize>>>,
    /// The first Namespace object of each name.
    namespace_index: HashMap<String, usize>,
    /// Every namespace an object lives in, and every Namespace object's name.
    mentioned: HashSet<String>,
    /// Namespaces holding Gateway API Gateways.
    gateway_namespaces: HashSet<String>,
    /// Namespaces istiod runs in.
    istiod_namespace_set: BTreeSet<String>,
    /// PeerAuthentications with their typed specs, sorted by identity (built on first use).
    peer_auths: OnceCell<Vec<(usize, PeerAuthentication)>>,
    /// AuthorizationPolicies with their typed specs, sorted by identity (built on first use).
    authz: OnceCell<Vec<(usize, AuthorizationPolicy)>>,
    /// Per namespace, the selector-less PeerAuthentication with a mode that sets its mTLS mode.
    namespace_modes: OnceCell<HashMap<String, (MtlsMode, Identity)>>,
}

impl<'a> Mesh<'a> {
    pub fn new(
        values: impl IntoIterator<Item = &'a Value>,
        knative: &KnativeNamespaces,
    ) -> Mesh<'a> {
        let objects: Vec<Object<'a>> = values
            .into_iter()
            .map(|value| Object {
                id: Identity::of(value),
                value,
            })
            .collect();
        let mut by_kind: HashMap<String, HashMap<String, Vec<usize>>> = HashMap::new();
        let mut namespace_index = HashMap::new();
        let mut mentioned = HashSet::new();
        let mut gateway_namespaces = HashSet::new();
        for (index, object) in objects.iter().enumerate() {
            by_kind
                .entry(object.id.group.clone())
                .or_default()
                .entry(object.id.kind.clone())
                .or_default()
                .push(index);
            if !object.id.namespace.is_empty() {
                mentioned.insert(object.id.namespace.clone());
            }
            if object.is("", "Namespace") {
                mentioned.insert(object.id.name.clone());
                namespace_index
                    .entry(object.id.name.clone())
                    .or_insert(index);
            }
            if object.is("gateway.networking.k8s.io", "Gateway") {
                gateway_namespaces.insert(object.id.namespace.clone());
            }
        }
        let mut mesh = Mesh {
            objects,
            root: String::new(),
            istiods: Vec::new(),
            knative: knative.clone(),
            by_kind,
            namespace_index,
            mentioned,
            gateway_namespaces,
            istiod_namespace_set: BTreeSet::new(),
            peer_auths: OnceCell::new(),
            authz: OnceCell::new(),
            namespace_modes: OnceCell::new(),
        };
        mesh.root = mesh
            .mesh_configs()
            .iter()
            .find_map(|mesh| {
                mesh.config
                    .get("rootNamespace")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| ISTIO_SYSTEM.to_owned());
        mesh.istiods = mesh.find_istiods();
        mesh.istiod_namespace_set = mesh
            .istiods
            .iter()
            .map(|istiod| istiod.namespace.clone())
            .collect();
        mesh
    }

    /// Objects of one group and kind (any version), in set order.
    pub fn of_kind<'m>(
        &'m self,
        group: &'m str,
        kind: &'m str,
    ) -> impl Iterator<Item = &'m Object<'a>> + 'm {
        self.by_kind
            .get(group)
            .and_then(|kinds| kinds.get(kind))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&index| &self.objects[index])
    }

    /// The rendered Namespace object with this name.
    pub fn namespace(&self, name: &str) -> Option<&Object<'a>> {
        self.namespace_index
            .get(name)
            .map(|&index| &self.objects[index])
    }

    /// Rendered Namespace objects, by name.
    pub fn namespaces(&self) -> BTreeMap<&str, &Object<'a>> {
        self.of_kind("", "Namespace")
            .map(|object| (object.id.name.as_str(), object))
            .collect()
    }

    /// Whether anything in the set lives in or names this namespace.
    pub fn mentions_namespace(&self, name: &str) -> bool {
        self.mentioned.contains(name)
    }

    /// Knative is part of the picture: a Knative system namespace or a `*.knative.dev` object.
    pub fn knative_present(&self) -> bool {
        self.knative_namespaces()
            .iter()
            .any(|namespace| self.mentions_namespace(namespace))
            || self
                .objects
                .iter()
                .any(|object| object.id.group.ends_with(".knative.dev"))
    }

    /// Rendered istiod Deployments (`istiod`, `istiod-<rev>`).
    fn find_istiods(&self) -> Vec<Istiod> {
        self.of_kind("apps", "Deployment")
            .filter(|object| object.id.name == "istiod" || object.id.name.starts_with("istiod-"))
            .map(|object| {
                let revision = object
                    .label(LABEL_REV)
                    .map(str::to_owned)
                    .unwrap_or_else(|| match object.id.name.strip_prefix("istiod-") {
                        Some(revision) => revision.to_owned(),
                        None => "default".to_owned(),
                    });
                Istiod {
                    namespace: object.id.namespace.clone(),
                    revision,
                }
            })
            .collect()
    }

    /// Namespaces istiod runs in.
    pub fn istiod_namespaces(&self) -> BTreeSet<&str> {
        self.istiod_namespace_set
            .iter()
            .map(String::as_str)
            .collect()
    }

    /// Revision tags from rendered tag webhooks (label `istio.io/tag`).
    pub fn revision_tags(&self) -> BTreeSet<&str> {
        self.of_kind(
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
        )
        .filter_map(|object| object.label(LABEL_TAG))
        .collect()
    }

    /// Parsed mesh configs: ConfigMaps `istio` or `istio-<rev>` with a `mesh` key that parses.
    pub fn mesh_configs(&self) -> Vec<MeshConfig<'_>> {
        self.of_kind("", "ConfigMap")
            .filter(|object| object.id.name == "istio" || object.id.name.starts_with("istio-"))
            .filter_map(|object| {
                let text = object.str_at("/data/mesh")?;
                let config = crate::core::yaml::parse_manifests(text)
                    .ok()?
                    .into_iter()
                    .next()?;
                config.is_object().then_some(MeshConfig { object, config })
            })
            .collect()
    }

    /// Knative Serving's system namespace (`knative-serving` by default).
    pub fn serving(&self) -> &str {
        &self.knative.serving
    }

    /// Knative Eventing's system namespace (`knative-eventing` by default).
    pub fn eventing(&self) -> &str {
        &self.knative.eventing
    }

    /// The Knative system namespaces, Serving's first.
    pub fn knative_namespaces(&self) -> [&str; 2] {
        [self.serving(), self.eventing()]
    }

    pub fn is_knative_namespace(&self, name: &str) -> bool {
        self.knative_namespaces().contains(&name)
    }

    /// Namespaces that are not app namespaces: root, istiod's, Knative's, `kube-*`.
    pub fn is_system_namespace(&self, name: &str) -> bool {
        name == self.root
            || name == ISTIO_SYSTEM
            || self.istiod_namespace_set.contains(name)
            || self.is_knative_namespace(name)
            || self.is_gateway_namespace(name)
            || name.starts_with("kube-")
    }

    /// A namespace holding Gateway API Gateways: their pods are Envoy proxies with mesh
    /// certificates whatever the namespace's labels say.
    pub fn is_gateway_namespace(&self, name: &str) -> bool {
        self.gateway_namespaces.contains(name)
    }

    /// An ambient data plane is rendered: a ztunnel DaemonSet or an ambient namespace.
    pub fn ambient_present(&self) -> bool {
        self.of_kind("apps", "DaemonSet")
            .any(|object| object.id.name == "ztunnel")
            || self
                .namespaces()
                .values()
                .any(|namespace| is_ambient(namespace))
    }

    pub fn peer_authentications(&self) -> Vec<PeerAuth<'_>> {
        self.typed_peer_authentications()
            .iter()
            .map(|(index, policy)| PeerAuth {
                object: &self.objects[*index],
                policy: policy.clone(),
            })
            .collect()
    }

    /// Every object of `group`/`kind` that fits `T`, with its index, sorted by identity.
    fn typed_of_kind<T: DeserializeOwned>(&self, group: &str, kind: &str) -> Vec<(usize, T)> {
        let mut typed: Vec<(usize, T)> = self
            .by_kind
            .get(group)
            .and_then(|kinds| kinds.get(kind))
            .into_iter()
            .flatten()
            .filter_map(|&index| Some((index, self.objects[index].typed()?)))
            .collect();
        typed.sort_by(|a, b| self.objects[a.0].id.cmp(&self.objects[b.0].id));
        typed
    }

    /// Every PeerAuthentication that fits its type, sorted by identity, read once.
    fn typed_peer_authentications(&self) -> &[(usize, PeerAuthentication)] {
        self.peer_auths
            .get_or_init(|| self.typed_of_kind("security.istio.io", "PeerAuthentication"))
    }

    pub fn authorization_policies(&self) -> Vec<Authz<'_>> {
        self.authz
            .get_or_init(|| self.typed_of_kind("security.istio.io", "AuthorizationPolicy"))
            .iter()
            .map(|(index, policy)| Authz {
                object: &self.objects[*index],
                policy,
            })
            .collect()
    }

    pub fn telemetries(&self) -> Vec<(&Object<'a>, Telemetry)> {
        let mut all: Vec<(&Object<'a>, Telemetry)> = self
            .of_kind("telemetry.istio.io", "Telemetry")
            .filter_map(|object| Some((object, object.typed()?)))
            .collect();
        all.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        all
    }

    /// The effective namespace-wide mTLS mode of `namespace` and the policy that sets it:
    /// the namespace's own selector-less policy, else the mesh-wide one. `None` when no rendered
    /// policy decides it.
    pub fn mtls_mode(&self, namespace: &str) -> Option<(MtlsMode, Identity)> {
        let modes = self.namespace_modes.get_or_init(|| {
            let policies = self.peer_authentications();
            let mut modes = HashMap::new();
            // The first by identity wins (MG0008 reports the others).
            for policy in &policies {
                if policy.has_selector() {
                    continue;
                }
                if let Some(mode) = policy.mode() {
                    modes
                        .entry(policy.object.id.namespace.clone())
                        .or_insert_with(|| (mode, policy.object.id.clone()));
                }
            }
            modes
        });
        modes
            .get(namespace)
            .or_else(|| modes.get(&self.root))
            .cloned()
    }

    /// The set is synced by Argo CD: an object carries an `argocd.argoproj.io/` annotation, or
    /// an Argo CD Application or ApplicationSet is in it.
    pub fn argocd_managed(&self) -> bool {
        self.objects.iter().any(|object| {
            object.id.group == "argoproj.io"
                || object
                    .annotations()
                    .keys()
                    .any(|key| key.starts_with("argocd.argoproj.io/"))
        })
    }

    /// Some object sets an Argo CD sync wave.
    pub fn has_sync_waves(&self) -> bool {
        self.objects.iter().any(|object| {
            object
                .annotations()
                .contains_key(crate::core::wellknown::ANNOTATION_SYNC_WAVE)
        })
    }

    /// The CustomResourceDefinition in the set for `group` and `kind`.
    pub fn crd_for(&self, group: &str, kind: &str) -> Option<&Object<'a>> {
        self.of_kind("apiextensions.k8s.io", "CustomResourceDefinition")
            .find(|crd| {
                crd.str_at("/spec/group") == Some(group)
                    && crd.str_at("/spec/names/kind") == Some(kind)
            })
    }

    /// The rendered istiod Deployment objects.
    pub fn istiod_objects(&self) -> Vec<&Object<'a>> {
        self.of_kind("apps", "Deployment")
            .filter(|object| object.id.name == "istiod" || object.id.name.starts_with("istiod-"))
            .collect()
    }

    /// The mesh-wide mTLS mode and its policy.
    pub fn mesh_mtls_mode(&self) -> Option<(MtlsMode, Identity)> {
        self.mtls_mode(&self.root)
    }
}

/// The namespace has `istio.io/dataplane-mode=ambient`.
pub(crate) fn is_ambient(namespace: &Object<'_>) -> bool {
    namespace.label(LABEL_DATAPLANE) == Some("ambient")
}

/// The namespace is labelled for sidecar injection (`istio-injection=enabled` or `istio.io/rev`).
pub(crate) fn is_injected(namespace: &Object<'_>) -> bool {
    namespace.label(LABEL_INJECTION) == Some("enabled")
        || (namespace.label(LABEL_INJECTION).is_none() && namespace.label(LABEL_REV).is_some())
}

/// The namespace's pods get a data plane: injected or ambient.
pub(crate) fn in_mesh(namespace: &Object<'_>) -> bool {
    is_injected(namespace) || is_ambient(namespace)
}

/// A Kubernetes label selector (`matchLabels` + `matchExpressions`) matches these labels.
/// A malformed selector, or one with an operator Kubernetes does not have, never matches.
pub(crate) fn selector_matches(selector: &Value, labels: &BTreeMap<&str, &str>) -> bool {
    Selector::from_object(selector).is_some_and(|selector| selector.matches(labels))
}

/// Istio's string match: exact, `prefix*`, `*suffix` or `*`.
pub(crate) fn istio_match(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        true
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        value.starts_with(prefix)
    } else if let Some(suffix) = pattern.strip_prefix('*') {
        value.ends_with(suffix)
    } else {
        pattern == value
    }
}

/// `a/b` → `Some(("a", "b"))` when both parts are non-empty and there is exactly one `/`.
pub(crate) fn namespaced_name(text: &str) -> Option<(&str, &str)> {
    let (namespace, name) = text.split_once('/')?;
    (!namespace.is_empty() && !name.is_empty() && !name.contains('/')).then_some((namespace, name))
}

/// The string at a JSON Pointer below any value (`None` when it is absent or not a string).
pub fn str_at<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// The items of the array at a JSON Pointer below any value (none when it is absent or not an
/// array): the walk every analyzer makes over listeners, containers, env and webhooks.
pub fn items_at<'v>(value: &'v Value, pointer: &str) -> impl Iterator<Item = &'v Value> + use<'v> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn selectors_match_like_kubernetes() {
        let labels: BTreeMap<&str, &str> = [("a", "1"), ("b", "2")].into();
        assert!(selector_matches(&json!({}), &labels));
        assert!(selector_matches(
            &json!({"matchLabels": {"a": "1"}}),
            &labels
        ));
        assert!(!selector_matches(
            &json!({"matchLabels": {"a": "2"}}),
            &labels
        ));
        assert!(selector_matches(
            &json!({"matchExpressions": [{"key": "c", "operator": "DoesNotExist"}]}),
            &labels
        ));
        assert!(!selector_matches(
            &json!({"matchExpressions": [{"key": "b", "operator": "NotIn", "values": ["2"]}]}),
            &labels
        ));
        assert!(!selector_matches(
            &json!({"matchExpressions": [{"key": "b", "operator": "Bogus"}]}),
            &labels
        ));
    }

    #[test]
    fn istio_string_match() {
        assert!(istio_match("knative-*", "knative-serving"));
        assert!(istio_match("*-serving", "knative-serving"));
        assert!(!istio_match("knative-eventing", "knative-serving"));
    }

    #[test]
    fn namespaced_names() {
        assert_eq!(
            namespaced_name("istio-system/gw"),
            Some(("istio-system", "gw"))
        );
        assert_eq!(namespaced_name("gw"), None);
        assert_eq!(namespaced_name("a/b/c"), None);
        assert_eq!(namespaced_name("/b"), None);
    }

    #[test]
    fn revisions_come_from_istiod_deployments() {
        let objects = vec![
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "istiod", "namespace": "istio-system"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "istiod-canary", "namespace": "istio-system", "labels": {"istio.io/rev": "canary"}}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}),
        ];
        let mesh = Mesh::new(&objects, &KnativeNamespaces::default());
        let revisions: Vec<&str> = mesh
            .istiods
            .iter()
            .map(|istiod| istiod.revision.as_str())
            .collect();
        assert_eq!(revisions, ["default", "canary"]);
    }
}
