//! `meshgen schema [profile|overlay]`: the JSON Schema of meshgen's file formats, for editors.

use super::Outcome;
use super::report::Printer;
use crate::error::Result;

pub const EXAMPLES: &str = "\
Examples:
  meshgen schema > meshgen.schema.json             then, in a profile:
                                                   # yaml-language-server: $schema=./meshgen.schema.json
  meshgen schema overlay > overlay.schema.json";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which format.
    #[arg(value_enum, default_value_t = Format::Profile)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// `kind: MeshProfile` (committed as meshgen.schema.json).
    Profile,
    /// `kind: Overlay` (committed as overlay.schema.json).
    Overlay,
}

pub fn run(args: &Args, printer: &Printer) -> Result<Outcome> {
    printer.stdout(match args.format {
        Format::Profile => crate::profile::schema::schema_text(),
        Format::Overlay => crate::overlay::schema_text(),
    })?;
    Ok(Outcome::Clean)
}
