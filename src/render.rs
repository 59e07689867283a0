//! Rendering: runs each enabled component's minijinja templates over the model and parses the
//! output into [`Resource`]s. Templates are embedded at build time; Istio's injection templates
//! (`*.gotmpl`) are data for istiod and never pass through here as template source.

use std::sync::LazyLock;

use minijinja::{
    AutoEscape, Environment, UndefinedBehavior, Value as JinjaValue, syntax::SyntaxConfig,
};

use crate::error::{Error, Result};
use crate::model::Model;
use crate::resource::Resource;
use crate::yaml;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The embedded template files, by path relative to `src/templates/`.
pub fn template_files() -> &'static [(&'static str, &'static str)] {
    embedded::TEMPLATES
}

/// Template instructions allowed per rendered namespace, on top of a fixed budget: a runaway
/// loop stops with an error instead of hanging the pre-commit hook or Argo CD.
const FUEL_BASE: u64 = 5_000_000;
const FUEL_PER_NAMESPACE: u64 = 50_000;

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // YAML, not HTML: never escape. Must be set before templates are added.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("default delimiters are valid"),
    );
    for (name, source) in template_files() {
        if name.ends_with(".j2") {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("embedded template {name} does not compile: {e:#}"));
        }
    }
    env
});

/// Renders every enabled component of `model`, in component order: each component's templates
/// in file-name order, then the objects the model builds directly.
pub fn render(model: &Model) -> Result<Vec<Resource>> {
    let fuel = FUEL_BASE + FUEL_PER_NAMESPACE * model.namespaces.len() as u64;
    let context = JinjaValue::from(minijinja::value::Serde(model));
    let mut resources = Vec::new();
    for component in &model.components {
        let objects = render_templates(component, &context, fuel)?;
        resources.extend(
            objects
                .into_iter()
                .map(|object| Resource::new(*component, object)),
        );
        resources.extend(
            model
                .built(component)
                .into_iter()
                .map(|object| Resource::new(*component, object)),
        );
    }
    Ok(resources)
}

/// Renders the templates of one component with `context`.
pub fn render_templates(
    component: &str,
    context: &JinjaValue,
    fuel: u64,
) -> Result<Vec<serde_json::Value>> {
    let mut env = ENVIRONMENT.clone();
    env.set_fuel(Some(fuel));
    let prefix = format!("{component}/");
    let mut objects = Vec::new();
    for (name, _) in template_files()
        .iter()
        .filter(|(name, _)| name.starts_with(&prefix) && name.ends_with(".yaml.j2"))
    {
        let template = env
            .get_template(name)
            .map_err(|e| template_error(name, &e))?;
        let text = template
            .render(context)
            .map_err(|e| template_error(name, &e))?;
        objects.extend(yaml::parse_manifests(&text).map_err(|e| Error::Template {
            template: (*name).to_owned(),
            message: format!("rendered invalid YAML: {e}\n{text}"),
        })?);
    }
    Ok(objects)
}

fn template_error(name: &str, error: &minijinja::Error) -> Error {
    Error::Template {
        template: name.to_owned(),
        message: format!("{error:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::ProjectRoot;
    use crate::profile::{ProfileSource, load};

    /// The fast reader must read every template of every built-in and fixture profile exactly
    /// as serde-saphyr does, and must not need the fallback for them.
    #[test]
    fn template_output_reads_the_same_both_ways() {
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = ProjectRoot::new(manifest).unwrap();
        let mut sources: Vec<ProfileSource> = load::BUILTIN_PROFILES
            .iter()
            .map(|(name, _)| ProfileSource::Builtin((*name).to_owned()))
            .collect();
        for entry in std::fs::read_dir(manifest.join("tests/fixtures/profiles")).unwrap() {
            sources.push(ProfileSource::Path(entry.unwrap().path()));
        }
        for source in sources {
            let model = Model::from_profile(&load(&source, &root).unwrap().profile);
            let context = JinjaValue::from(minijinja::value::Serde(&model));
            for component in &model.components {
                let prefix = format!("{component}/");
                for (name, _) in template_files()
                    .iter()
                    .filter(|(n, _)| n.starts_with(&prefix) && n.ends_with(".yaml.j2"))
                {
                    let text = ENVIRONMENT
                        .get_template(name)
                        .unwrap()
                        .render(&context)
                        .unwrap();
                    let (fast, reference) = yaml::parse_both_ways(&text);
                    let reference: Vec<_> = reference
                        .unwrap()
                        .into_iter()
                        .filter(|d| !d.is_null())
                        .collect();
                    assert_eq!(fast.as_ref(), Some(&reference), "{source:?} {name}");
                }
            }
        }
    }
}
