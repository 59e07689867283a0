//! `meshgen check`: drift between a directory and a fresh render, writing nothing.

use std::path::PathBuf;

use super::report::Printer;
use super::{InputArgs, Outcome};
use crate::compare;
use crate::emit;
use crate::error::Result;

pub const EXAMPLES: &str = "\
Examples:
  meshgen check meshgen.yaml --out manifests       exit 1 with a diff when manifests/ is stale
  meshgen check meshgen.yaml --overlay overlays/ha --out manifests";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// The output directory to check.
    #[arg(short, long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out: PathBuf,
}

pub fn run(args: &Args, printer: &Printer) -> Result<Outcome> {
    let rendered = args.input.render()?.lint_errors()?;
    let plan = emit::directory_plan(&rendered.resources, &rendered.inputs)?;
    let drift = compare::check_directory(&args.out, &plan)?;
    if drift.is_clean() {
        return Ok(Outcome::Clean);
    }
    printer.stdout(&drift.report(&args.out))?;
    printer.note(&format!(
        "error: {} is not what meshgen renders ({}); run `{}` to update it",
        args.out.display(),
        drift.summary(),
        args.input.render_command(&args.out)
    ));
    Ok(Outcome::Findings)
}
