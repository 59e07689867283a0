//! The directory layout of a render: one file per object under its component's folder, a
//! `kustomization.yaml` listing them in apply order, and the lock file last.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::lock::{FileDigest, InputDigest, LOCK_FILE, Lock};
use crate::core::diagnostic::{Diagnostic, Kind};
use crate::core::digest::sha256_hex;
use crate::core::resource::{Identity, Resource};
use crate::core::yaml;
use crate::error::{Error, Result};

pub const KUSTOMIZATION_FILE: &str = "kustomization.yaml";

/// A file meshgen writes, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: String,
}

/// The file names of `resources`, in order: `<component>/<kind>_<namespace>_<name>.yaml`
/// (`<kind>_<name>.yaml` when cluster-scoped), the kind lower-cased. `_` cannot occur in a
/// namespace, so the name is unambiguous within a kind. When two objects of one component share
/// kind, namespace and name but not the API group (an Istio `networking.istio.io` Gateway and a
/// Gateway API Gateway, a core Service and a Knative Service), each one outside the core group
/// is named `<kind>.<group>_...` instead — kubectl's `kind.group` — so every other object keeps
/// the name it always had, and the core object keeps its plain one.
pub fn file_names(resources: &[Resource]) -> Vec<String> {
    let identities: Vec<Identity> = resources.iter().map(Resource::identity).collect();
    let key = |r: &Resource, id: &Identity| {
        (
            r.component,
            id.kind.to_ascii_lowercase(),
            id.namespace.clone(),
            id.name.clone(),
        )
    };
    let mut groups: BTreeMap<_, BTreeSet<&str>> = BTreeMap::new();
    for (resource, id) in resources.iter().zip(&identities) {
        groups
            .entry(key(resource, id))
            .or_default()
            .insert(&id.group);
    }
    resources
        .iter()
        .zip(&identities)
        .map(|(resource, id)| {
            let mut kind = id.kind.to_ascii_lowercase();
            if groups[&key(resource, id)].len() > 1 && !id.group.is_empty() {
                kind = format!("{kind}.{}", id.group.to_ascii_lowercase());
            }
            if id.namespace.is_empty() {
                format!("{}/{kind}_{}.yaml", resource.component, id.name)
            } else {
                format!(
                    "{}/{kind}_{}_{}.yaml",
                    resource.component, id.namespace, id.name
                )
            }
        })
        .collect()
}

/// Every file of the output directory, in apply order, ending with the kustomization and the
/// lock. Two objects that would share a file — the same path, or paths that differ only in
/// letter case, which a case-insensitive file system (macOS, Windows) stores as one file — are
/// an error naming both: the second must never silently replace the first.
pub fn directory_plan(resources: &[Resource], inputs: &[InputDigest]) -> Result<Vec<OutputFile>> {
    for resource in resources {
        let id = resource.identity();
        if [&id.kind, &id.namespace, &id.name]
            .iter()
            .any(|part| part.contains(['/', '\\', '\0']))
        {
            return Err(Error::input(
                Diagnostic::new(
                    Kind::InvalidValue,
                    format!(
                        "`{}` cannot be written to a file: its kind, namespace or name contains `/`, `\\` or a NUL byte",
                        crate::core::diagnostic::shown(&id.to_string())
                    ),
                )
                .help("Kubernetes does not accept these characters in kinds, namespaces or names; fix the object's `metadata`"),
            ));
        }
    }
    let names = file_names(resources);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (index, name) in names.iter().enumerate() {
        if let Some(&first) = seen.get(&name.to_lowercase()) {
            return Err(Error::input(
                Diagnostic::new(
                    Kind::Conflict,
                    format!(
                        "`{}` and `{}` would be written to the same file `{}`{}",
                        resources[first].identity(),
                        resources[index].identity(),
                        names[first],
                        if names[first] == *name {
                            String::new()
                        } else {
                            format!(" (and `{name}`, which differs only in letter case)")
                        }
                    ),
                )
                .help("rename one of them: file names must stay unique even on a file system that ignores letter case"),
            ));
        }
        seen.insert(name.to_lowercase(), index);
    }
    let mut files: Vec<OutputFile> = resources
        .iter()
        .zip(names)
        .map(|(r, path)| OutputFile {
            path,
            contents: yaml::to_yaml(&r.object),
        })
        .collect();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        // Keep meshgen's install order; kustomize's default (legacy) order would reshuffle it.
        "sortOptions": {"order": "fifo"},
        "resources": files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
    });
    files.push(OutputFile {
        path: KUSTOMIZATION_FILE.into(),
        contents: yaml::to_yaml(&kustomization),
    });
    let lock = Lock {
        meshgen: env!("CARGO_PKG_VERSION").to_owned(),
        inputs: inputs.to_vec(),
        files: files
            .iter()
            .map(|f| FileDigest {
                path: f.path.clone(),
                sha256: sha256_hex(f.contents.as_bytes()),
            })
            .collect(),
    };
    files.push(OutputFile {
        path: LOCK_FILE.into(),
        contents: lock.to_text(),
    });
    Ok(files)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::core::resource::Component;

    fn object(api_version: &str, kind: &str, name: &str) -> Resource {
        Resource::new(
            Component::Overlay,
            json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": "ns"}}),
        )
    }

    #[test]
    fn the_group_is_spelled_out_only_where_it_is_needed() {
        let names = file_names(&[
            object("networking.istio.io/v1", "Gateway", "edge"),
            object("gateway.networking.k8s.io/v1", "Gateway", "edge"),
            object("gateway.networking.k8s.io/v1", "Gateway", "other"),
            object("v1", "Service", "hello"),
            object("serving.knative.dev/v1", "Service", "hello"),
        ]);
        assert_eq!(
            names,
            [
                "overlay/gateway.networking.istio.io_ns_edge.yaml",
                "overlay/gateway.gateway.networking.k8s.io_ns_edge.yaml",
                "overlay/gateway_ns_other.yaml",
                "overlay/service_ns_hello.yaml",
                "overlay/service.serving.knative.dev_ns_hello.yaml",
            ]
        );
    }

    #[test]
    fn paths_that_would_collide_are_a_typed_error() {
        let error = directory_plan(
            &[
                object("v1", "ConfigMap", "A"),
                object("v1", "ConfigMap", "a"),
            ],
            &[],
        )
        .unwrap_err();
        assert!(error.is_input(Kind::Conflict), "{error}");
        let error = directory_plan(&[object("v1", "ConfigMap", "a/../../x")], &[]).unwrap_err();
        assert!(error.is_input(Kind::InvalidValue), "{error}");
    }
}
