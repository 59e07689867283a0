//! CRD bundles: upstream CRD files pinned in the profile by path and SHA-256, included as they
//! are. meshgen never invents a CRD; a digest mismatch means the file is not what was reviewed.
//! A bundle holds CustomResourceDefinitions, plus the admission policies upstream bundles ship
//! beside them (Gateway API's `safe-upgrades` ValidatingAdmissionPolicy and its binding); any
//! other document is refused, so a bundle cannot smuggle arbitrary objects into the render.

use std::path::Path;

use crate::core::diagnostic::{Diagnostic, Kind, shown};
use crate::core::digest::sha256_hex;
use crate::core::paths::ProjectRoot;
use crate::core::resource::{Component, Identity, Resource};
use crate::core::source::SourceFile;
use crate::core::yaml::{self, Loc};
use crate::error::{Error, Result};
use crate::profile::LoadedProfile;

/// A bundle that was read, for the lock file.
#[derive(Debug, Clone)]
pub struct BundleInput {
    pub path: String,
    pub sha256: String,
}

/// An upstream CRD bundle meshgen supports: the file as released, by its SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownBundle {
    /// What it is, for messages.
    pub name: &'static str,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: &'static str,
    /// Where the file is published.
    pub source: &'static str,
    /// API groups whose CRDs it holds.
    pub groups: &'static [&'static str],
}

/// The upstream bundles meshgen renders against (its typed validation embeds their schemas):
/// a pinned file with one of these digests is that release, unmodified.
pub const KNOWN_BUNDLES: &[KnownBundle] = &[
    KnownBundle {
        name: "Gateway API v1.5.1 standard-install.yaml",
        sha256: "751002b3b91a87f7ae3bd2517c79a47a8d7ed6702901808a1cf9bd97d284f9b8",
        source: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml",
        groups: &["gateway.networking.k8s.io"],
    },
    KnownBundle {
        name: "Istio 1.30.3 crd-all.gen.yaml",
        sha256: "dcb43ff6b9af2f629b80b6a82597f5a91db259c757e66cc5353ac007da28351a",
        source: "https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/charts/base/files/crd-all.gen.yaml",
        groups: &[
            "networking.istio.io",
            "security.istio.io",
            "telemetry.istio.io",
            "extensions.istio.io",
        ],
    },
];

/// The known upstream bundle with this digest.
pub fn known_bundle(sha256: &str) -> Option<&'static KnownBundle> {
    KNOWN_BUNDLES.iter().find(|bundle| bundle.sha256 == sha256)
}

/// The known upstream bundle that holds the CRDs of `group`.
pub fn bundle_for_group(group: &str) -> Option<&'static KnownBundle> {
    KNOWN_BUNDLES
        .iter()
        .find(|bundle| bundle.groups.contains(&group))
}

/// The kinds a CRD bundle may hold.
const BUNDLE_KINDS: &[(&str, &str)] = &[
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
];

/// Reads and checks every pinned bundle, before anything is rendered.
pub fn load_bundles(
    loaded: &LoadedProfile,
    root: &ProjectRoot,
) -> Result<(Vec<Resource>, Vec<BundleInput>)> {
    let mut resources = Vec::new();
    let mut inputs = Vec::new();
    for (index, bundle) in loaded.profile.spec.crds.bundles.iter().enumerate() {
        let pointer = format!("/spec/crds/bundles/{index}/path");
        let dir = loaded.origins.dir_of(&pointer).unwrap_or(Path::new(""));
        let path = dir.join(&bundle.path);
        let text = root
            .read_to_string(&path, "CRD bundle")
            .map_err(|d| Error::input(loaded.origins.at_value(&pointer, d)))?;
        let actual = sha256_hex(text.as_bytes());
        if actual != bundle.sha256 {
            return Err(Error::input(loaded.origins.at_value(
                &format!("/spec/crds/bundles/{index}/sha256"),
                Diagnostic::new(Kind::Conflict, format!("CRD bundle `{}` has SHA-256 {actual}, but the profile pins {}", path.display(), shown(&bundle.sha256)))
                    .help("the file changed since it was pinned: review it, then update `sha256` (sha256sum FILE)"),
            )));
        }
        let name = path.display().to_string();
        let documents = yaml::parse_stream(&text).map_err(|error| {
            Error::input(
                Diagnostic::new(
                    Kind::Syntax,
                    format!("CRD bundle `{name}` is not valid YAML: {}", error.message),
                )
                .at(
                    SourceFile::new(name.clone(), text.as_str(), Default::default())
                        .label(error.loc.unwrap_or(Loc::START)),
                )
                .help("pin the upstream file as released; fix or re-download it"),
            )
        })?;
        for (object, positions) in documents {
            let source = SourceFile::new(name.clone(), text.as_str(), positions);
            check_document(&source, &object)?;
            let mut resource = Resource::new(Component::Crds, object);
            // Where the document starts, for "rendered twice" and typed validation (without
            // the source line: finding it would scan the bundle once per document).
            let start = source.positions.locate_value("").unwrap_or(Loc::START);
            resource.provenance.added = Some(crate::core::diagnostic::Label {
                line: usize::try_from(start.line).unwrap_or(1),
                column: usize::try_from(start.column).unwrap_or(1),
                ..crate::core::diagnostic::Label::file(name.clone())
            });
            resources.push(resource);
        }
        inputs.push(BundleInput {
            path: path.to_string_lossy().replace('\\', "/"),
            sha256: actual,
        });
    }
    Ok((resources, inputs))
}

/// A bundle document must be a named CRD (or one of the admission policies bundles ship).
fn check_document(source: &SourceFile, object: &serde_json::Value) -> Result<()> {
    let refuse = |message: String| {
        Error::input(
            source
                .at_value(
                    "",
                    Diagnostic::new(Kind::InvalidObject, message),
                )
                .help("a CRD bundle holds CustomResourceDefinitions (and the admission policies upstream ships with them); put other objects in an overlay's `resources`"),
        )
    };
    if !object.is_object() {
        return Err(refuse(format!(
            "CRD bundle `{}` holds a document that is not an object",
            source.name
        )));
    }
    let identity = Identity::of(object);
    if !BUNDLE_KINDS
        .iter()
        .any(|(group, kind)| identity.is(group, kind))
    {
        return Err(refuse(format!(
            "CRD bundle `{}` holds a `{}`, not a CustomResourceDefinition",
            source.name,
            shown(&format!("{}/{}", identity.group, identity.kind))
        )));
    }
    if identity.name.is_empty() {
        return Err(refuse(format!(
            "CRD bundle `{}` holds a {} without `metadata.name`",
            source.name, identity.kind
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bundles_are_well_formed() {
        for bundle in KNOWN_BUNDLES {
            assert_eq!(bundle.sha256.len(), 64, "{}", bundle.name);
            assert!(
                bundle
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
            assert_eq!(known_bundle(bundle.sha256), Some(bundle));
            for group in bundle.groups {
                assert_eq!(bundle_for_group(group), Some(bundle));
            }
        }
        assert!(bundle_for_group("example.com").is_none());
    }
}
