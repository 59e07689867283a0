//! Stage 3, rendering: runs each enabled component's minijinja templates over the model and
//! parses the output into [`Resource`]s, adds the objects built in Rust (istiod's generated
//! ConfigMaps, [`istio`]) and the pinned CRD bundles ([`crds`]). Templates are embedded at build
//! time; Istio's injection templates (`*.gotmpl`) are data for istiod and never pass through
//! here as template source.

pub mod crds;
pub mod istio;

use std::sync::LazyLock;

use minijinja::{
    AutoEscape, Environment, UndefinedBehavior, Value as JinjaValue, context, syntax::SyntaxConfig,
    value::Serde,
};

use crate::core::resource::{Component, Resource};
use crate::core::yaml;
use crate::error::{Error, Result};
use crate::model::Model;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The embedded template files, by path relative to `src/templates/`.
pub fn template_files() -> &'static [(&'static str, &'static str)] {
    embedded::TEMPLATES
}

/// The embedded file at `path` (relative to `src/templates/`).
pub fn template_file(path: &str) -> &'static str {
    template_files()
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("embedded file {path} is missing"))
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
    env.set_formatter(yaml_scalar);
    env.add_filter("bare", bare);
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

/// How a template places a value: every string as a JSON string (a YAML double-quoted scalar),
/// numbers and booleans as themselves, anything else is a template bug. So a placed string is
/// one scalar whatever it holds — a namespace named `on` or `y` stays a string, and a value
/// with a newline or quote cannot add YAML of its own — on top of the profile's grammar checks
/// (`profile::grammar`), which refuse such values where they enter. Templates therefore never
/// quote `{{ … }}` themselves; the bytes written do not change, since rendered YAML is parsed
/// and written again.
fn yaml_scalar(
    out: &mut minijinja::Output<'_>,
    _: &mut minijinja::State<'_, '_>,
    value: &JinjaValue,
) -> std::result::Result<(), minijinja::Error> {
    use minijinja::value::ValueKind;
    if value.is_safe() {
        // Only `bare` makes safe strings: written as it decided.
        return out
            .write_str(value.as_str().unwrap_or_default())
            .map_err(minijinja::Error::from);
    }
    let text = match value.kind() {
        ValueKind::String => serde_json::to_string(value.as_str().unwrap_or_default())
            .expect("a string serialises to JSON"),
        ValueKind::Number | ValueKind::Bool => value.to_string(),
        kind => {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("a template placed {kind}, not a string, number or boolean"),
            ));
        }
    };
    out.write_str(&text).map_err(minijinja::Error::from)
}

/// `{{ value | bare }}`: a value placed inside an embedded YAML document (Knative's
/// `config-gateway` lists, in a literal block), unquoted when it reads back as itself in every
/// YAML version — lowercase letters, digits, `.`, `-` and `/`, starting with a letter, not a
/// YAML 1.1 word — so the document reads as Knative's own examples; else as a JSON string,
/// which is one scalar on one line whatever it holds.
fn bare(value: &str) -> JinjaValue {
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'/'))
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && !crate::core::yaml::is_yaml_1_1_word(value);
    if plain {
        JinjaValue::from_safe_string(value.to_owned())
    } else {
        JinjaValue::from_safe_string(
            serde_json::to_string(value).expect("a string serialises to JSON"),
        )
    }
}

/// Renders every enabled component of `model` except the CRD bundles, in component order: each
/// component's templates in file-name order, then the objects built in Rust.
pub fn render(model: &Model) -> Result<Vec<Resource>> {
    let fuel = FUEL_BASE + FUEL_PER_NAMESPACE * model.namespaces.len() as u64;
    let context = context! {
        istio => JinjaValue::from(Serde(istio::context(&model.istio))),
        ..JinjaValue::from(Serde(model))
    };
    let mut resources = Vec::new();
    for &component in &model.components {
        let objects = render_templates(component, &context, fuel)?;
        resources.extend(
            objects
                .into_iter()
                .map(|object| Resource::new(component, object)),
        );
        resources.extend(
            built(component, model)
                .into_iter()
                .map(|object| Resource::new(component, object)),
        );
    }
    Ok(resources)
}

/// Objects of `component` built in Rust rather than templated.
fn built(component: Component, model: &Model) -> Vec<serde_json::Value> {
    match component {
        Component::Istiod => istio::config_maps(&model.istio),
        _ => Vec::new(),
    }
}

/// Renders the templates of one component with `context`.
pub(crate) fn render_templates(
    component: Component,
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
            message: format!("rendered invalid YAML: {e}"),
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
    use crate::core::paths::ProjectRoot;
    use crate::profile::{ProfileSource, builtin, load};

    /// Every built-in and fixture profile.
    fn profiles() -> (ProjectRoot, Vec<ProfileSource>) {
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = ProjectRoot::new(manifest).unwrap();
        let mut sources: Vec<ProfileSource> = builtin::names()
            .map(|name| ProfileSource::Builtin(name.to_owned()))
            .collect();
        let mut fixtures: Vec<_> = std::fs::read_dir(manifest.join("tests/fixtures/profiles"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        fixtures.sort();
        sources.extend(fixtures.into_iter().map(ProfileSource::Path));
        (root, sources)
    }

    /// The fast reader must read every template of every built-in and fixture profile exactly
    /// as serde-saphyr does, and must not need the fallback for them.
    #[test]
    fn template_output_reads_the_same_both_ways() {
        let (root, sources) = profiles();
        for source in sources {
            let model = Model::from_profile(&load(&source, &root).unwrap().profile);
            let context = context! {
                istio => JinjaValue::from(Serde(istio::context(&model.istio))),
                ..JinjaValue::from(Serde(&model))
            };
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
                    assert_eq!(fast, Some(reference.unwrap()), "{source:?} {name}");
                }
            }
        }
    }

    /// The fast writer must write every object of every built-in and fixture render exactly as
    /// serde-saphyr does.
    #[test]
    fn every_render_is_written_the_same_both_ways() {
        let (root, sources) = profiles();
        for source in sources {
            let loaded = load(&source, &root).unwrap();
            for resource in crate::pipeline::render(loaded, &root, &[])
                .unwrap()
                .resources
            {
                assert_eq!(
                    yaml::to_yaml(&resource.object),
                    yaml::to_yaml_with_saphyr(&resource.object),
                    "{source:?}: {}",
                    resource.identity()
                );
            }
        }
    }
}
