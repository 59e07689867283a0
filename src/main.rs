//! The `meshgen` command line: parses arguments, calls the library, prints, and maps outcomes to
//! exit codes (0 ok, 1 findings, 2 bad input, usage or I/O). Nothing here decides anything
//! about the mesh.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use meshgen::error::{Diagnostic, Error};
use meshgen::profile::ProfileSource;
use meshgen::{argocd, diff, emit, lint, paths::ProjectRoot, pipeline, profile, schema, yaml};

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
    /// Run the analyzers on a profile's render, or on any manifests (--manifests).
    ///
    /// Exit 0 when there are no errors, 1 when there are, 2 on bad input.
    Lint(LintArgs),
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

#[derive(Debug, clap::Args)]
struct LintArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Lint these manifests (directories, YAML files, or - for stdin) instead of a profile's
    /// render, whoever produced them.
    #[arg(long, value_name = "PATH", num_args = 1.., conflicts_with_all = ["profile", "overlays"])]
    manifests: Vec<PathBuf>,
    /// With --manifests: acknowledge an analyzer code, as `spec.lint.ignore` does in a profile.
    #[arg(long, value_name = "CODE=REASON", requires = "manifests")]
    ignore: Vec<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
    /// Explain an analyzer code (why it matters, how to fix it) and exit.
    #[arg(long, value_name = "CODE", exclusive = true)]
    explain: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LintFormat {
    Text,
    Json,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
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
            match &error {
                Error::Findings(_) => {}
                Error::Lint(report) => {
                    let _ = write!(std::io::stderr().lock(), "{report}");
                }
                _ => {
                    let _ = writeln!(std::io::stderr().lock(), "error: {error}");
                }
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
        Command::Lint(args) => lint(&args),
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
    warn(&rendered.lint);
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
    let changes = diff::diff_objects(&read_manifests(old)?, &read_manifests(new)?);
    if changes.is_empty() {
        return Ok(());
    }
    print(&changes.report())?;
    Err(Error::Findings("renders differ".into()))
}

/// Prints analyzer warnings of a render that is going ahead.
fn warn(report: &lint::Report) {
    if report.count(lint::Severity::Warning) > 0 {
        let warnings = lint::Report {
            findings: report.findings.clone(),
            ..Default::default()
        };
        let _ = write!(std::io::stderr().lock(), "{}", lint::to_text(&warnings));
    }
}

/// `meshgen lint`: the report on stdout; exit 1 when it holds errors.
fn lint(args: &LintArgs) -> Result<(), Error> {
    if let Some(code) = &args.explain {
        return match lint::explain(code) {
            Some(text) => print(&text),
            None => Err(Error::input(
                Diagnostic::new(format!("there is no analyzer `{code}`"))
                    .help("codes run from MG0001; `docs/analyzers.md` lists them all"),
            )),
        };
    }
    let (report, source) = if args.manifests.is_empty() {
        let root = ProjectRoot::new(&args.input.root)?;
        let source = ProfileSource::parse(&args.input.profile);
        let loaded = pipeline::load_profile(&source, &root)
            .map_err(|e| default_profile_hint(&args.input.profile, e))?;
        let rendered = pipeline::analyze_profile(loaded, &root, &args.input.overlays)?;
        (rendered.lint, args.input.profile.clone())
    } else {
        let mut objects = Vec::new();
        for path in &args.manifests {
            objects.extend(read_manifests(path)?.objects.into_values());
        }
        let ignore = args
            .ignore
            .iter()
            .map(|entry| parse_ignore(entry))
            .collect::<Result<_, _>>()?;
        let mut report = lint::lint(&objects, &lint::LintOptions { ignore });
        // Typed validation joins the report here: these manifests are not meshgen's to reject.
        report.findings.extend(
            lint::check_types(&objects)
                .iter()
                .map(lint::TypeError::to_finding),
        );
        report.findings.sort();
        let shown = args
            .manifests
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ");
        (report, shown)
    };
    print(&match args.format {
        LintFormat::Text => lint::to_text(&report),
        LintFormat::Json => lint::to_json(&report),
        LintFormat::Sarif => lint::to_sarif(&report, Some(&source)),
    })?;
    if report.has_errors() {
        return Err(Error::Findings("lint errors".into()));
    }
    Ok(())
}

/// `CODE=REASON` of `--ignore`.
fn parse_ignore(entry: &str) -> Result<lint::Ignore, Error> {
    match entry.split_once('=') {
        Some((code, reason)) if lint::rule(code).is_some() && !reason.trim().is_empty() => {
            Ok(lint::Ignore {
                code: code.to_owned(),
                reason: reason.to_owned(),
            })
        }
        _ => Err(Error::input(
            Diagnostic::new(format!(
                "--ignore `{entry}` is not CODE=REASON with a known analyzer code"
            ))
            .help("e.g. --ignore 'MG0004=evaluating ambient on purpose'; a reason is required"),
        )),
    }
}

/// A directory, a YAML file, or `-` for standard input.
fn read_manifests(path: &Path) -> Result<diff::ObjectSet, Error> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
            .map_err(|e| Error::io("read", "standard input", e))?;
        diff::ObjectSet::from_stream("standard input", &text)
    } else {
        diff::ObjectSet::from_path(path)
    }
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
