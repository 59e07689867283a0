//! Custom resources against the structural schema of their CRD, read the way the API server
//! prunes: a field the schema does not declare (and does not preserve) is unknown.
//!
//! Schemas come from the CRDs in the checked set itself (pinned bundles, CRDs an overlay adds,
//! a manifest directory that ships its CRDs), else from the structural schemas meshgen embeds for
//! Istio 1.30.3 and Gateway API v1.5.1 (`src/validate/crds/`, generated from the upstream CRDs by
//! `cargo xtask generate`: only the structure — types, properties, items, the
//! `x-kubernetes-*` markers, enums and bounds — without descriptions, and drift-checked).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::TypeProblem;
use crate::core::structural::{Checker, Dialect, ProblemKind};
use crate::core::suggest;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/crd_schemas.rs"));
}

/// The keys of a CRD schema that decide pruning and value checks; everything else
/// (descriptions, CEL rules, `anyOf`/`oneOf` constraint combinations, defaults) is left out of the
/// embedded schemas and ignored when checking.
const STRUCTURAL_KEYS: &[&str] = &[
    "type",
    "properties",
    "items",
    "additionalProperties",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
    "nullable",
    "enum",
    "minimum",
    "maximum",
];

/// The structural part of an `openAPIV3Schema`.
pub fn compact(schema: &Value) -> Value {
    let Value::Object(rules) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for key in STRUCTURAL_KEYS {
        let Some(value) = rules.get(*key) else {
            continue;
        };
        let kept = match *key {
            "properties" => Value::Object(
                value
                    .as_object()
                    .map(|properties| {
                        properties
                            .iter()
                            .map(|(name, child)| (name.clone(), compact(child)))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "items" | "additionalProperties" => compact(value),
            _ => value.clone(),
        };
        out.insert((*key).to_owned(), kept);
    }
    Value::Object(out)
}

/// One CRD's schemas, by version.
#[derive(Debug, Clone, Default)]
struct Crd {
    versions: BTreeMap<String, Value>,
}

/// A CRD's group and kind.
type CrdKey = (String, String);

/// The CRD schemas known for one check, by (group, kind).
#[derive(Debug, Default)]
pub struct Schemas {
    from_set: BTreeMap<(String, String), Crd>,
    /// Embedded schemas parsed so far (each at most once per check).
    builtin: RefCell<BTreeMap<CrdKey, Option<Rc<Crd>>>>,
}

impl Schemas {
    /// The schemas of the CustomResourceDefinitions in `objects`.
    pub fn from_objects(objects: &[&Value]) -> Schemas {
        let mut from_set = BTreeMap::new();
        for &object in objects {
            if object.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            if let Some((key, crd)) = read_crd(object, false) {
                from_set.insert(key, crd);
            }
        }
        Schemas {
            from_set,
            builtin: RefCell::default(),
        }
    }

    /// The problems of `object` (of `api_version` and `kind`) against its CRD's schema; none
    /// when no schema is known for it.
    pub fn check(
        &self,
        api_version: &str,
        kind: &str,
        object: &Value,
    ) -> Vec<(String, TypeProblem)> {
        let Some((group, version)) = api_version.split_once('/') else {
            return Vec::new();
        };
        let key = (group.to_owned(), kind.to_owned());
        let builtin;
        let crd = match self.from_set.get(&key) {
            Some(crd) => crd,
            None => {
                builtin = self
                    .builtin
                    .borrow_mut()
                    .entry(key)
                    .or_insert_with(|| builtin_crd(group, kind).map(Rc::new))
                    .clone();
                match &builtin {
                    Some(crd) => crd.as_ref(),
                    None => return Vec::new(),
                }
            }
        };
        let Some(schema) = crd.versions.get(version) else {
            let served: Vec<&str> = crd.versions.keys().map(String::as_str).collect();
            return vec![(
                "/apiVersion".to_owned(),
                TypeProblem::Invalid(format!(
                    "the CRD of {kind} has no version `{version}` (it serves {})",
                    served.join(", ")
                )),
            )];
        };
        // `metadata` is ObjectMeta, whatever the CRD says; `apiVersion` and `kind` always exist.
        Checker::new(schema, Dialect::Kubernetes)
            .check_except(object, &["apiVersion", "kind", "metadata"])
            .into_iter()
            .map(|problem| {
                let detail =
                    match problem.kind {
                        ProblemKind::UnknownKey { key, expected } => TypeProblem::UnknownField {
                            suggestion: suggest::closest(&key, expected.iter().map(String::as_str))
                                .map(str::to_owned),
                        },
                        ProblemKind::WrongType { expected, found } => TypeProblem::Invalid(
                            format!("expected {}, found {found}", expected.join(" or ")),
                        ),
                        ProblemKind::NotAllowed { value, allowed } => TypeProblem::Invalid(
                            format!("`{value}` is not one of {}", allowed.join(", ")),
                        ),
                        ProblemKind::OutOfRange { value, range } => {
                            TypeProblem::Invalid(format!("{value} is outside {range}"))
                        }
                        ProblemKind::Missing { key } => {
                            TypeProblem::Invalid(format!("`{key}` is required"))
                        }
                    };
                (problem.pointer, detail)
            })
            .collect()
    }
}

/// A CRD's (group, kind) and schemas; `compacted` when its schemas are already structural only.
fn read_crd(crd: &Value, compacted: bool) -> Option<((String, String), Crd)> {
    let spec = crd.get("spec")?;
    let group = spec.get("group")?.as_str()?.to_owned();
    let kind = spec.pointer("/names/kind")?.as_str()?.to_owned();
    let mut versions = BTreeMap::new();
    for version in spec.get("versions")?.as_array()? {
        let name = version.get("name")?.as_str()?.to_owned();
        let Some(schema) = version.pointer("/schema/openAPIV3Schema") else {
            continue;
        };
        let schema = if compacted {
            schema.clone()
        } else {
            compact(schema)
        };
        versions.insert(name, schema);
    }
    Some(((group, kind), Crd { versions }))
}

/// The embedded schema of an Istio or Gateway API kind.
fn builtin_crd(group: &str, kind: &str) -> Option<Crd> {
    let name = format!("{group}_{kind}");
    let (_, text) = embedded::CRD_SCHEMAS
        .iter()
        .find(|(file, _)| *file == name)?;
    let crd: Value = serde_json::from_str(text).expect("embedded CRD schemas are JSON");
    read_crd(&crd, true).map(|(_, crd)| crd)
}

/// The embedded schema files for a set of upstream CRDs, as (file name, contents): one file per
/// CRD, `<group>_<Kind>.json`, holding a CRD whose schemas are compacted. `cargo xtask generate`
/// writes them into `src/validate/crds/`.
pub fn embedded_files(crds: &[Value]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for crd in crds {
        if crd.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
            continue;
        }
        let Some(((group, kind), parsed)) = read_crd(crd, false) else {
            continue;
        };
        let versions: Vec<Value> = parsed
            .versions
            .into_iter()
            .map(|(name, schema)| {
                serde_json::json!({"name": name, "schema": {"openAPIV3Schema": schema}})
            })
            .collect();
        let document = serde_json::json!({
            "spec": {"group": group, "names": {"kind": kind}, "versions": versions}
        });
        let mut text = serde_json::to_string(&document).expect("JSON serialises");
        text.push('\n');
        files.push((format!("{group}_{kind}.json"), text));
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn istio_and_gateway_api_kinds_are_checked_from_the_embedded_schemas() {
        let schemas = Schemas::default();
        let service = json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "x", "namespace": "y"},
            "spec": {"hosts": ["a"], "http": [{"route": [{"destination": {"host": "a"}}], "timout": "1s"}]}});
        let problems = schemas.check("networking.istio.io/v1", "VirtualService", &service);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "/spec/http/0/timout");
        assert_eq!(
            problems[0].1,
            TypeProblem::UnknownField {
                suggestion: Some("timeout".into())
            }
        );
        let gateway = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "g"}, "spec": {"infrastructure": {"labls": {"a": "b"}}}});
        assert_eq!(
            schemas.check("gateway.networking.k8s.io/v1", "Gateway", &gateway)[0].0,
            "/spec/infrastructure/labls"
        );
    }

    #[test]
    fn crds_in_the_set_win_and_unknown_kinds_pass() {
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "names": {"kind": "Widget"}, "versions": [{"name": "v1",
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object",
                    "properties": {"size": {"type": "integer"}}}}}}}]}});
        let schemas = Schemas::from_objects(&[&crd]);
        let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"size": "big", "colour": "red"}});
        let problems = schemas.check("example.com/v1", "Widget", &widget);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            schemas
                .check("serving.knative.dev/v1", "Service", &widget)
                .is_empty()
        );
    }
}
