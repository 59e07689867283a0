//! The `meshgen` command line: parses arguments, calls the library, prints, and maps outcomes to
//! exit codes (0 ok, 1 findings, 2 bad input, usage or I/O). Nothing here decides anything
//! about the mesh.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use meshgen::error::{Diagnostic, Error};
use meshgen::profile::ProfileSource;
use meshgen::{emit, paths::ProjectRoot, pipeline, profile, schema, yaml};

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
        /// A profile file (contains `/` or ends in .yaml/.yml) or a built-in profile name.
        #[arg(default_value = "./meshgen.yaml")]
        profile: String,
        /// Write one file per object, a kustomization.yaml and meshgen.lock into DIR.
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Directory every input must live in.
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
    },
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
        Command::Render { profile, out, root } => {
            let root = ProjectRoot::new(&root)?;
            let source = ProfileSource::parse(&profile);
            let rendered =
                pipeline::render(&source, &root).map_err(|e| default_profile_hint(&profile, e))?;
            match out {
                None => print(&emit::stream(&rendered.resources)),
                Some(out) => {
                    let plan = emit::directory_plan(&rendered.resources, &rendered.inputs);
                    let report = emit::write_directory(&out, &plan)?;
                    let mut stderr = std::io::stderr().lock();
                    for path in &report.written {
                        let _ = writeln!(stderr, "wrote {}", out.join(path).display());
                    }
                    for path in &report.removed {
                        let _ = writeln!(stderr, "removed {}", out.join(path).display());
                    }
                    Ok(())
                }
            }
        }
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
