//! The `meshgen` command line: the clap definitions (this file), one file per command, and
//! [`report`], the one place that prints diagnostics and reports and decides exit codes (0 ok,
//! 1 findings, 2 bad input, usage or I/O). Commands parse nothing themselves and decide nothing
//! about the mesh: they call the library and return an [`Outcome`].

mod argocd;
mod check;
mod completions;
mod diff;
mod lint;
mod profile;
mod render;
pub mod report;
mod schema;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum, ValueHint};

use crate::core::diagnostic::{Diagnostic, Kind};
use crate::core::paths::ProjectRoot;
use crate::error::{Error, Result};
use crate::pipeline::{self, Rendered};
use crate::profile::ProfileSource;
use report::Printer;

/// `meshgen --version`: the version, the commit it was built from, and the upstream releases it
/// renders for.
pub fn long_version() -> String {
    use crate::core::versions;
    format!(
        "{} (git {})\nIstio {}\nGateway API {} (standard channel)\nKnative Serving and net-gateway-api {}\nKnative Eventing {}\nKubernetes schemas {}",
        env!("CARGO_PKG_VERSION"),
        env!("MESHGEN_GIT_REVISION"),
        versions::ISTIO,
        versions::GATEWAY_API,
        versions::KNATIVE_SERVING,
        versions::KNATIVE_EVENTING,
        versions::KUBERNETES,
    )
}

/// Examples shown by `meshgen --help`.
const EXAMPLES: &str = "\
Examples:
  meshgen render default                        a built-in profile, as one YAML stream
  meshgen render meshgen.yaml --out manifests   one file per object, plus kustomization and lock
  meshgen check meshgen.yaml --out manifests    exit 1 when manifests/ is stale
  meshgen lint meshgen.yaml                     the analyzers on a profile's render
  meshgen profile list                          the built-in profiles";

/// Deterministic renderer of an Istio service mesh in front of Knative, for GitOps.
#[derive(Debug, Parser)]
#[command(
    name = "meshgen",
    version,
    long_version = long_version(),
    about,
    after_long_help = EXAMPLES,
    max_term_width = 100
)]
pub struct Cli {
    /// When to colour diagnostics (`NO_COLOR` set means never, unless `always`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the manifest set of a profile, to stdout or into a directory.
    ///
    /// Exit 0 when rendered (and, with --fail-on-change, nothing changed); 1 when the analyzers
    /// found errors or --fail-on-change saw changes; 2 on bad input, usage or I/O.
    #[command(after_long_help = render::EXAMPLES)]
    Render(render::Args),
    /// Check that DIR is exactly what `render --out DIR` would write; writes nothing.
    ///
    /// Exit 0 when it is; 1 with a unified diff per file and the missing and extra files when not.
    #[command(after_long_help = check::EXAMPLES)]
    Check(check::Args),
    /// Compare two renders (directories or YAML streams, `-` for stdin) object by object.
    ///
    /// Prints removed (-), added (+) and changed (~) objects with their changed fields; exit 1
    /// when they differ.
    #[command(after_long_help = diff::EXAMPLES)]
    Diff(diff::Args),
    /// Run the analyzers on a profile's render, or on any manifests (--manifests).
    ///
    /// Exit 0 when there are no errors, 1 when there are, 2 on bad input.
    #[command(after_long_help = lint::EXAMPLES)]
    Lint(lint::Args),
    /// Argo CD config-management plugin commands.
    #[command(subcommand, after_long_help = argocd::EXAMPLES)]
    Argocd(argocd::Command),
    /// List or show profiles.
    #[command(subcommand, after_long_help = profile::EXAMPLES)]
    Profile(profile::Command),
    /// Print the JSON Schema of the profile format or the overlay format (for editors).
    #[command(after_long_help = schema::EXAMPLES)]
    Schema(schema::Args),
    /// Print a shell completion script.
    #[command(after_long_help = completions::EXAMPLES)]
    Completions(completions::Args),
}

/// What to render: shared by `render`, `check` and `lint`.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// A profile file (contains `/` or ends in .yaml/.yml) or a built-in profile name.
    #[arg(default_value = DEFAULT_PROFILE, value_parser = ProfileArg, value_hint = ValueHint::FilePath)]
    pub profile: String,
    /// An overlay file, or a directory of them (applied in file-name order), after the profile's
    /// own `overlays`. Repeatable; applied in the order given.
    #[arg(long = "overlay", value_name = "PATH")]
    pub overlays: Vec<PathBuf>,
    /// Directory every input must live in [default: the repository holding the profile (the
    /// nearest directory above it with `.git`), else the working directory if the profile is
    /// below it, else the profile's directory; for a built-in profile, the working directory].
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub root: Option<PathBuf>,
}

/// `PROFILE`: any text; the built-in profile names are offered to shell completion.
#[derive(Debug, Clone, Copy)]
pub struct ProfileArg;

impl clap::builder::TypedValueParser for ProfileArg {
    type Value = String;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(command, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            crate::profile::builtin::names().map(clap::builder::PossibleValue::new),
        ))
    }
}

/// The profile `render` reads when none is named.
const DEFAULT_PROFILE: &str = "./meshgen.yaml";

/// The project root of a run: `--root` when given, else the one the profile implies (see
/// [`ProjectRoot::for_profile`]); a built-in profile names no file, so its root is the working
/// directory. `--overlay` paths are relative to the working directory and must lie inside it.
pub(crate) fn project_root(root: Option<&std::path::Path>, profile: &str) -> Result<ProjectRoot> {
    Ok(match (root, ProfileSource::parse(profile)) {
        (Some(root), _) => ProjectRoot::new(root)?,
        (None, ProfileSource::Path(path)) => ProjectRoot::for_profile(&path)?,
        (None, ProfileSource::Builtin(_)) => ProjectRoot::new(std::path::Path::new("."))?,
    })
}

impl InputArgs {
    /// The project root of this input (see [`project_root`]).
    fn project_root(&self) -> Result<ProjectRoot> {
        project_root(self.root.as_deref(), &self.profile)
    }

    /// Loads and renders the profile (the report is the caller's to judge).
    fn render(&self) -> Result<Rendered> {
        self.render_in(&self.project_root()?)
    }

    /// [`Self::render`] with the project root the caller already resolved.
    fn render_in(&self, root: &ProjectRoot) -> Result<Rendered> {
        let loaded = pipeline::load_profile(&ProfileSource::parse(&self.profile), root)
            .map_err(|error| self.default_profile_hint(error))?;
        pipeline::render(loaded, root, &self.overlays)
    }

    /// With no argument meshgen reads `./meshgen.yaml`; say so when it is missing.
    fn default_profile_hint(&self, error: Error) -> Error {
        if self.profile == DEFAULT_PROFILE && error.is_input(Kind::NotFound) {
            return Error::input(
                Diagnostic::new(Kind::NotFound, "no profile given, and ./meshgen.yaml does not exist")
                    .help("name a profile file or a built-in profile, e.g. `meshgen render default` (`meshgen profile list` shows them)"),
            );
        }
        error
    }

    /// The command line that renders this input into `out`, for "run this to fix it" hints.
    fn render_command(&self, out: &std::path::Path) -> String {
        let mut command = format!("meshgen render {}", shell_word(&self.profile));
        for overlay in &self.overlays {
            command.push_str(&format!(
                " --overlay {}",
                shell_word(&overlay.display().to_string())
            ));
        }
        if let Some(root) = &self.root {
            command.push_str(&format!(
                " --root {}",
                shell_word(&root.display().to_string())
            ));
        }
        command.push_str(&format!(
            " --out {}",
            shell_word(&out.display().to_string())
        ));
        command
    }
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@".contains(&b))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// How a command that ran ends: clean, or with findings (drift, changed output, lint errors,
/// differing renders) that it has already reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Findings,
}

/// Stack of the thread meshgen works on: room for the recursion that parsing, patching and
/// walking documents need at the depth budgets meshgen allows (64 levels), in any build.
const STACK_BYTES: usize = 64 << 20;

/// Runs meshgen with these arguments (the first is the program name) and returns its exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    std::thread::Builder::new()
        .name("meshgen".into())
        .stack_size(STACK_BYTES)
        .spawn(move || run_on_this_thread(args))
        .ok()
        .and_then(|worker| worker.join().ok())
        // A panic (a meshgen bug) has already printed its message.
        .unwrap_or(ExitCode::from(101))
}

fn run_on_this_thread(args: Vec<OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return report::usage_exit_code(&error);
        }
    };
    let printer = Printer::new(cli.color);
    let result = match cli.command {
        Command::Render(args) => render::run(&args, &printer),
        Command::Check(args) => check::run(&args, &printer),
        Command::Diff(args) => diff::run(&args, &printer),
        Command::Lint(args) => lint::run(&args, &printer),
        Command::Argocd(command) => argocd::run(&command, &printer),
        Command::Profile(command) => profile::run(&command, &printer),
        Command::Schema(args) => schema::run(&args, &printer),
        Command::Completions(args) => completions::run(&args, &printer),
    };
    printer.finish(result)
}
