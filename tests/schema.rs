//! `meshgen.schema.json` is generated from the profile types; this fails when the committed
//! file drifts from them. Regenerate with `cargo run -- schema > meshgen.schema.json`.

#[test]
fn committed_schema_matches_the_types() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/meshgen.schema.json"))
            .expect("meshgen.schema.json is committed");
    assert!(
        committed == meshgen::schema::profile_schema(),
        "meshgen.schema.json is stale: run `cargo run -- schema > meshgen.schema.json`"
    );
}

#[test]
fn schema_describes_the_public_fields() {
    let schema: serde_json::Value =
        serde_json::from_str(&meshgen::schema::profile_schema()).unwrap();
    let text = schema.to_string();
    for field in [
        "mtls",
        "dataplane",
        "appNamespaces",
        "className",
        "trustDomain",
        "discoverySelectors",
        "bundles",
    ] {
        assert!(
            text.contains(&format!("\"{field}\"")),
            "schema lacks {field}"
        );
    }
    assert_eq!(
        schema["additionalProperties"],
        serde_json::Value::Bool(false)
    );
}
