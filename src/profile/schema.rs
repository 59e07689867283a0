//! The profile's JSON Schema, generated from the profile types and their doc comments. It is
//! both what editors get (`meshgen schema`, committed as `meshgen.schema.json` and drift-checked)
//! and what every profile file is checked against before it is read, so the published schema and
//! meshgen's behaviour cannot disagree.

use std::sync::LazyLock;

use serde_json::Value;

use crate::core::structural;
use crate::profile::MeshProfile;

static SCHEMA: LazyLock<Value> = LazyLock::new(structural::draft07_schema::<MeshProfile>);

/// The schema as a value.
pub fn schema() -> &'static Value {
    &SCHEMA
}

/// The schema as the committed file holds it.
pub fn schema_text() -> String {
    structural::schema_text(schema())
}
