//! Ambient-mode analyzers: Knative on an ambient data plane, which upstream does not support
//! (MG0004), and policies with L7 attributes that ztunnel cannot enforce in a namespace without
//! a waypoint (MG0005).

use crate::lint::Finding;
use crate::lint::istio_types::{Action, AuthorizationPolicySpec};
use crate::lint::mesh::{LABEL_DATAPLANE, Mesh, Object, escape, is_ambient};
use crate::lint::rule::{Rule, Severity};

pub(crate) static MG0004: Rule = Rule {
    code: "MG0004",
    name: "ambient-with-knative",
    severity: Severity::Error,
    summary: "Ambient data plane with Knative: not supported upstream.",
    why: "Knative does not support Istio's ambient mode: net-istio's support issue is open, Serving's ambient \
          CI leg has been disabled since 2023, and nothing tests net-gateway-api with ambient. The activator \
          and autoscaler address pod IPs, which bypass service waypoints, and Knative's path-based \
          allowlists need a waypoint.",
    fix: "Use the sidecar data plane for namespaces that run Knative. If you run ambient on purpose, \
          acknowledge it in the profile: `spec.lint.ignore: [{code: MG0004, reason: ...}]`.",
    scope: "Runs when Knative objects and an ambient data plane (a ztunnel DaemonSet or a namespace labelled \
            `istio.io/dataplane-mode=ambient`) are both in the set.",
    check: ambient_with_knative,
};

pub(crate) static MG0005: Rule = Rule {
    code: "MG0005",
    name: "l7-policy-without-waypoint",
    severity: Severity::Error,
    summary: "An AuthorizationPolicy with L7 attributes in an ambient namespace without a waypoint: ztunnel drops all traffic to its targets.",
    why: "ztunnel enforces only L4 attributes. A policy that ztunnel enforces (bound by `selector` or to the \
          whole namespace) but matches on paths, methods, hosts, request principals or request headers \
          cannot be evaluated there, and ztunnel denies all traffic to the workloads it covers.",
    fix: "Deploy a waypoint for the namespace (a Gateway of class `istio-waypoint` and the label \
          `istio.io/use-waypoint` on the namespace) and bind the policy to it with `targetRefs`, or remove the \
          L7 attributes.",
    scope: "Runs on policies in rendered Namespaces labelled `istio.io/dataplane-mode=ambient` that are not \
            bound with `targetRefs`; a namespace counts as having a waypoint when it carries \
            `istio.io/use-waypoint` or holds a Gateway of class `istio-waypoint`.",
    check: l7_policy_without_waypoint,
};

/// MG0004: Knative with an ambient data plane.
pub(crate) fn ambient_with_knative(mesh: &Mesh<'_>) -> Vec<Finding> {
    if !mesh.knative_present() || !mesh.ambient_present() {
        return Vec::new();
    }
    let fix = "Knative does not support ambient upstream; use sidecar injection there, or acknowledge MG0004 \
               in `spec.lint.ignore` with a reason";
    let ambient_knative: Vec<Finding> = mesh
        .knative_namespaces()
        .iter()
        .filter_map(|name| mesh.namespace(name))
        .filter(|namespace| is_ambient(namespace))
        .map(|namespace| {
            MG0004.finding(
                &namespace.id,
                format!("/metadata/labels/{}", escape(LABEL_DATAPLANE)),
                format!(
                    "namespace `{}` is ambient (`{LABEL_DATAPLANE}=ambient`): {fix}",
                    namespace.id.name
                ),
            )
        })
        .collect();
    if !ambient_knative.is_empty() {
        return ambient_knative;
    }
    // Knative namespaces are not ambient themselves, but the data plane is.
    let ztunnel = mesh
        .of_kind("apps", "DaemonSet")
        .find(|object| object.id.name == "ztunnel");
    let ambient_namespace = mesh
        .namespaces()
        .into_values()
        .find(|namespace| is_ambient(namespace));
    let (object, what) = match (ztunnel, ambient_namespace) {
        (Some(ztunnel), _) => (
            ztunnel,
            format!("the ambient data plane (DaemonSet `{}`)", ztunnel.name()),
        ),
        (None, Some(namespace)) => (
            namespace,
            format!("ambient namespace `{}`", namespace.id.name),
        ),
        (None, None) => return Vec::new(),
    };
    vec![MG0004.finding(
        &object.id,
        "",
        format!("{what} is rendered together with Knative: {fix}"),
    )]
}

/// JSON Pointers of the L7 attributes of a policy (what ztunnel cannot evaluate).
fn l7_attributes(spec: &AuthorizationPolicySpec) -> Vec<String> {
    let mut found = Vec::new();
    for (r, rule) in spec.rules().iter().enumerate() {
        for (f, from) in rule.from.iter().flatten().enumerate() {
            let Some(source) = &from.source else { continue };
            for (name, set) in [
                ("requestPrincipals", &source.request_principals),
                ("notRequestPrincipals", &source.not_request_principals),
            ] {
                if set.is_some() {
                    found.push(format!("/spec/rules/{r}/from/{f}/source/{name}"));
                }
            }
        }
        for (t, to) in rule.to.iter().flatten().enumerate() {
            let Some(operation) = &to.operation else {
                continue;
            };
            for (name, set) in [
                ("paths", &operation.paths),
                ("notPaths", &operation.not_paths),
                ("methods", &operation.methods),
                ("notMethods", &operation.not_methods),
                ("hosts", &operation.hosts),
                ("notHosts", &operation.not_hosts),
            ] {
                if set.is_some() {
                    found.push(format!("/spec/rules/{r}/to/{t}/operation/{name}"));
                }
            }
        }
        for (w, condition) in rule.when.iter().flatten().enumerate() {
            if condition
                .key
                .as_deref()
                .is_some_and(|key| key.starts_with("request."))
            {
                found.push(format!("/spec/rules/{r}/when/{w}/key"));
            }
        }
    }
    found
}

/// The namespace is served by a waypoint: `istio.io/use-waypoint` on it, or a Gateway of class
/// `istio-waypoint` in it.
fn has_waypoint(mesh: &Mesh<'_>, namespace: &Object<'_>) -> bool {
    namespace
        .label("istio.io/use-waypoint")
        .is_some_and(|waypoint| waypoint != "none")
        || mesh
            .of_kind("gateway.networking.k8s.io", "Gateway")
            .any(|gateway| {
                gateway.id.namespace == namespace.id.name
                    && gateway.str_at("/spec/gatewayClassName") == Some("istio-waypoint")
            })
}

/// MG0005: an L7 policy that ztunnel would have to enforce.
pub(crate) fn l7_policy_without_waypoint(mesh: &Mesh<'_>) -> Vec<Finding> {
    let namespaces = mesh.namespaces();
    mesh.authorization_policies()
        .iter()
        .filter_map(|policy| {
            let namespace = namespaces.get(policy.object.id.namespace.as_str())?;
            let spec = policy.policy.spec.as_ref()?;
            if !is_ambient(namespace)
                || spec.has_target_refs()
                || !matches!(spec.action, None | Some(Action::Allow | Action::Deny))
                || has_waypoint(mesh, namespace)
            {
                return None;
            }
            let attributes = l7_attributes(spec);
            let first = attributes.first()?;
            let attribute = first.rsplit('/').next().unwrap_or_default();
            Some(MG0005.finding(
                &policy.object.id,
                first.clone(),
                format!(
                    "AuthorizationPolicy `{}` matches on `{attribute}` in ambient namespace `{}` without a waypoint, \
                     so ztunnel drops all traffic to its targets; add a waypoint and bind the policy with `targetRefs`, \
                     or remove the L7 attributes",
                    policy.object.name(),
                    namespace.id.name
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l7_attributes_have_pointers() {
        let spec: AuthorizationPolicySpec = serde_json::from_value(serde_json::json!({
            "rules": [{"from": [{"source": {"namespaces": ["a"]}}]},
                      {"to": [{"operation": {"ports": ["80"], "paths": ["/x"]}}], "when": [{"key": "request.headers[x]"}]}]
        }))
        .unwrap_or_default();
        assert_eq!(
            l7_attributes(&spec),
            [
                "/spec/rules/1/to/0/operation/paths",
                "/spec/rules/1/when/0/key"
            ]
        );
    }
}
