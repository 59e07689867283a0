//! The pipeline, start to end, in the order data flows: load the profile, read every other
//! input (overlays, pinned CRD bundles), build the model, render, apply overlays, finish, check
//! every object against its type, run the analyzers. Each stage lives in its own module; this
//! one only runs them in order and collects the inputs for the lock file.
//!
//! Two entry points: [`load_profile`] (stage 1 alone: `profile show`, the Argo CD plugin, which
//! adjusts the profile before rendering) and [`render`] (everything after it). A render never
//! judges its own analyzer report: callers decide whether errors stop them
//! ([`Rendered::lint_errors`]).

use std::path::{Path, PathBuf};

use crate::core::diagnostic::Diagnostic;
use crate::core::paths::ProjectRoot;
use crate::core::resource::Resource;
use crate::emit::InputDigest;
use crate::error::{Error, Result};
use crate::finish;
use crate::lint::{self, LintOptions, Report};
use crate::model::Model;
use crate::overlay::{self, Overlay};
use crate::profile::{self, LoadedProfile, ProfileSource};
use crate::render;
use crate::validate;

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
    /// The render, unless the analyzers found errors: then their report, as an error.
    pub fn lint_errors(self) -> Result<Rendered> {
        if self.lint.has_errors() {
            return Err(Error::Lint(Box::new(self.lint)));
        }
        Ok(self)
    }
}

/// Stage 1: loads and validates a profile (with its `extends` chain).
pub fn load_profile(source: &ProfileSource, root: &ProjectRoot) -> Result<LoadedProfile> {
    profile::load(source, root)
}

/// Every stage after loading: renders `loaded` with the profile's overlays, then `overlays`
/// (paths relative to the working directory, as given with `--overlay`), in that order, and
/// analyzes the result. A field no type knows (an overlay's typo) is an input error here.
pub fn render(loaded: LoadedProfile, root: &ProjectRoot, overlays: &[PathBuf]) -> Result<Rendered> {
    // Read every input before rendering: a bad overlay fails fast, and nothing is half done.
    let overlays = load_overlays(&loaded, root, overlays)?;
    let (mut resources, bundles) = render::crds::load_bundles(&loaded, root)?;
    let model = Model::from_profile(&loaded.profile);
    resources.extend(render::render(&model)?);
    overlay::apply(&mut resources, &overlays)?;
    let resources = finish::finish(resources, &loaded.profile.spec.gitops.argocd)?;
    let objects: Vec<&serde_json::Value> = resources.iter().map(|r| &r.object).collect();
    check_types(&objects, &resources)?;
    let options = LintOptions {
        validated: true,
        ..lint_options(&loaded)
    };
    let lint = lint::lint(objects, &options);
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

/// Stage 6: every field the Kubernetes types and CRD schemas do not know, as one input error,
/// each pointing at the overlay patch or added manifest that put the field there. An object no
/// overlay touched that fails is meshgen's own bug, and says so.
fn check_types(objects: &[&serde_json::Value], resources: &[Resource]) -> Result<()> {
    use std::collections::HashMap;
    let errors = validate::check(objects);
    if errors.is_empty() {
        return Ok(());
    }
    let by_key: HashMap<_, &Resource> = resources
        .iter()
        .map(|resource| (resource.identity().key(), resource))
        .collect();
    let problems: Vec<Diagnostic> = errors
        .into_iter()
        .map(|error| {
            let message = format!(
                "`{}`: {} at `{}`",
                error.object, error.problem, error.pointer
            );
            let blamed = by_key
                .get(&error.object.key())
                .and_then(|resource| resource.provenance.blame(&error.pointer));
            let diagnostic = Diagnostic::new(crate::core::diagnostic::Kind::InvalidObject, message);
            match blamed {
                Some((label, Some(patch))) => diagnostic.at(label.clone()).help(format!(
                    "{patch} of this overlay writes this field, and the API server would drop or reject it; fix the patch"
                )),
                Some((label, None)) => diagnostic.at(label.clone()).help(
                    "this object comes from this file, and the API server would drop or reject the field; fix it here",
                ),
                None => diagnostic.help(
                    "meshgen rendered this object without any overlay: this is a meshgen bug; please report it with the profile",
                ),
            }
        })
        .collect();
    Err(Error::inputs(problems))
}

/// What the analyzers are told about this profile: its acknowledged codes and where Knative runs.
pub fn lint_options(loaded: &LoadedProfile) -> LintOptions {
    let spec = &loaded.profile.spec;
    let mut ignore: Vec<lint::Ignore> = spec
        .lint
        .ignore
        .iter()
        .map(|ignore| lint::Ignore {
            code: ignore.code.clone(),
            reason: ignore.reason.clone(),
        })
        .collect();
    // A built-in profile rendered as it is cannot pin CRD files (they live in the user's
    // repository): MG0021 is acknowledged there, not warned on every run. A profile file that
    // extends one can pin them, and is warned.
    if builtin_only(loaded) && !ignore.iter().any(|i| i.code == BUILTIN_CRD_ACK.0) {
        ignore.push(lint::Ignore {
            code: BUILTIN_CRD_ACK.0.into(),
            reason: BUILTIN_CRD_ACK.1.into(),
        });
    }
    LintOptions {
        ignore,
        knative: lint::KnativeNamespaces {
            serving: spec.knative.namespaces.serving.clone(),
            eventing: spec.knative.namespaces.eventing.clone(),
        },
        validated: false,
    }
}

/// MG0021's acknowledgement for a built-in profile rendered as it is.
const BUILTIN_CRD_ACK: (&str, &str) = (
    "MG0021",
    "a built-in profile cannot pin CRD files of your repository: extend it in a profile file and pin spec.crds.bundles (README), or install the CRDs first",
);

/// Every layer of the profile is a built-in (no file of the user's).
fn builtin_only(loaded: &LoadedProfile) -> bool {
    !loaded.origins.layers.is_empty()
        && loaded
            .origins
            .layers
            .iter()
            .all(|layer| LoadedProfile::is_builtin_name(&layer.source.name))
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
    if LoadedProfile::is_builtin_name(name) {
        return name.to_owned();
    }
    root.relative_name(Path::new(name))
        .unwrap_or_else(|| name.to_owned())
}
