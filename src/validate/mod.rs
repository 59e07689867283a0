//! Stage 6, typed validation: every object is checked against the type or schema the API
//! server will hold it to, so a field the server would drop — an overlay's `replcias` in a
//! Deployment or a VirtualService alike — fails the render where it sits. Kubernetes kinds go
//! through their k8s-openapi type ([`round_trip`]); custom resources through the structural
//! schema of their CRD ([`custom`]): the CRDs in the set itself (pinned bundles, overlay
//! resources) first, then the Istio 1.30.3 and Gateway API v1.5.1 schemas meshgen ships. A kind
//! neither knows is skipped. Partial objects (server-side-apply patches such as a ConfigMap
//! with only `data`) pass: completeness is the API server's to check.

pub mod custom;
pub mod round_trip;

use serde_json::Value;

use crate::core::resource::Identity;

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeProblem {
    /// The type has no such field: the API server would drop it. `suggestion` is the closest
    /// field the type has at that place, if one is close.
    #[error("unknown field{}", suggestion.as_ref().map(|name| format!(" (did you mean `{name}`?)")).unwrap_or_default())]
    UnknownField { suggestion: Option<String> },
    /// The value does not fit the type, e.g. a string where a number belongs.
    #[error("invalid value: {0}")]
    Invalid(String),
}

/// A field of an object that its type does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{object}: {problem} at `{pointer}`")]
pub struct TypeError {
    pub object: Identity,
    /// JSON Pointer of the field, e.g. `/spec/replcias`.
    pub pointer: String,
    pub problem: TypeProblem,
}

/// Checks every object whose kind has a type or a CRD schema; returns the problems in input
/// order (and, within an object, in document order).
pub fn check(objects: &[&Value]) -> Vec<TypeError> {
    let crds = custom::Schemas::from_objects(objects);
    let mut errors = Vec::new();
    for &object in objects {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let problems = match round_trip::check_for(api_version, kind) {
            Some(check) => check(object),
            None => crds.check(api_version, kind, object),
        };
        if problems.is_empty() {
            continue;
        }
        let identity = Identity::of(object);
        errors.extend(problems.into_iter().map(|(pointer, problem)| TypeError {
            object: identity.clone(),
            pointer,
            problem,
        }));
    }
    errors
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pointers(object: Value) -> Vec<String> {
        check(&[&object])
            .into_iter()
            .map(|error| error.pointer)
            .collect()
    }

    #[test]
    fn deployment_typos_are_found() {
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "istiod", "namespace": "istio-system", "creationTimestamp": null, "labels": {}},
            "spec": {
                "replcias": 2,
                "selector": {"matchLabels": {"app": "istiod"}},
                "template": {"spec": {"containers": [{"name": "discovery", "ports": [{"containerPort": 8080, "protocl": "TCP"}],
                    "resources": {"requests": {"cpu": "500m", "memory": "2048Mi"}}}]}}
            }
        });
        assert_eq!(
            pointers(deployment),
            [
                "/spec/replcias",
                "/spec/template/spec/containers/0/ports/0/protocl"
            ]
        );
    }

    #[test]
    fn partial_objects_pass() {
        assert!(pointers(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-network", "namespace": "knative-serving"}, "data": {"ingress-class": "x"}})).is_empty());
        // A Deployment patch without selector or containers.
        assert!(
            pointers(
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"template": {"metadata": {"labels": {"sidecar.istio.io/inject": "false"}}}}})
            )
            .is_empty()
        );
        // A Gateway without the required gatewayClassName and listeners, with one typo.
        assert_eq!(
            pointers(
                json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "g"},
                "spec": {"infrastructure": {"labls": {"a": "b"}}}})
            ),
            ["/spec/infrastructure/labls"]
        );
    }

    #[test]
    fn wrong_types_are_reported_where_they_sit() {
        let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": "three"}});
        let errors = check(&[&deployment]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "/spec/replicas");
        assert!(matches!(errors[0].problem, TypeProblem::Invalid(_)));
    }

    #[test]
    fn istio_kinds_are_typed_and_unknown_kinds_skipped() {
        let policy = json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "a", "namespace": "n"},
            "spec": {"rules": [{"from": [{"source": {"namespace": ["x"]}}], "to": [{"operation": {"paths": ["/metrics"]}}]}]}});
        let errors = check(&[&policy]);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "security.istio.io/AuthorizationPolicy/n/a: unknown field (did you mean `namespaces`?) at `/spec/rules/0/from/0/source/namespace`"
        );
        assert!(pointers(json!({"apiVersion": "serving.knative.dev/v1", "kind": "Service", "spec": {"anything": 1}})).is_empty());
    }
}
