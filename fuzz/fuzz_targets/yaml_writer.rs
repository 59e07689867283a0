//! Differential: the fast YAML writer must write every JSON value exactly as serde-saphyr does
//! (the bytes users commit depend on it).

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use meshgen::core::yaml;
use serde_json::{Map, Number, Value};

/// A JSON value as `arbitrary` builds it.
#[derive(Debug, Arbitrary)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    List(Vec<Json>),
    Map(Vec<(String, Json)>),
}

impl Json {
    /// The value, nested at most `depth` levels (deeper parts become `null`).
    fn value(self, depth: usize) -> Value {
        match self {
            _ if depth == 0 => Value::Null,
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Int(i) => Value::from(i),
            Json::UInt(u) => Value::from(u),
            Json::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Json::Str(s) => Value::String(s),
            Json::List(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| item.value(depth - 1))
                    .collect(),
            ),
            Json::Map(entries) => {
                let mut map = Map::new();
                for (key, item) in entries {
                    map.insert(key, item.value(depth - 1));
                }
                Value::Object(map)
            }
        }
    }
}

fuzz_target!(|json: Json| {
    let value = json.value(32);
    let fast = yaml::to_yaml(&value);
    assert_eq!(
        fast,
        yaml::to_yaml_with_saphyr(&value),
        "the writers disagree on {value:?}"
    );
});
