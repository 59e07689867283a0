//! Istio policy hygiene: PeerAuthentications that Istio rejects or ignores (MG0008) and
//! duplicate selector-less Telemetry resources (MG0009). Istio breaks ties between selector-less
//! resources by creation time, which a manifest set does not have; these analyzers name every
//! extra one instead.

use std::collections::BTreeMap;

use crate::lint::Finding;
use crate::lint::istio_types::MtlsMode;
use crate::lint::mesh::{Mesh, Object, is_ambient};
use crate::lint::rule::{Rule, Severity};

pub(crate) static MG0008: Rule = Rule {
    code: "MG0008",
    name: "peer-authentication-ineffective",
    severity: Severity::Error,
    summary: "A PeerAuthentication that Istio rejects or ignores.",
    why: "`portLevelMtls` needs a `selector` (CEL validation rejects it otherwise). A policy with a selector in \
          the root namespace is ignored. Only the oldest selector-less policy of a namespace counts; the \
          others are ignored, so which one wins depends on creation order. `mtls.mode: DISABLE` is ignored \
          in ambient namespaces.",
    fix: "Give port-level policies a `selector.matchLabels`; move selector policies out of the root \
          namespace; keep one selector-less policy per namespace (the mesh-wide one is conventionally \
          `default` in the root namespace); do not rely on DISABLE under ambient.",
    scope: "Runs on every PeerAuthentication; the root namespace is `meshConfig.rootNamespace` when a mesh \
            config is rendered, `istio-system` otherwise.",
    check: peer_authentication_ineffective,
};

pub(crate) static MG0009: Rule = Rule {
    code: "MG0009",
    name: "duplicate-default-telemetry",
    severity: Severity::Error,
    summary: "More than one selector-less Telemetry in a namespace.",
    why: "Only one Telemetry without `selector` or `targetRefs` is valid per namespace (in the root namespace, \
          that is the mesh-wide one); with several, Istio's result depends on which it picks.",
    fix: "Merge them into one (the mesh-wide one is conventionally `mesh-default` in the root namespace), or \
          give the others a `selector`.",
    scope: "Runs on every Telemetry.",
    check: duplicate_default_telemetry,
};

/// MG0008: PeerAuthentications that do not do what they say.
pub(crate) fn peer_authentication_ineffective(mesh: &Mesh<'_>) -> Vec<Finding> {
    let namespaces = mesh.namespaces();
    let policies = mesh.peer_authentications();
    let mut findings = Vec::new();
    let mut selectorless: BTreeMap<&str, Vec<&Object<'_>>> = BTreeMap::new();
    for policy in &policies {
        let id = &policy.object.id;
        let name = policy.object.name();
        let spec = policy.policy.spec.clone().unwrap_or_default();
        let port_level = spec
            .port_level_mtls
            .as_ref()
            .is_some_and(|ports| !ports.is_empty());
        if port_level && !policy.has_selector() {
            findings.push(MG0008.finding(
                id,
                "/spec/portLevelMtls",
                format!(
                    "PeerAuthentication `{name}` sets `portLevelMtls` without a selector, which Istio rejects; add \
                     `selector.matchLabels` for the workloads that own the ports"
                ),
            ));
        }
        if id.namespace == mesh.root && policy.has_selector() {
            findings.push(MG0008.finding(
                id,
                "/spec/selector",
                format!(
                    "PeerAuthentication `{name}` has a selector in the root namespace `{}`, where Istio ignores it; \
                     move it to the namespace of its workloads",
                    mesh.root
                ),
            ));
        }
        if !policy.has_selector() {
            selectorless
                .entry(id.namespace.as_str())
                .or_default()
                .push(policy.object);
        }
        let in_ambient = namespaces
            .get(id.namespace.as_str())
            .is_some_and(|namespace| is_ambient(namespace));
        let disabled = |mode: Option<MtlsMode>| mode == Some(MtlsMode::Disable);
        let disable_pointer = if disabled(spec.mtls.as_ref().and_then(|mtls| mtls.mode)) {
            Some("/spec/mtls/mode".to_owned())
        } else {
            spec.port_level_mtls
                .iter()
                .flatten()
                .find(|(_, mtls)| disabled(mtls.mode))
                .map(|(port, _)| format!("/spec/portLevelMtls/{port}/mode"))
        };
        if let (true, Some(pointer)) = (in_ambient, disable_pointer) {
            findings.push(MG0008.finding(
                id,
                pointer,
                format!(
                    "PeerAuthentication `{name}` sets mode DISABLE in ambient namespace `{}`, where Istio ignores it; \
                     use PERMISSIVE to accept plaintext callers",
                    id.namespace
                ),
            ));
        }
    }
    for (namespace, objects) in selectorless {
        if objects.len() < 2 {
            continue;
        }
        let names = objects
            .iter()
            .map(|object| format!("`{}`", object.id.name))
            .collect::<Vec<_>>()
            .join(", ");
        for object in &objects[1..] {
            findings.push(MG0008.finding(
                &object.id,
                "",
                format!(
                    "PeerAuthentication `{}` is one of {} selector-less policies in namespace `{namespace}` ({names}); \
                     only the oldest counts; keep one",
                    object.name(),
                    objects.len()
                ),
            ));
        }
    }
    findings
}

/// MG0009: more than one selector-less Telemetry in a namespace.
pub(crate) fn duplicate_default_telemetry(mesh: &Mesh<'_>) -> Vec<Finding> {
    let mut by_namespace: BTreeMap<&str, Vec<&Object<'_>>> = BTreeMap::new();
    let telemetries = mesh.telemetries();
    for (object, telemetry) in &telemetries {
        let spec = telemetry.spec.clone().unwrap_or_default();
        let selector = spec
            .selector
            .and_then(|selector| selector.match_labels)
            .is_some_and(|labels| !labels.is_empty());
        let targets =
            spec.target_ref.is_some() || spec.target_refs.is_some_and(|refs| !refs.is_empty());
        if !selector && !targets {
            by_namespace
                .entry(object.id.namespace.as_str())
                .or_default()
                .push(object);
        }
    }
    let mut findings = Vec::new();
    for (namespace, objects) in by_namespace {
        if objects.len() < 2 {
            continue;
        }
        let names = objects
            .iter()
            .map(|object| format!("`{}`", object.id.name))
            .collect::<Vec<_>>()
            .join(", ");
        let scope = if namespace == mesh.root {
            format!("the root namespace `{namespace}`, where it is mesh-wide")
        } else {
            format!("namespace `{namespace}`")
        };
        for object in &objects[1..] {
            findings.push(MG0009.finding(
                &object.id,
                "",
                format!(
                    "Telemetry `{}` is one of {} selector-less Telemetry resources ({names}) in {scope}; only one is \
                     valid; merge them or add a selector",
                    object.name(),
                    objects.len()
                ),
            ));
        }
    }
    findings
}
