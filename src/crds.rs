//! CRD bundles: upstream CRD files pinned in the profile by path and SHA-256, included as they
//! are. meshgen never invents a CRD; a digest mismatch means the file is not what was reviewed.

use std::path::Path;

use crate::digest::sha256_hex;
use crate::error::{Diagnostic, Error, Result};
use crate::paths::ProjectRoot;
use crate::profile::LoadedProfile;
use crate::resource::Resource;
use crate::yaml;

/// A bundle that was read, for the lock file.
#[derive(Debug, Clone)]
pub struct BundleInput {
    pub path: String,
    pub sha256: String,
}

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
                Diagnostic::new(format!("CRD bundle `{}` has SHA-256 {actual}, but the profile pins {}", path.display(), bundle.sha256))
                    .help("the file changed since it was pinned: review it, then update `sha256` (sha256sum FILE)"),
            )));
        }
        let documents = yaml::parse_stream(&text).map_err(|e| {
            Error::input(Diagnostic::new(format!(
                "CRD bundle `{}` is not valid YAML: {e}",
                path.display()
            )))
        })?;
        for (object, _) in documents {
            resources.push(Resource::new("crds", object));
        }
        inputs.push(BundleInput {
            path: path.to_string_lossy().replace('\\', "/"),
            sha256: actual,
        });
    }
    Ok((resources, inputs))
}
