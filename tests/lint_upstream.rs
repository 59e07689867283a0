//! Typed validation and the analyzers over upstream's own manifests (`../shared/upstream`, beside
//! the repository): Istio 1.30.3's Helm render and CRDs, Gateway API v1.5.1's standard install.
//! Real objects must round-trip without unknown fields. Skipped when the reference data is absent.

use std::path::PathBuf;

use meshgen::lint::{LintOptions, check_types, lint};
use serde_json::Value;

fn upstream(relative: &str) -> Option<Vec<Value>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/upstream")
        .join(relative);
    let text = std::fs::read_to_string(&path).ok()?;
    let documents: Vec<Value> = serde_saphyr::from_multiple(&text).expect("upstream YAML parses");
    Some(
        documents
            .into_iter()
            .filter(|document| document.is_object())
            .collect(),
    )
}

#[test]
fn upstream_objects_have_no_unknown_fields() {
    let mut seen = 0;
    for file in [
        "istio-1.30.3/sidecar.yaml",
        "istio-1.30.3/ambient.yaml",
        "crds/istio-1.30.3-crd-all.gen.yaml",
        "crds/gateway-api-v1.5.1-standard-install.yaml",
    ] {
        let Some(objects) = upstream(file) else {
            eprintln!("skipped: ../shared/upstream/{file} is not there");
            continue;
        };
        seen += objects.len();
        let errors: Vec<String> = check_types(&objects)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "{file}:\n{}", errors.join("\n"));
    }
    eprintln!("checked {seen} upstream objects");
}

#[test]
fn upstream_sidecar_render_only_trips_the_gitops_webhook_rule() {
    let Some(objects) = upstream("istio-1.30.3/sidecar.yaml") else {
        return;
    };
    let report = lint(&objects, &LintOptions::default());
    let codes: Vec<&str> = report.findings.iter().map(|finding| finding.code).collect();
    // helm template renders the validation webhooks with Ignore (istiod flips them to Fail).
    assert_eq!(
        codes,
        ["MG0014", "MG0014"],
        "{}",
        meshgen::lint::to_text(&report)
    );
    assert!(!report.has_errors());
}

/// An instance of an OpenAPI v3 schema with every property set (enums take their first value).
fn maximal(schema: &Value) -> Value {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|values| values.first())
    {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let mut map = serde_json::Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (key, property) in properties {
                    map.insert(key.clone(), maximal(property));
                }
            }
            if let Some(additional) = schema
                .get("additionalProperties")
                .filter(|value| value.is_object())
            {
                map.insert("8443".to_owned(), maximal(additional));
            }
            Value::Object(map)
        }
        Some("array") => Value::Array(vec![maximal(schema.get("items").unwrap_or(&Value::Null))]),
        Some("string") => Value::from("x"),
        Some("integer") => Value::from(1),
        Some("number") => Value::from(1.5),
        Some("boolean") => Value::from(true),
        _ => Value::from("x"),
    }
}

#[test]
fn istio_types_know_every_field_of_the_crds() {
    let Some(crds) = upstream("crds/istio-1.30.3-crd-all.gen.yaml") else {
        return;
    };
    let mut checked = Vec::new();
    for crd in &crds {
        let kind = crd
            .pointer("/spec/names/kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !["PeerAuthentication", "AuthorizationPolicy", "Telemetry"].contains(&kind) {
            continue;
        }
        let group = crd
            .pointer("/spec/group")
            .and_then(Value::as_str)
            .unwrap_or_default();
        for version in crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = version
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let spec = version
                .pointer("/schema/openAPIV3Schema/properties/spec")
                .expect("spec schema");
            let object = serde_json::json!({
                "apiVersion": format!("{group}/{name}"), "kind": kind,
                "metadata": {"name": "all", "namespace": "n"}, "spec": maximal(spec),
            });
            let errors: Vec<String> = check_types(&[object])
                .iter()
                .map(ToString::to_string)
                .collect();
            assert!(errors.is_empty(), "{kind} {name}:\n{}", errors.join("\n"));
            checked.push(format!("{kind}/{name}"));
        }
    }
    assert_eq!(checked.len(), 6, "{checked:?}");
}
