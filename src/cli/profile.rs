//! `meshgen profile list` and `meshgen profile show`.

use std::path::PathBuf;

use super::Outcome;
use super::report::Printer;
use crate::core::yaml;
use crate::error::Result;
use crate::pipeline;
use crate::profile::{ProfileSource, builtin};

pub const EXAMPLES: &str = "\
Examples:
  meshgen profile list                             the built-in profiles
  meshgen profile show default                     a built-in profile with every default filled in
  meshgen profile show meshgen.yaml                your profile merged with its `extends` chain";

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the built-in profiles.
    List,
    /// Print a profile fully merged, with every default filled in.
    Show {
        /// A profile file or a built-in profile name.
        #[arg(value_parser = super::ProfileArg, value_hint = clap::ValueHint::FilePath)]
        profile: String,
        /// Directory every input must live in [default: the repository holding the profile,
        /// else the working directory if the profile is below it, else the profile's
        /// directory; the working directory for a built-in profile].
        #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
        root: Option<PathBuf>,
    },
}

pub fn run(command: &Command, printer: &Printer) -> Result<Outcome> {
    match command {
        Command::List => {
            let mut text = String::new();
            for (name, source) in builtin::all() {
                text.push_str(&format!("{name:<12} {}\n", builtin::description(source)));
            }
            printer.stdout(&text)?;
        }
        Command::Show { profile, root } => {
            let root = super::project_root(root.as_deref(), profile)?;
            let loaded = pipeline::load_profile(&ProfileSource::parse(profile), &root)?;
            let mut shown = loaded.profile;
            shown.extends = None;
            let value = serde_json::to_value(&shown).expect("profiles serialise");
            printer.stdout(&yaml::to_yaml(&value))?;
        }
    }
    Ok(Outcome::Clean)
}
