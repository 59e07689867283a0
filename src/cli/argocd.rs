//! `meshgen argocd generate`: the environment is Argo CD's interface, so it is read here and
//! handed to the library whole (variables that are not UTF-8 included: the library refuses
//! them rather than losing them).

use super::Outcome;
use super::report::Printer;
use crate::argocd;
use crate::error::{Error, Result};

pub const EXAMPLES: &str = "\
Examples (as argocd-cmp-server runs it, in the app directory of the repository copy):
  cd clusters/prod
  env ARGOCD_APP_SOURCE_PATH=clusters/prod \\
      ARGOCD_APP_PARAMETERS='[{\"name\":\"mtls-mode\",\"string\":\"PERMISSIVE\"}]' \\
      meshgen argocd generate";

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Render for Argo CD: run by argocd-cmp-server in the app directory.
    ///
    /// Reads ARGOCD_APP_PARAMETERS (profile, overlays, mtls-mode, dataplane-mode, gateway-class)
    /// and ARGOCD_ENV_MESHGEN_* (PROFILE, OVERLAYS, ...); prints only YAML; writes nothing.
    Generate,
}

pub fn run(command: &Command, printer: &Printer) -> Result<Outcome> {
    match command {
        Command::Generate => {
            let app_dir = std::env::current_dir()
                .map_err(|e| Error::io("find", "the working directory", e))?;
            let env: Vec<_> = std::env::vars_os().collect();
            printer.stdout(&argocd::generate(&app_dir, &env)?)?;
            Ok(Outcome::Clean)
        }
    }
}
