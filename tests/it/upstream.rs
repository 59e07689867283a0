//! Upstream's own manifests (the reference data in `shared/`, beside the repository): Istio
//! 1.30.3's Helm render and CRDs, Gateway API v1.5.1's standard install. Real objects must pass
//! typed validation, and the analyzers must only flag what they should in them.
//!
//! Where the data is: `$MESHGEN_SHARED` when set — then it must be there, and a missing file
//! fails the tests — else `../shared` when it exists. Without either the tests that need it
//! pass after printing `skipped: ...` (see it with `--nocapture`); CI sets `MESHGEN_SHARED` so
//! that it can never skip them silently.

use std::path::PathBuf;

use annotate_snippets::Renderer;
use meshgen::cli::report::lint_text;
use meshgen::lint::{LintOptions, lint};
use meshgen::validate::check;
use serde_json::Value;

use crate::harness::repo;

/// The reference data directory, if there is one (see the module docs).
pub fn shared() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MESHGEN_SHARED") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "MESHGEN_SHARED={} is not a directory",
            dir.display()
        );
        return Some(dir);
    }
    let dir = repo().join("../shared");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: no reference data (../shared is absent and MESHGEN_SHARED is unset)");
        None
    }
}

/// The objects of a file of the reference data (`upstream/...`); `None` without reference
/// data. A file missing from the reference data is an error.
pub fn objects(relative: &str) -> Option<Vec<Value>> {
    let path = shared()?.join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("reference data {}: {error}", path.display()));
    let objects = meshgen::core::yaml::parse_manifests(&text)
        .unwrap_or_else(|error| panic!("{}: {error:?}", path.display()));
    Some(objects.into_iter().filter(Value::is_object).collect())
}

#[test]
fn upstream_objects_have_no_unknown_fields() {
    for file in [
        "upstream/istio-1.30.3/sidecar.yaml",
        "upstream/istio-1.30.3/ambient.yaml",
        "upstream/crds/istio-1.30.3-crd-all.gen.yaml",
        "upstream/crds/gateway-api-v1.5.1-standard-install.yaml",
    ] {
        let Some(objects) = objects(file) else {
            return;
        };
        assert!(!objects.is_empty(), "{file}");
        let refs: Vec<&Value> = objects.iter().collect();
        let errors: Vec<String> = check(&refs).iter().map(ToString::to_string).collect();
        assert!(errors.is_empty(), "{file}:\n{}", errors.join("\n"));
    }
}

#[test]
fn upstream_sidecar_render_only_trips_the_gitops_webhook_rule() {
    let Some(objects) = objects("upstream/istio-1.30.3/sidecar.yaml") else {
        return;
    };
    let report = lint(&objects, &LintOptions::default());
    let codes: Vec<&str> = report.findings.iter().map(|finding| finding.code).collect();
    // helm template renders the validation webhooks with Ignore (istiod flips them to Fail).
    assert_eq!(
        codes,
        ["MG0014", "MG0014"],
        "{}",
        lint_text(&report, Renderer::plain())
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

/// Typed validation accepts every field the upstream CRDs define for the Istio kinds meshgen
/// emits (the embedded, compacted CRD schemas lost nothing), and the analyzers, which read those
/// kinds through their own structs, take such objects in their stride.
#[test]
fn istio_types_know_every_field_of_the_crds() {
    let Some(crds) = objects("upstream/crds/istio-1.30.3-crd-all.gen.yaml") else {
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
            let errors: Vec<String> = check(&[&object]).iter().map(ToString::to_string).collect();
            assert!(errors.is_empty(), "{kind} {name}:\n{}", errors.join("\n"));
            // And the analyzers read them without panicking.
            let _ = lint(&[object], &LintOptions::default());
            checked.push(format!("{kind}/{name}"));
        }
    }
    assert_eq!(checked.len(), 6, "{checked:?}");
}
