//! The pipeline, start to end: load the profile, read the pinned CRDs, build the model, render,
//! apply overlays, finish, then check every object against its type and run the analyzers.
//! Each stage lives in its own module; this one only runs them in order and collects the inputs
//! for the lock file.

use std::path::{Path, PathBuf};

use crate::crds;
use crate::emit::InputDigest;
use crate::error::{Diagnostic, Error, Result};
use crate::finish;
use crate::lint::{self, LintOptions, Report};
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
    /// What the analyzers found (with the profile's acknowledgements applied).
    pub lint: Report,
}

impl Rendered {
    /// The render, unless the analyzers found errors: then their report, as an error (exit 1).
    pub fn fail_on_lint_errors(self) -> Result<Rendered> {
        if self.lint.has_errors() {
            return Err(Error::Lint(lint::to_text(&self.lint)));
        }
        Ok(self)
    }
}

/// Loads and validates a profile (with its `extends` chain).
pub fn load_profile(source: &ProfileSource, root: &ProjectRoot) -> Result<LoadedProfile> {
    profile::load(source, root)
}

/// Renders the full manifest set of `source`; analyzer errors fail it.
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

/// Renders an already loaded profile; analyzer errors fail it.
pub fn render_profile(
    loaded: LoadedProfile,
    root: &ProjectRoot,
    overlays: &[PathBuf],
) -> Result<Rendered> {
    analyze_profile(loaded, root, overlays)?.fail_on_lint_errors()
}

/// Renders an already loaded profile (callers that adjust the profile after loading, like the
/// Argo CD plugin's parameters, start here) and analyzes the result without judging it:
/// `meshgen lint` wants the report even when it holds errors. A field no type knows (an
/// overlay's typo) is an input error here already.
pub fn analyze_profile(
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
    let objects: Vec<serde_json::Value> = resources.iter().map(|r| r.object.clone()).collect();
    check_types(&objects)?;
    let lint = lint::lint_with(
        &objects,
        &lint_options(&loaded),
        &loaded.profile.spec.knative.namespaces,
    );
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
        lint,
    })
}

/// Every field the Kubernetes, Gateway API and Istio types do not know, as one input error.
pub fn check_types(objects: &[serde_json::Value]) -> Result<()> {
    let problems: Vec<Diagnostic> = lint::check_types(objects)
        .into_iter()
        .map(|error| {
            Diagnostic::new(format!("`{}`: {} at `{}`", error.object, error.problem, error.pointer)).help(
                "the API server would drop or reject this field; fix the overlay or patch that sets it",
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Inputs(problems))
    }
}

/// The profile's acknowledged analyzer codes.
pub fn lint_options(loaded: &LoadedProfile) -> LintOptions {
    LintOptions {
        ignore: loaded.profile.spec.lint.ignore.clone(),
    }
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

/// `name` relative to the project root when it is a path inside it (built-ins and anything
/// else keep their name).
fn root_relative(root: &ProjectRoot, name: &str) -> String {
    if name.starts_with("builtin:") {
        return name.to_owned();
    }
    root.relative_name(Path::new(name))
        .unwrap_or_else(|| name.to_owned())
}
