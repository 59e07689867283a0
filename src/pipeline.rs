//! The pipeline, start to end: load the profile, read the pinned CRDs, build the model, render,
//! finish. Each stage lives in its own module; this one only runs them in order and collects the
//! inputs for the lock file.

use std::path::Path;

use crate::crds;
use crate::emit::InputDigest;
use crate::error::Result;
use crate::finish;
use crate::model::Model;
use crate::paths::ProjectRoot;
use crate::profile::{self, LoadedProfile, ProfileSource};
use crate::render;
use crate::resource::Resource;

/// What a render produced.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub resources: Vec<Resource>,
    /// Every input read, for the lock file.
    pub inputs: Vec<InputDigest>,
    pub profile: LoadedProfile,
}

/// Loads and validates a profile (with its `extends` chain).
pub fn load_profile(source: &ProfileSource, root: &ProjectRoot) -> Result<LoadedProfile> {
    profile::load(source, root)
}

/// Renders the full manifest set of `source`.
pub fn render(source: &ProfileSource, root: &ProjectRoot) -> Result<Rendered> {
    let loaded = load_profile(source, root)?;
    let (mut resources, bundles) = crds::load_bundles(&loaded, root)?;
    let model = Model::from_profile(&loaded.profile);
    resources.extend(render::render(&model)?);
    let resources = finish::finish(resources, &loaded.profile.spec.gitops.argocd)?;
    let mut inputs: Vec<InputDigest> = loaded
        .input_digests()
        .into_iter()
        .map(|(name, sha256)| InputDigest {
            name: root_relative(root, &name),
            sha256,
        })
        .collect();
    inputs.extend(bundles.into_iter().map(|b| InputDigest {
        name: root_relative(root, &b.path),
        sha256: b.sha256,
    }));
    Ok(Rendered {
        resources,
        inputs,
        profile: loaded,
    })
}

/// `name` relative to the project root when it is a path inside it, so lock files do not depend
/// on the working directory.
fn root_relative(root: &ProjectRoot, name: &str) -> String {
    if name.starts_with("builtin:") {
        return name.to_owned();
    }
    let canonical = Path::new(name).canonicalize().ok();
    let root_canonical = root.path().canonicalize().ok();
    match (canonical, root_canonical) {
        (Some(path), Some(root)) => path
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| name.to_owned()),
        _ => name.to_owned(),
    }
}
