//! The profile's JSON Schema, generated from the profile types and their doc comments, in
//! draft-07 (what yaml-language-server understands). Committed as `meshgen.schema.json`; a test
//! fails when it drifts from the types.

use crate::profile::MeshProfile;

/// The schema as pretty JSON with a trailing newline.
pub fn profile_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<MeshProfile>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}
