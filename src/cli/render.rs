//! `meshgen render`: the stream to stdout, or the directory with a report of what changed.

use std::path::PathBuf;

use super::report::Printer;
use super::{InputArgs, Outcome};
use crate::emit::{self, Recovery};
use crate::error::Result;

pub const EXAMPLES: &str = "\
Examples:
  meshgen render                                ./meshgen.yaml as one YAML stream on stdout
  meshgen render default                        a built-in profile (meshgen profile list)
  meshgen render meshgen.yaml --out manifests   one file per object, plus kustomization and lock
  meshgen render meshgen.yaml --overlay overlays/ha --out manifests
  meshgen render meshgen.yaml --out manifests --fail-on-change    as the pre-commit hook does";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write one file per object, a kustomization.yaml and meshgen.lock into DIR.
    #[arg(short, long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out: Option<PathBuf>,
    /// Exit 1 (naming the files) when --out wrote or deleted anything: for pre-commit, which
    /// would otherwise let newly created files through.
    #[arg(long, requires = "out")]
    pub fail_on_change: bool,
    /// With --out: list every file written or removed, not just how many.
    #[arg(short, long, requires = "out")]
    pub verbose: bool,
}

pub fn run(args: &Args, printer: &Printer) -> Result<Outcome> {
    // Resolved once: the render reads inputs under it, the writer refuses `--out` at it.
    let root = args.input.project_root()?;
    let rendered = args.input.render_in(&root)?.lint_errors()?;
    printer.warnings(&rendered.lint);
    let Some(out) = &args.out else {
        printer.stdout(&emit::stream(&rendered.resources))?;
        return Ok(Outcome::Clean);
    };
    let plan = emit::directory_plan(&rendered.resources, &rendered.inputs)?;
    let report = emit::write_directory(out, &plan, root.canonical_path())?;
    match &report.recovery {
        Some(Recovery::Finished { .. }) => printer.note(&format!(
            "note: a render into {} had been interrupted after it committed; finished it first",
            out.display()
        )),
        Some(Recovery::RolledBack) => printer.note(&format!(
            "note: a render into {} had been interrupted before it committed; rolled it back first",
            out.display()
        )),
        None => {}
    }
    for leftover in &report.leftovers {
        printer.note(&format!(
            "warning: {} was left by an older meshgen killed during a render; it may hold files of yours: move them back, then delete it",
            leftover.display()
        ));
    }
    // pre-commit shows the whole list on failure: name every file then.
    if args.verbose || (args.fail_on_change && report.changed()) {
        for path in &report.written {
            printer.note(&format!("wrote {}", out.join(path).display()));
        }
        for path in &report.removed {
            printer.note(&format!("removed {}", out.join(path).display()));
        }
    }
    if !report.changed() {
        printer.note(&format!("{} is up to date", out.display()));
    } else if !args.verbose {
        printer.note(&format!(
            "wrote {} and removed {} file(s) in {} ({} files rendered)",
            report.written.len(),
            report.removed.len(),
            out.display(),
            plan.len()
        ));
    }
    if args.fail_on_change && report.changed() {
        printer.note(&format!(
            "error: {} was not up to date; meshgen wrote {} and removed {} file(s) listed above: review and stage them (git add {})",
            out.display(),
            report.written.len(),
            report.removed.len(),
            out.display()
        ));
        return Ok(Outcome::Findings);
    }
    Ok(Outcome::Clean)
}
