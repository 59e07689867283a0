//! The pipeline, start to end: load the profile, read the pinned CRDs, build the model, render,
//! apply overlays, finish. Each stage lives in its own module; this one only runs them in order
//! and collects the inputs for the lock file.

use std::path::{Path, PathBuf};

use crate::crds;
use crate::emit::InputDigest;
use crate::error::{Diagnostic, Result};
use crate::finish;
use crate::model::Model;
use crate::overlay::{self, Overlay};
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
    render_with(source, root, &[])
}

/// Renders `source` with the profile's overlays, then `overlays` (paths relative to the working
/// directory, as given with `--overlay`), in that order.
pub fn render_with(
    source: &ProfileSource,
    root: &ProjectRoot,
    overlays: &[PathBuf],
) -> Result<Rendered> {
    let loaded = load_profile(source, root)?;
    render_profile(loaded, root, overlays)
}

/// Renders an already loaded profile (callers that adjust the profile after loading, like the
/// Argo CD plugin's parameters, start here).
pub fn render_profile(
    loaded: LoadedProfile,
    root: &ProjectRoot,
    overlays: &[PathBuf],
) -> Result<Rendered> {
    // Read every input before rendering: a bad overlay fails fast, and nothing is half done.
    let overlays = load_overlays(&loaded, root, overlays)?;
    let (mut resources, bundles) = crds::load_bundles(&loaded, root)?;
    let model = Model::from_profile(&loaded.profile);
    resources.extend(render::render(&model)?);
    overlay::apply(&mut resources, &overlays)?;
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
    for overlay in &overlays {
        inputs.extend(overlay.inputs.iter().map(|(path, sha256)| InputDigest {
            name: root_relative(root, &path.to_string_lossy()),
            sha256: sha256.clone(),
        }));
    }
    Ok(Rendered {
        resources,
        inputs,
        profile: loaded,
    })
}

/// The profile's `overlays` (relative to the file that lists them) followed by `extra`.
fn load_overlays(
    loaded: &LoadedProfile,
    root: &ProjectRoot,
    extra: &[PathBuf],
) -> Result<Vec<Overlay>> {
    let mut overlays = Vec::new();
    for (index, named) in loaded.profile.overlays.iter().enumerate() {
        let pointer = format!("/overlays/{index}");
        let dir = loaded.origins.dir_of(&pointer).unwrap_or(Path::new(""));
        let at = |diagnostic| loaded.origins.at_value(&pointer, diagnostic);
        overlays.extend(overlay::load(&dir.join(named), root, &at)?);
    }
    for path in extra {
        // Named on the command line: there is no file position to point at.
        let at = |diagnostic: Diagnostic| diagnostic;
        overlays.extend(overlay::load(path, root, &at)?);
    }
    Ok(overlays)
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
