//! The `meshgen` command line: parses arguments, calls the library, prints, and maps outcomes to
//! exit codes (0 ok, 1 findings, 2 bad input, usage or I/O). Nothing here decides anything
//! about the mesh.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use meshgen::error::{Diagnostic, Error};
use meshgen::profile::ProfileSource;
use meshgen::{argocd, diff, emit, paths::ProjectRoot, pipeline, profile, schema, yaml};

/// Deterministic renderer of an Istio service mesh in front of Knative, for GitOps.
#[derive(Debug, Parser)]
#[command(name = "meshgen", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render the manifest set of a profile, to stdout or into a directory.
    Render {
        #[command(flatten)]
        input: InputArgs,
        /// Write one file per object, a kustomization.yaml and meshgen.lock into DIR.
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Exit 1 (naming the files) when --out wrote or deleted anything: for pre-commit, which
        /// would otherwise let newly created files through.
        #[arg(long, requires = "out")]
        fail_on_change: bool,
    },
    /// Check that DIR is exactly what `render --out DIR` would write; writes nothing.
    ///
    /// Exit 0 when it is; 1 with a unified diff per file and the missing and extra files when not.
    Check {
        #[command(flatten)]
        input: InputArgs,
        /// The output directory to check.
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Compare two renders (directories or YAML streams, `-` for stdin) object by object.
    ///
    /// Prints removed (-), added (+) and changed (~) objects with their changed fields; exit 1
    /// when they differ.
    Diff {
        /// The render before.
        old: PathBuf,
        /// The render after.
        new: PathBuf,
    },
    /// Argo CD config-management plugin commands.
    #[command(subcommand)]
    Argocd(ArgocdCommand),
    /// List or show profiles.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Print the JSON Schema of the profile format (for editors).
    Schema,
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// What to render: shared by `render` and `check`.
#[derive(Debug, clap::Args)]
struct InputArgs {
    /// A profile file (contains `/` or ends in .yaml/.yml) or a built-in profile name.
    #[arg(default_value = "./meshgen.yaml")]
    profile: String,
    /// An overlay file, or a directory of them (applied in file-name order), after the profile's
    /// own `overlays`. Repeatable; applied in the order given.
    #[arg(long = "overlay", value_name = "PATH")]
    overlays: Vec<PathBuf>,
    /// Directory every input must live in.
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
}

impl InputArgs {
    fn render(&self) -> Result<pipeline::Rendered, Error> {
        let root = ProjectRoot::new(&self.root)?;
        let source = ProfileSource::parse(&self.profile);
        pipeline::render_with(&source, &root, &self.overlays)
            .map_err(|e| default_profile_hint(&self.profile, e))
    }
}

#[derive(Debug, Subcommand)]
enum ArgocdCommand {
    /// Render for Argo CD: run by argocd-cmp-server in the app directory.
    ///
    /// Reads ARGOCD_APP_PARAMETERS (profile, overlays, mtls-mode, dataplane-mode, gateway-class)
    /// and ARGOCD_ENV_MESHGEN_* (PROFILE, OVERLAYS, ...); prints only YAML; writes nothing.
    Generate,
}

#[derive(Debug, Subcommand)]
enum ProfileCommand {
    /// List the built-in profiles.
    List,
    /// Print a profile fully merged, with every default filled in.
    Show {
        /// A profile file or a built-in profile name.
        profile: String,
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if !matches!(error, Error::Findings(_)) {
                let _ = writeln!(std::io::stderr().lock(), "error: {error}");
            }
            ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
        }
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Render {
            input,
            out,
            fail_on_change,
        } => render(&input, out.as_deref(), fail_on_change),
        Command::Check { input, out } => check(&input, &out),
        Command::Diff { old, new } => diff_renders(&old, &new),
        Command::Argocd(ArgocdCommand::Generate) => argocd_generate(),
        Command::Profile(ProfileCommand::List) => {
            let mut text = String::new();
            for (name, source) in profile::load::BUILTIN_PROFILES {
                let description = yaml::parse_document(source)
                    .ok()
                    .flatten()
                    .and_then(|(value, _)| {
                        value
                            .pointer("/metadata/description")
                            .and_then(|d| d.as_str())
                            .map(str::to_owned)
                    })
                    .unwrap_or_default();
                text.push_str(&format!("{name:<12} {description}\n"));
            }
            print(&text)
        }
        Command::Profile(ProfileCommand::Show { profile, root }) => {
            let root = ProjectRoot::new(&root)?;
            let loaded = pipeline::load_profile(&ProfileSource::parse(&profile), &root)?;
            let mut shown = loaded.profile.clone();
            shown.extends = None;
            print(&yaml::to_yaml(
                &serde_json::to_value(&shown).expect("profiles serialise"),
            ))
        }
        Command::Schema => print(&schema::profile_schema()),
        Command::Completions { shell } => {
            let mut buffer = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "meshgen", &mut buffer);
            print(&String::from_utf8_lossy(&buffer))
        }
    }
}

/// `meshgen render`: the stream to stdout, or the directory with a report of what changed.
fn render(input: &InputArgs, out: Option<&Path>, fail_on_change: bool) -> Result<(), Error> {
    let rendered = input.render()?;
    let Some(out) = out else {
        return print(&emit::stream(&rendered.resources));
    };
    let plan = emit::directory_plan(&rendered.resources, &rendered.inputs);
    let report = emit::write_directory(out, &plan)?;
    let mut stderr = std::io::stderr().lock();
    for path in &report.written {
        let _ = writeln!(stderr, "wrote {}", out.join(path).display());
    }
    for path in &report.removed {
        let _ = writeln!(stderr, "removed {}", out.join(path).display());
    }
    if fail_on_change && report.changed() {
        let _ = writeln!(
            stderr,
            "error: {} was not up to date; meshgen wrote {} and removed {} file(s) listed above: review and stage them (git add {})",
            out.display(),
            report.written.len(),
            report.removed.len(),
            out.display()
        );
        return Err(Error::Findings("output changed".into()));
    }
    Ok(())
}

/// `meshgen check`: drift between a directory and a fresh render, writing nothing.
fn check(input: &InputArgs, out: &Path) -> Result<(), Error> {
    let rendered = input.render()?;
    let plan = emit::directory_plan(&rendered.resources, &rendered.inputs);
    let drift = diff::check_directory(out, &plan)?;
    if drift.is_clean() {
        return Ok(());
    }
    print(&drift.report(out))?;
    let _ = writeln!(
        std::io::stderr().lock(),
        "error: {} is not what meshgen renders ({}); run `meshgen render {} --out {}` to update it",
        out.display(),
        drift.summary(),
        input.profile,
        out.display()
    );
    Err(Error::Findings("drift".into()))
}

/// `meshgen diff OLD NEW`.
fn diff_renders(old: &Path, new: &Path) -> Result<(), Error> {
    let read = |path: &Path| {
        if path == Path::new("-") {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
                .map_err(|e| Error::io("read", "standard input", e))?;
            diff::ObjectSet::from_stream("standard input", &text)
        } else {
            diff::ObjectSet::from_path(path)
        }
    };
    let changes = diff::diff_objects(&read(old)?, &read(new)?);
    if changes.is_empty() {
        return Ok(());
    }
    print(&changes.report())?;
    Err(Error::Findings("renders differ".into()))
}

/// `meshgen argocd generate`: the environment is Argo CD's interface, so read it here.
fn argocd_generate() -> Result<(), Error> {
    let app_dir =
        std::env::current_dir().map_err(|e| Error::io("find", "the working directory", e))?;
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    print(&argocd::generate(&app_dir, &env)?)
}

/// `meshgen render` with no argument reads `./meshgen.yaml`; say so when it is missing.
fn default_profile_hint(argument: &str, error: Error) -> Error {
    match error {
        Error::Input(diagnostic) if argument == "./meshgen.yaml" && diagnostic.message.contains("does not exist") => Error::input(
            Diagnostic::new("no profile given, and ./meshgen.yaml does not exist")
                .help("name a profile file or a built-in profile, e.g. `meshgen render default` (`meshgen profile list` shows them)"),
        ),
        other => other,
    }
}

/// Writes to stdout; a closed pipe (`meshgen render | head`) is not an error.
fn print(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(Error::io("write", "standard output", error)),
    }
}
