//! `meshgen lint`: the analyzers' report on a profile's render or on any manifests; exit 1
//! when it holds errors.

use std::path::PathBuf;

use super::report::Printer;
use super::{InputArgs, Outcome};
use crate::core::diagnostic::{Diagnostic, Kind};
use crate::error::{Error, Result};
use crate::lint::{self, LintOptions};

pub const EXAMPLES: &str = "\
Examples:
  meshgen lint meshgen.yaml                        the analyzers on a profile's render
  meshgen lint --manifests k8s/ --format sarif     on any manifests, for code scanning
  meshgen lint --manifests k8s/ --ignore 'MG0004=evaluating ambient'
  meshgen lint --explain MG0001                    why a finding matters and how to fix it";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// Lint these manifests (directories, YAML files, or - for stdin) instead of a profile's
    /// render, whoever produced them.
    #[arg(long, value_name = "PATH", num_args = 1.., conflicts_with_all = ["profile", "overlays"])]
    pub manifests: Vec<PathBuf>,
    /// With --manifests: acknowledge an analyzer code, as `spec.lint.ignore` does in a profile.
    #[arg(long, value_name = "CODE=REASON", requires = "manifests")]
    pub ignore: Vec<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Explain an analyzer code (why it matters, how to fix it) and exit.
    #[arg(long, value_name = "CODE", exclusive = true)]
    pub explain: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
}

pub fn run(args: &Args, printer: &Printer) -> Result<Outcome> {
    if let Some(code) = &args.explain {
        let Some(text) = lint::explain(code) else {
            return Err(Error::input(
                Diagnostic::new(
                    Kind::NotFound,
                    format!(
                        "there is no analyzer `{}`",
                        crate::core::diagnostic::shown(code)
                    ),
                )
                .help("codes run from MG0001; `docs/analyzers.md` lists them all"),
            ));
        };
        printer.stdout(&text)?;
        return Ok(Outcome::Clean);
    }
    let report = if args.manifests.is_empty() {
        let rendered = args.input.render()?;
        // Say which pinned CRD bundles are genuine upstream files (their digests were checked
        // against the pins when they were read).
        for bundle in &rendered.profile.profile.spec.crds.bundles {
            if let Some(known) = crate::render::crds::known_bundle(&bundle.sha256) {
                printer.note(&format!(
                    "note: CRD bundle `{}` is the upstream {}, unmodified (sha256 {})",
                    bundle.path, known.name, known.sha256
                ));
            }
        }
        rendered.lint
    } else {
        let mut manifests = crate::compare::Manifests::default();
        for path in &args.manifests {
            manifests.objects.extend(super::diff::read(path)?.objects);
        }
        let options = LintOptions {
            ignore: args
                .ignore
                .iter()
                .map(|entry| parse_ignore(entry))
                .collect::<Result<_>>()?,
            ..LintOptions::default()
        };
        manifests.lint(&options)?
    };
    printer.stdout(&match args.format {
        Format::Text => printer.lint_text(&report),
        Format::Json => lint::output::to_json(&report),
        Format::Sarif => lint::output::to_sarif(&report),
    })?;
    Ok(if report.has_errors() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// `CODE=REASON` of `--ignore`.
fn parse_ignore(entry: &str) -> Result<lint::Ignore> {
    match entry.split_once('=') {
        Some((code, reason)) if lint::rule(code).is_some() && !reason.trim().is_empty() => {
            Ok(lint::Ignore {
                code: code.to_ascii_uppercase(),
                reason: reason.to_owned(),
            })
        }
        _ => Err(Error::input(
            Diagnostic::new(
                Kind::InvalidValue,
                format!(
                    "--ignore `{}` is not CODE=REASON with a known analyzer code",
                    crate::core::diagnostic::shown(entry)
                ),
            )
            .help("e.g. --ignore 'MG0004=evaluating ambient on purpose'; a reason is required"),
        )),
    }
}
