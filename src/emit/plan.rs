//! The directory layout of a render: one file per object under its component's folder, a
//! `kustomization.yaml` listing them in apply order, and the lock file last.

use serde_json::json;

use super::lock::{FileDigest, InputDigest, LOCK_FILE, Lock};
use crate::core::digest::sha256_hex;
use crate::core::resource::Resource;
use crate::core::yaml;

pub const KUSTOMIZATION_FILE: &str = "kustomization.yaml";

/// A file meshgen writes, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: String,
}

/// File name of an object: `<component>/<kind>_<namespace>_<name>.yaml` (`_` cannot occur in
/// Kubernetes names, so the name is unambiguous).
pub fn file_name(resource: &Resource) -> String {
    let identity = resource.identity();
    let kind = identity.kind.to_ascii_lowercase();
    if identity.namespace.is_empty() {
        format!("{}/{kind}_{}.yaml", resource.component, identity.name)
    } else {
        format!(
            "{}/{kind}_{}_{}.yaml",
            resource.component, identity.namespace, identity.name
        )
    }
}

/// Every file of the output directory, in apply order, ending with the kustomization and the lock.
pub fn directory_plan(resources: &[Resource], inputs: &[InputDigest]) -> Vec<OutputFile> {
    let mut files: Vec<OutputFile> = resources
        .iter()
        .map(|r| OutputFile {
            path: file_name(r),
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
    files
}
