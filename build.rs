//! Embeds `src/templates/`, the built-in profiles in `profiles/` and the CRD schemas in
//! `src/validate/crds/` into the binary: generates sorted tables of (path, contents), so meshgen
//! needs no file system at run time and a new template or built-in profile needs no code change.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read embedded dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        // A directory's mtime changes when a file is added or removed inside it.
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// `pub static NAME: &[(&str, &str)]` of every file under `root` whose name ends in `suffix`,
/// keyed by the path relative to `root` with the suffix removed when `strip` is set.
fn table(name: &str, doc: &str, root: &Path, suffix: &str, strip: bool) -> String {
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(root, &mut files);
    let mut table = format!("/// {doc}\npub static {name}: &[(&str, &str)] = &[\n");
    for file in files {
        let relative = file
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        let Some(stem) = relative.strip_suffix(suffix) else {
            continue;
        };
        let key = if strip { stem } else { relative.as_str() };
        writeln!(
            table,
            "    ({key:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    table.push_str("];\n");
    table
}

/// The git revision the binary is built from, for `meshgen --version`: `MESHGEN_GIT_REVISION`
/// when set (builds from a tarball), else `git rev-parse` of the checkout, else `unknown`. Only the
/// commit is recorded, never a "dirty" flag, so a worktree and a clean clone of one commit build
/// the same bytes.
fn git_revision(manifest_dir: &Path) -> String {
    println!("cargo:rerun-if-env-changed=MESHGEN_GIT_REVISION");
    if let Ok(revision) = std::env::var("MESHGEN_GIT_REVISION") {
        return revision;
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(manifest_dir)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .map(|text| text.trim().to_owned())
    };
    // Rebuild when HEAD moves: HEAD itself (a branch switch) and the ref it names (a commit),
    // which is a loose file, or a line of `packed-refs`, or both. Only files that exist are
    // watched: cargo reruns a build script on every build while a watched path is missing
    // (a repository without `packed-refs` rebuilt meshgen every time).
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let common = git(&["rev-parse", "--git-common-dir"]).unwrap_or(git_dir.clone());
            let common = manifest_dir.join(common);
            for path in [common.join(&reference), common.join("packed-refs")] {
                if path.exists() {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
            }
        }
    }
    git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned())
}

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let manifest_dir = Path::new(&manifest_dir);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    println!(
        "cargo:rustc-env=MESHGEN_GIT_REVISION={}",
        git_revision(manifest_dir)
    );
    let templates = table(
        "TEMPLATES",
        "Every file under `src/templates/`, by relative path, sorted.",
        &manifest_dir.join("src/templates"),
        "",
        false,
    );
    std::fs::write(out.join("templates.rs"), templates).expect("write templates table");
    let profiles = table(
        "PROFILES",
        "The built-in profiles `profiles/NAME.yaml`, by name, sorted.",
        &manifest_dir.join("profiles"),
        ".yaml",
        true,
    );
    std::fs::write(out.join("profiles.rs"), profiles).expect("write profiles table");
    let crd_schemas = table(
        "CRD_SCHEMAS",
        "The structural schemas of the Istio and Gateway API CRDs, by `<group>_<Kind>`.",
        &manifest_dir.join("src/validate/crds"),
        ".json",
        true,
    );
    std::fs::write(out.join("crd_schemas.rs"), crd_schemas).expect("write CRD schema table");
}
