//! A rendered Kubernetes object and its identity: what every pipeline stage after rendering
//! (overlays, finishing, validation, analyzers, emitting, comparing) works on. Also the
//! components a render is made of, as a closed set, so install order and sync waves are
//! exhaustive tables rather than string matches.

use std::fmt;

use serde_json::Value;

use super::diagnostic::{Label, type_name};

/// Identity of a Kubernetes object: group, version, kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    /// API group; empty for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

/// What makes two objects the same object for the API server: group, kind, namespace and name
/// (the version is only a view of it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Identity {
    /// Reads the identity from an object's `apiVersion`, `kind` and `metadata`; missing parts
    /// are empty strings (validation reports them).
    pub fn of(object: &Value) -> Identity {
        // Direct lookups, not `Value::pointer`: this runs once per object of every set, and a
        // pointer lookup allocates per token (a tenth of `diff`'s time on large streams).
        fn text(value: Option<&Value>) -> &str {
            value.and_then(Value::as_str).unwrap_or("")
        }
        let metadata = object.get("metadata");
        let api_version = text(object.get("apiVersion"));
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group.to_owned(), version.to_owned()),
            None => (String::new(), api_version.to_owned()),
        };
        Identity {
            group,
            version,
            kind: text(object.get("kind")).to_owned(),
            namespace: text(metadata.and_then(|m| m.get("namespace"))).to_owned(),
            name: text(metadata.and_then(|m| m.get("name"))).to_owned(),
        }
    }

    pub fn key(&self) -> ObjectKey {
        ObjectKey {
            group: self.group.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.kind == kind
    }

    /// `namespace/name`, or `name` for a cluster-scoped object.
    pub fn namespaced_name(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }
}

impl fmt::Display for Identity {
    /// `Kind/namespace/name` (or `Kind/name` when cluster-scoped), prefixed by the group.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.group.is_empty() {
            write!(f, "{}/", self.group)?;
        }
        write!(f, "{}/{}", self.kind, self.namespaced_name())
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.group.is_empty() {
            write!(f, "{}/", self.group)?;
        }
        write!(f, "{}/", self.kind)?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        f.write_str(&self.name)
    }
}

/// The parts of a render, in pipeline order. Each has a template folder of the same name
/// (except `Crds` and `Overlay`, which hold objects from the user's files) and an output
/// directory under `--out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// Upstream CRD bundles pinned in the profile, included verbatim.
    Crds,
    Namespaces,
    /// Istio's `base` chart (minus CRDs).
    Base,
    Istiod,
    IstioCni,
    Ztunnel,
    Gateways,
    Knative,
    Security,
    Telemetry,
    /// Objects overlays add.
    Overlay,
}

impl Component {
    /// Every component, in pipeline order.
    pub const ALL: [Component; 11] = [
        Component::Crds,
        Component::Namespaces,
        Component::Base,
        Component::Istiod,
        Component::IstioCni,
        Component::Ztunnel,
        Component::Gateways,
        Component::Knative,
        Component::Security,
        Component::Telemetry,
        Component::Overlay,
    ];

    /// Its template folder and output directory name.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Crds => "crds",
            Component::Namespaces => "namespaces",
            Component::Base => "base",
            Component::Istiod => "istiod",
            Component::IstioCni => "istio-cni",
            Component::Ztunnel => "ztunnel",
            Component::Gateways => "gateways",
            Component::Knative => "knative",
            Component::Security => "security",
            Component::Telemetry => "telemetry",
            Component::Overlay => "overlay",
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rendered object plus the component that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub component: Component,
    /// The object itself.
    pub object: Value,
    /// Which of the user's files added or changed it (empty for what meshgen rendered alone),
    /// so a problem found later — typed validation, an object rendered twice — points there.
    pub provenance: Provenance,
}

/// Where the user's files touched an object: the overlay entry or resource file that added it,
/// and the overlay patches that changed it, in the order they ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    pub added: Option<Label>,
    pub patches: Vec<Touch>,
}

/// One overlay patch that changed an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Touch {
    /// The patch (or JSON Patch operation) in its overlay file.
    pub label: Label,
    /// How messages name it: `patches[2]`.
    pub name: String,
    /// JSON Pointers of the fields it wrote (a merge patch: every field it names).
    pub paths: Vec<String>,
}

impl Provenance {
    /// The overlay patch that most likely produced the field at `pointer`: the last one that
    /// wrote it, something inside it or something around it; else the last patch, else the
    /// addition.
    pub fn blame(&self, pointer: &str) -> Option<(&Label, Option<&str>)> {
        let related = |path: &String| {
            pointer == path
                || pointer.starts_with(&format!("{path}/"))
                || path.starts_with(&format!("{pointer}/"))
                || path.is_empty()
        };
        self.patches
            .iter()
            .rev()
            .find(|touch| touch.paths.iter().any(related))
            .or_else(|| {
                if self.added.is_some() {
                    None
                } else {
                    self.patches.last()
                }
            })
            .map(|touch| (&touch.label, Some(touch.name.as_str())))
            .or_else(|| self.added.as_ref().map(|label| (label, None)))
    }
}

impl Resource {
    pub fn new(component: Component, object: Value) -> Resource {
        Resource {
            component,
            object,
            provenance: Provenance::default(),
        }
    }

    pub fn identity(&self) -> Identity {
        Identity::of(&self.object)
    }
}

/// The shape every object must keep: `apiVersion`, `kind`, `metadata.name` (non-empty
/// strings), `metadata.namespace` a string, labels and annotations maps of strings.
pub fn check_shape(object: &Value) -> Result<(), String> {
    let Value::Object(map) = object else {
        return Err(format!("it is {}, not a mapping", type_name(object)));
    };
    for key in ["apiVersion", "kind"] {
        match map.get(key) {
            Some(Value::String(text)) if !text.is_empty() => {}
            Some(other) if !other.is_string() => {
                return Err(format!("`{key}` is {}, not a string", type_name(other)));
            }
            _ => return Err(format!("`{key}` is missing or empty")),
        }
    }
    let Some(Value::Object(metadata)) = map.get("metadata") else {
        return Err("`metadata` is missing or not a mapping".to_owned());
    };
    match metadata.get("name") {
        Some(Value::String(name)) if !name.is_empty() => {}
        _ => return Err("`metadata.name` is missing or empty".to_owned()),
    }
    if let Some(namespace) = metadata.get("namespace").filter(|n| !n.is_string()) {
        return Err(format!(
            "`metadata.namespace` is {}, not a string",
            type_name(namespace)
        ));
    }
    for key in ["labels", "annotations"] {
        match metadata.get(key) {
            None => {}
            Some(Value::Object(entries)) => {
                if let Some((name, value)) = entries.iter().find(|(_, v)| !v.is_string()) {
                    return Err(format!(
                        "`metadata.{key}.{name}` is {}; {key} must be strings (quote it: \"{}\")",
                        type_name(value),
                        super::diagnostic::shown(&value.to_string())
                    ));
                }
            }
            Some(other) => {
                return Err(format!(
                    "`metadata.{key}` is {}, not a mapping",
                    type_name(other)
                ));
            }
        }
    }
    Ok(())
}
