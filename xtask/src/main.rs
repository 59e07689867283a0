//! `cargo xtask generate [--check] [--shared DIR]`: writes (or, with `--check`, compares) every
//! file derived from the code — the list is `meshgen::generated`. `--shared` names the reference
//! data directory holding the upstream CRDs the embedded CRD schemas are made from (default
//! `../shared`, skipped with a note when absent).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use meshgen::generated::{self, Artifact};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("generate") {
        eprintln!("usage: cargo xtask generate [--check] [--shared DIR]");
        return ExitCode::from(2);
    }
    let check = args.iter().any(|a| a == "--check");
    let shared = args
        .iter()
        .position(|a| a == "--shared")
        .and_then(|i| args.get(i + 1))
        .map_or_else(|| PathBuf::from("../shared"), PathBuf::from);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository");
    let mut artifacts = generated::artifacts();
    let mut managed_dirs = vec![PathBuf::from("docs/man")];
    match generated::crd_schemas(&root.join(&shared)) {
        Some(Ok(schemas)) => {
            artifacts.extend(schemas);
            managed_dirs.push(PathBuf::from(generated::CRD_SCHEMA_DIR));
        }
        Some(Err(error)) => {
            eprintln!("error: cannot read the upstream CRDs: {error}");
            return ExitCode::from(2);
        }
        None => eprintln!(
            "note: {} has no upstream CRDs; the embedded CRD schemas are left as they are",
            shared.display()
        ),
    }
    let stale = stale_files(root, &artifacts, &managed_dirs);
    if check {
        if stale.is_empty() {
            return ExitCode::SUCCESS;
        }
        for path in &stale {
            eprintln!("stale: {}", path.display());
        }
        eprintln!("error: generated files are out of date; run `cargo xtask generate`");
        return ExitCode::from(1);
    }
    for path in &stale {
        let full = root.join(path);
        match artifacts.iter().find(|a| &a.path == path) {
            Some(artifact) => {
                if let Some(dir) = full.parent() {
                    std::fs::create_dir_all(dir).expect("create directory");
                }
                std::fs::write(&full, &artifact.contents).expect("write generated file");
                eprintln!("wrote {}", path.display());
            }
            None => {
                std::fs::remove_file(&full).expect("remove stale generated file");
                eprintln!("removed {}", path.display());
            }
        }
    }
    ExitCode::SUCCESS
}

/// Artifacts whose file differs, plus files in a managed directory no artifact names.
fn stale_files(root: &Path, artifacts: &[Artifact], managed_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut stale: Vec<PathBuf> = artifacts
        .iter()
        .filter(|a| std::fs::read(root.join(&a.path)).ok().as_deref() != Some(&a.contents[..]))
        .map(|a| a.path.clone())
        .collect();
    for dir in managed_dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut extra: Vec<PathBuf> = entries
            .flatten()
            .map(|e| dir.join(e.file_name()))
            .filter(|path| !artifacts.iter().any(|a| &a.path == path))
            .collect();
        extra.sort();
        stale.extend(extra);
    }
    stale
}
