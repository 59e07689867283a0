//! A rendered Kubernetes object and its identity: what every pipeline stage after rendering
//! (overlays, finishing, analyzers, emitting) works on.

use std::fmt;

use serde_json::Value;

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

impl Identity {
    /// Reads the identity from an object's `apiVersion`, `kind` and `metadata`; missing parts
    /// are empty strings (validation reports them).
    pub fn of(object: &Value) -> Identity {
        let text = |pointer: &str| {
            object
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        let (group, version) = match text("/apiVersion").split_once('/') {
            Some((group, version)) => (group.to_owned(), version.to_owned()),
            None => (String::new(), text("/apiVersion").to_owned()),
        };
        Identity {
            group,
            version,
            kind: text("/kind").to_owned(),
            namespace: text("/metadata/namespace").to_owned(),
            name: text("/metadata/name").to_owned(),
        }
    }
}

impl fmt::Display for Identity {
    /// `Kind/namespace/name` (or `Kind/name` when cluster-scoped), prefixed by the group.
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

/// One rendered object plus the component that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Component (template folder) that rendered it, e.g. `istiod`, `gateways`; overlays use
    /// `overlay`.
    pub component: String,
    /// The object itself.
    pub object: Value,
}

impl Resource {
    pub fn new(component: impl Into<String>, object: Value) -> Resource {
        Resource {
            component: component.into(),
            object,
        }
    }

    pub fn identity(&self) -> Identity {
        Identity::of(&self.object)
    }
}
