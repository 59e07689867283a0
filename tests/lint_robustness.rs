//! Malformed input never panics the analyzers, typed validation or the renderers: every field an
//! analyzer reads is given the wrong shape somewhere below.

use meshgen::lint::{LintOptions, check_types, lint, to_json, to_sarif, to_text};
use serde_json::{Value, json};

fn malformed() -> Vec<Value> {
    vec![
        json!(null),
        json!("a string"),
        json!([1, 2]),
        json!({}),
        json!({"apiVersion": 1, "kind": ["Namespace"]}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "knative-serving", "labels": ["istio-injection"]}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"istio-injection": true, "istio.io/rev": 3}}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": "shop"}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "istio-system"}, "spec": "STRICT"}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "p", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "LOOSE"}, "portLevelMtls": []}}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "a", "namespace": "shop"}, "spec": {"rules": {"from": []}}}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "b", "namespace": "shop"}, "spec": {"rules": [{"from": [{"source": {"namespaces": "knative-serving"}}]}]}}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "c", "namespace": "shop"}, "spec": {"rules": [null, {"to": [{}], "when": [{}]}]}}),
        json!({"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": {"namespace": "istio-system"}, "spec": []}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "discoverySelectors: {matchLabels: [x]}\nrootNamespace: [1]"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-canary", "namespace": "istio-system"}, "data": {"mesh": ": : not yaml ["}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-gateway", "namespace": "knative-serving"}, "data": {"external-gateways": 7, "local-gateways": "- [a, b]\n- 3"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-gateway", "namespace": "knative-serving"}, "data": {"external-gateways": "- class: 1\n  gateway: [x]\n  service: {a: b}", "local-gateways": "{x: 1}"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-network", "namespace": "knative-serving"}, "data": {"ingress-class": ""}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "knative-gateway", "namespace": "istio-system", "annotations": []}, "spec": {"gatewayClassName": 5, "addresses": {}, "listeners": [null, {"name": 1}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "istiod", "namespace": "istio-system", "labels": null}, "spec": null}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "webhook", "namespace": "knative-serving"}, "spec": {"template": {"spec": {"containers": [{"ports": [{"name": "https-webhook", "containerPort": 99999999}]}]}}}}),
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ztunnel"}}),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration", "metadata": {"name": "v"}, "webhooks": {"name": "validation.istio.io"}}),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration", "metadata": {"name": "m", "labels": {"istio.io/tag": ["x"]}}}),
    ]
}

#[test]
fn malformed_objects_do_not_panic() {
    let objects = malformed();
    let report = lint(&objects, &LintOptions::default());
    let _ = (
        to_text(&report),
        to_json(&report),
        to_sarif(&report, Some("x")),
    );
    let errors = check_types(&objects);
    assert!(!errors.is_empty());
    for error in &errors {
        let _ = error.to_finding();
    }
    // Every prefix and every single object, too: analyzers see many partial pictures.
    for end in 0..=objects.len() {
        let _ = lint(&objects[..end], &LintOptions::default());
    }
    for object in &objects {
        let _ = lint(std::slice::from_ref(object), &LintOptions::default());
        let _ = check_types(std::slice::from_ref(object));
    }
}
