//! Round trips through Rust types: every Kubernetes kind k8s-openapi knows (Kubernetes 1.35)
//! is deserialised into its type and serialised back. Every field of the input that does not survive the round trip is a field the
//! type does not know (a typo such as `/spec/replcias`); a value of the wrong type is reported
//! where it sits. Partial objects (server-side-apply patches such as a ConfigMap with only
//! `data`) pass: fields a type requires but the input lacks are filled with placeholders before
//! the round trip and never reported. Kinds without a type are skipped.

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::TypeProblem;
use crate::core::pointer::{escape, unescape};

pub(crate) type Check = fn(&Value) -> Vec<(String, TypeProblem)>;

macro_rules! k8s {
    ($($ty:ty),* $(,)?) => {
        [$((<$ty as k8s_openapi::Resource>::API_VERSION, <$ty as k8s_openapi::Resource>::KIND, round_trip::<$ty> as Check)),*]
    };
}

/// Kubernetes kinds with a type.
const KUBERNETES: [(&str, &str, Check); 33] = {
    use k8s_openapi::api::admissionregistration::v1 as admission;
    use k8s_openapi::api::{
        apps, autoscaling, batch, coordination, core, networking, policy, rbac,
    };
    use k8s_openapi::api::{scheduling, storage};
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
    k8s![
        core::v1::Namespace,
        core::v1::ServiceAccount,
        core::v1::ConfigMap,
        core::v1::Secret,
        core::v1::Service,
        core::v1::Endpoints,
        core::v1::Pod,
        core::v1::PersistentVolumeClaim,
        core::v1::ResourceQuota,
        core::v1::LimitRange,
        apps::v1::Deployment,
        apps::v1::DaemonSet,
        apps::v1::StatefulSet,
        apps::v1::ReplicaSet,
        batch::v1::Job,
        batch::v1::CronJob,
        autoscaling::v2::HorizontalPodAutoscaler,
        autoscaling::v1::HorizontalPodAutoscaler,
        policy::v1::PodDisruptionBudget,
        rbac::v1::Role,
        rbac::v1::RoleBinding,
        rbac::v1::ClusterRole,
        rbac::v1::ClusterRoleBinding,
        admission::MutatingWebhookConfiguration,
        admission::ValidatingWebhookConfiguration,
        admission::ValidatingAdmissionPolicy,
        admission::ValidatingAdmissionPolicyBinding,
        apiextensions::CustomResourceDefinition,
        networking::v1::NetworkPolicy,
        networking::v1::Ingress,
        scheduling::v1::PriorityClass,
        storage::v1::StorageClass,
        coordination::v1::Lease,
    ]
};

/// The check for a Kubernetes kind, if it has a type here.
pub(crate) fn check_for(api_version: &str, kind: &str) -> Option<Check> {
    KUBERNETES
        .iter()
        .find(|(known_version, known_kind, _)| *known_version == api_version && *known_kind == kind)
        .map(|(_, _, check)| *check)
}

/// How many absent required fields one object may need filled before we give up.
const MAX_REPAIRS: usize = 64;

/// Deserialises `original` into `T` and back; reports what got lost or did not fit.
fn round_trip<T: DeserializeOwned + Serialize + JsonSchema>(
    original: &Value,
) -> Vec<(String, TypeProblem)> {
    // Cloned only when a required field has to be filled in.
    let mut work = std::borrow::Cow::Borrowed(original);
    for _ in 0..MAX_REPAIRS {
        match deserialize::<T>(&work) {
            Ok(typed) => {
                let back = match serde_json::to_value(&typed) {
                    Ok(back) => back,
                    Err(error) => {
                        return vec![(String::new(), TypeProblem::Invalid(error.to_string()))];
                    }
                };
                let mut lost = Vec::new();
                collect_lost(original, &back, &mut Vec::new(), &mut lost);
                if lost.is_empty() {
                    return Vec::new();
                }
                let schema = schemars::schema_for!(T);
                return lost
                    .into_iter()
                    .map(|pointer| {
                        let suggestion = suggest(schema.as_value(), &pointer);
                        (pointer, TypeProblem::UnknownField { suggestion })
                    })
                    .collect();
            }
            Err((pointer, message)) => match missing_field(&message) {
                Some(field) if fill_missing::<T>(work.to_mut(), &pointer, field) => continue,
                _ => return vec![(pointer, TypeProblem::Invalid(message))],
            },
        }
    }
    vec![(
        String::new(),
        TypeProblem::Invalid("too many required fields are missing".to_owned()),
    )]
}

/// Deserialises, turning an error into (JSON Pointer, message).
fn deserialize<T: DeserializeOwned>(value: &Value) -> Result<T, (String, String)> {
    // The common case needs no path tracking; only an error is worth locating.
    if let Ok(typed) = T::deserialize(value) {
        return Ok(typed);
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut pointer = String::new();
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    pointer.push_str(&format!("/{index}"))
                }
                serde_path_to_error::Segment::Map { key } => {
                    pointer.push_str(&format!("/{}", escape(key)))
                }
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        (pointer, error.into_inner().to_string())
    })
}

/// `missing field `name`` → `name`.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Inserts a placeholder for a required field the input lacks, trying the shapes a field can
/// have until the error moves on. Placeholders are never reported: only input fields are.
fn fill_missing<T: DeserializeOwned>(work: &mut Value, pointer: &str, field: &str) -> bool {
    let placeholders = [
        Value::Object(Map::new()),
        Value::Array(Vec::new()),
        Value::from(""),
        Value::from(0),
        Value::from(false),
    ];
    let field_pointer = format!("{pointer}/{}", escape(field));
    for placeholder in placeholders {
        let mut candidate = work.clone();
        let Some(parent) = candidate
            .pointer_mut(pointer)
            .and_then(Value::as_object_mut)
        else {
            return false;
        };
        parent.insert(field.to_owned(), placeholder);
        let accepted = match deserialize::<T>(&candidate) {
            Ok(_) => true,
            Err((error_pointer, message)) => {
                let at_placeholder = error_pointer == field_pointer
                    || error_pointer.starts_with(&format!("{field_pointer}/"));
                let still_missing =
                    error_pointer == pointer && missing_field(&message) == Some(field);
                !at_placeholder && !still_missing
            }
        };
        if accepted {
            *work = candidate;
            return true;
        }
    }
    false
}

/// The field of the type closest to the unknown one at `pointer`, found in the type's JSON
/// Schema; `None` when nothing is close or the schema does not describe that place.
fn suggest(root: &Value, pointer: &str) -> Option<String> {
    let (parent, unknown) = pointer.rsplit_once('/')?;
    let unknown = unescape(unknown).unwrap_or_else(|| unknown.to_owned());
    let mut schema = resolve(root, root);
    for segment in parent.split('/').skip(1) {
        let segment = unescape(segment).unwrap_or_else(|| segment.to_owned());
        schema = if segment.parse::<usize>().is_ok() && object_part(root, schema, "items").is_some()
        {
            object_part(root, schema, "items")?
        } else {
            object_part(root, schema, "properties")
                .and_then(|properties| properties.get(&segment))
                .or_else(|| object_part(root, schema, "additionalProperties"))
                .map(|next| resolve(root, next))?
        };
    }
    let properties = object_part(root, schema, "properties")?.as_object()?;
    properties
        .keys()
        .map(|name| (strsim::jaro_winkler(&unknown, name), name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name.clone())
}

/// Follows a local `$ref` (`#/$defs/...`, `#/definitions/...`).
fn resolve<'s>(root: &'s Value, schema: &'s Value) -> &'s Value {
    let mut current = schema;
    for _ in 0..16 {
        match current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix('#'))
        {
            Some(pointer) => match root.pointer(pointer) {
                Some(target) => current = target,
                None => break,
            },
            None => break,
        }
    }
    current
}

/// `schema[key]`, looking through `anyOf`/`oneOf`/`allOf` members (an `Option<T>` is often
/// `anyOf: [T, null]`); resolves `$ref`s on the way.
fn object_part<'s>(root: &'s Value, schema: &'s Value, key: &str) -> Option<&'s Value> {
    let schema = resolve(root, schema);
    if let Some(part) = schema.get(key).filter(|part| part.is_object()) {
        return Some(resolve(root, part));
    }
    ["anyOf", "oneOf", "allOf"]
        .iter()
        .filter_map(|combinator| schema.get(*combinator).and_then(Value::as_array))
        .flatten()
        .find_map(|member| object_part(root, member, key))
}

/// Pointers of `original` (not `null`) that `back` does not have; only the outermost of a
/// lost subtree.
fn collect_lost<'a>(
    original: &'a Value,
    back: &Value,
    path: &mut Vec<Step<'a>>,
    lost: &mut Vec<String>,
) {
    match original {
        Value::Object(map) => {
            for (key, value) in map {
                if value.is_null() {
                    continue;
                }
                path.push(Step::Key(key));
                match back.get(key) {
                    Some(back) => collect_lost(value, back, path, lost),
                    None => lost.push(pointer_of(path)),
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                path.push(Step::Index(index));
                match back.get(index) {
                    Some(back) => collect_lost(value, back, path, lost),
                    None if value.is_null() => {}
                    None => lost.push(pointer_of(path)),
                }
                path.pop();
            }
        }
        _ => {}
    }
}

/// One step of a path into a document; the JSON Pointer is only spelled out for a loss.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn pointer_of(path: &[Step<'_>]) -> String {
    let mut pointer = String::new();
    for step in path {
        pointer.push('/');
        match step {
            Step::Key(key) => pointer.push_str(&escape(key)),
            Step::Index(index) => pointer.push_str(&index.to_string()),
        }
    }
    pointer
}
