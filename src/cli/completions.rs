//! `meshgen completions SHELL`: a completion script generated from the clap definitions.

use clap::CommandFactory;

use super::report::Printer;
use super::{Cli, Outcome};
use crate::error::Result;

pub const EXAMPLES: &str = "\
Examples:
  meshgen completions bash > ~/.local/share/bash-completion/completions/meshgen
  meshgen completions zsh > ~/.zfunc/_meshgen      (with fpath+=~/.zfunc before compinit)
  meshgen completions fish > ~/.config/fish/completions/meshgen.fish";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(args: &Args, printer: &Printer) -> Result<Outcome> {
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "meshgen", &mut buffer);
    printer.stdout(&String::from_utf8_lossy(&buffer))?;
    Ok(Outcome::Clean)
}
