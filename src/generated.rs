//! Every committed file derived from the code, in one list: the profile and overlay JSON
//! Schemas, the analyzer catalogue, the man pages, and the structural CRD schemas meshgen embeds
//! (derived from the upstream CRDs, when they are at hand). `cargo xtask generate` writes them;
//! `cargo xtask generate --check` and the test suite fail when one has drifted from its source.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::Cli;

/// One derived file: where it lives (relative to the repository) and what it must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: PathBuf,
    pub contents: Vec<u8>,
}

/// Where the upstream CRDs the embedded schemas come from live, relative to a directory holding
/// the `shared/` reference data.
pub const UPSTREAM_CRDS: &[&str] = &[
    "upstream/crds/istio-1.30.3-crd-all.gen.yaml",
    "upstream/crds/gateway-api-v1.5.1-standard-install.yaml",
];

/// The directory of the embedded CRD schemas.
pub const CRD_SCHEMA_DIR: &str = "src/validate/crds";

/// Every derived file that can be made from the code alone.
pub fn artifacts() -> Vec<Artifact> {
    let mut out = vec![
        Artifact {
            path: "meshgen.schema.json".into(),
            contents: crate::profile::schema::generate().into_bytes(),
        },
        Artifact {
            path: "overlay.schema.json".into(),
            contents: crate::overlay::file::generate_schema().into_bytes(),
        },
        Artifact {
            path: "docs/analyzers.md".into(),
            contents: crate::lint::catalogue_markdown().into_bytes(),
        },
    ];
    out.extend(man_pages());
    out
}

/// The embedded CRD schemas, from the upstream CRD files under `shared` (the reference data
/// directory). `None` when the files are not there.
pub fn crd_schemas(shared: &Path) -> Option<Result<Vec<Artifact>, String>> {
    let mut crds = Vec::new();
    for file in UPSTREAM_CRDS {
        let path = shared.join(file);
        let text = std::fs::read_to_string(&path).ok()?;
        match crate::core::yaml::parse_stream(&text) {
            Ok(documents) => crds.extend(documents.into_iter().map(|(value, _)| value)),
            Err(error) => return Some(Err(format!("{}: {error}", path.display()))),
        }
    }
    Some(Ok(crate::validate::custom::embedded_files(&crds)
        .into_iter()
        .map(|(name, contents)| Artifact {
            path: Path::new(CRD_SCHEMA_DIR).join(name),
            contents: contents.into_bytes(),
        })
        .collect()))
}

/// `docs/man/meshgen.1` and one page per subcommand (`meshgen-render.1`, ...).
fn man_pages() -> Vec<Artifact> {
    // The committed pages must not change with every commit: their VERSION section names the
    // release and the upstream pins, not the git revision `--version` adds.
    let command = Cli::command().long_version(stable_version());
    let mut pages = vec![man_page(&command, "meshgen")];
    for sub in command.get_subcommands() {
        let name = format!("meshgen-{}", sub.get_name());
        pages.push(man_page(&sub.clone().name(name.clone()), &name));
        for nested in sub.get_subcommands() {
            let name = format!("meshgen-{}-{}", sub.get_name(), nested.get_name());
            pages.push(man_page(&nested.clone().name(name.clone()), &name));
        }
    }
    pages
}

fn stable_version() -> String {
    crate::cli::long_version().replacen(&format!(" (git {})", env!("MESHGEN_GIT_REVISION")), "", 1)
}

fn man_page(command: &clap::Command, name: &str) -> Artifact {
    let mut contents = Vec::new();
    clap_mangen::Man::new(command.clone())
        .date("")
        .render(&mut contents)
        .expect("writing to a Vec cannot fail");
    Artifact {
        path: PathBuf::from(format!("docs/man/{name}.1")),
        contents,
    }
}
