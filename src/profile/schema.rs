//! The profile's JSON Schema. It is generated from the profile types and their doc comments
//! ([`generate`], written to `meshgen.schema.json` by `cargo xtask generate` and drift-checked
//! by the tests), and the committed file is what editors get (`meshgen schema`) and what every
//! profile file is checked against before it is read — so the published schema and meshgen's
//! behaviour cannot disagree. The binary embeds the committed file rather than generating the
//! schema at run time (which costs more than the rest of loading a profile).

use std::sync::LazyLock;

use serde_json::Value;

use crate::core::structural;
use crate::profile::MeshProfile;

/// The committed schema.
const COMMITTED: &str = include_str!("../../meshgen.schema.json");

static SCHEMA: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(COMMITTED).expect("meshgen.schema.json is JSON"));

/// The schema as a value.
pub fn schema() -> &'static Value {
    &SCHEMA
}

/// The schema as the committed file holds it.
pub fn schema_text() -> &'static str {
    COMMITTED
}

/// The schema generated from the types: what `meshgen.schema.json` must hold.
pub fn generate() -> String {
    structural::schema_text(&structural::draft07_schema::<MeshProfile>())
}
