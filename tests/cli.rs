//! The command line as users run it: outputs, exit codes, the directory contract, and one
//! snapshot per bad input (`tests/fixtures/errors/CASE.yaml` ↔ `tests/snapshots/cli__CASE.snap`).

mod common;

use std::fs;

use common::{Meshgen, Output, fixtures, snapshot_dir};

/// A previous render in a fresh directory, plus a file meshgen does not own.
fn previous_output() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("manifests");
    let run = Meshgen::new()
        .args(["render", "default", "--out"])
        .arg_path(&out)
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    fs::write(out.join("NOTES.md"), "kept\n").unwrap();
    dir
}

trait ArgPath {
    fn arg_path(self, path: &std::path::Path) -> Meshgen;
}

impl ArgPath for Meshgen {
    fn arg_path(self, path: &std::path::Path) -> Meshgen {
        self.args([path])
    }
}

/// Runs `meshgen render errors/CASE.yaml --out <previous render>` from the fixtures directory
/// and checks the contract every bad input shares: exit 2, a positioned message on stderr,
/// nothing on stdout, the output directory untouched.
fn bad_input(case: &str) -> Output {
    let previous = previous_output();
    let out = previous.path().join("manifests");
    let before = snapshot_dir(&out);
    let run = Meshgen::new()
        .current_dir(fixtures())
        .args(["render", &format!("errors/{case}.yaml"), "--out"])
        .arg_path(&out)
        .run();
    assert_eq!(run.code, 2, "{case}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{case}: stdout must stay empty");
    assert!(run.stderr.starts_with("error: "), "{case}: {}", run.stderr);
    assert!(
        run.stderr.contains("errors/"),
        "{case}: the message names the file: {}",
        run.stderr
    );
    assert_eq!(
        before,
        snapshot_dir(&out),
        "{case}: the output directory changed"
    );
    run
}

macro_rules! bad_input_cases {
    ($($name:ident => $case:literal,)*) => {$(
        #[test]
        fn $name() {
            let run = bad_input($case);
            insta::assert_snapshot!($case, run.stderr);
        }
    )*};
}

bad_input_cases! {
    yaml_syntax => "yaml-syntax",
    empty_file => "empty",
    two_documents => "two-documents",
    duplicate_key => "duplicate-key",
    unknown_key => "unknown-key",
    wrong_type => "wrong-type",
    bad_enum => "bad-enum",
    bad_dns_name => "bad-dns-name",
    extends_cycle => "cycle-a",
    missing_parent => "missing-parent",
    unknown_builtin => "unknown-builtin",
    unsupported_version => "unsupported-version",
    crd_digest => "crd-digest",
    wrong_api_version => "wrong-api-version",
    unquoted_number => "unquoted-number",
}

#[test]
fn missing_profile_path() {
    let run = Meshgen::new()
        .current_dir(fixtures())
        .args(["render", "nowhere/meshgen.yaml"])
        .run();
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("missing-profile", run.stderr);
}

#[test]
fn profile_path_is_a_directory() {
    let run = Meshgen::new()
        .current_dir(fixtures())
        .args(["render", "profiles/"])
        .run();
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("profile-is-directory", run.stderr);
}

#[test]
fn no_profile_and_no_meshgen_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let run = Meshgen::new()
        .current_dir(dir.path())
        .args(["render"])
        .run();
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("no-profile", run.stderr);
}

#[test]
fn out_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("manifests");
    fs::write(&file, "not a directory\n").unwrap();
    let run = Meshgen::new()
        .args(["render", "default", "--out"])
        .arg_path(&file)
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is a file, not a directory"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a directory\n");
}

#[test]
fn out_under_a_file_is_unwritable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blocker");
    fs::write(&file, "x").unwrap();
    let run = Meshgen::new()
        .args(["render", "default", "--out"])
        .arg_path(&file.join("manifests"))
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("does not exist") || run.stderr.contains("cannot"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot_dir(dir.path()).len(), 1, "nothing was written");
}

#[test]
fn render_to_stdout_is_one_stream() {
    let run = Meshgen::new().args(["render", "default"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("---\napiVersion: v1\nkind: Namespace\n")
    );
    assert!(run.stdout.ends_with('\n') && !run.stdout.contains('\r'));
    assert!(run.stderr.is_empty());
}

#[test]
fn out_directory_contract() {
    let previous = previous_output();
    let out = previous.path().join("manifests");
    let kustomization = fs::read_to_string(out.join("kustomization.yaml")).unwrap();
    assert!(
        kustomization.contains("- namespaces/namespace_istio-system.yaml"),
        "{kustomization}"
    );
    let lock = fs::read_to_string(out.join("meshgen.lock")).unwrap();
    assert!(lock.contains("name: builtin:default"), "{lock}");
    assert!(lock.contains("path: kustomization.yaml"), "{lock}");

    // Up to date: nothing written, nothing reported.
    let again = Meshgen::new()
        .args(["render", "default", "--out"])
        .arg_path(&out)
        .run();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stderr, "");

    // Switching profile prunes the owned files no longer rendered and keeps foreign ones.
    let stale = out.join("security/peerauthentication_knative-serving_webhook.yaml");
    assert!(stale.exists());
    let permissive = Meshgen::new()
        .args(["render", "permissive", "--out"])
        .arg_path(&out)
        .run();
    assert_eq!(permissive.code, 0, "{}", permissive.stderr);
    assert!(
        !stale.exists(),
        "the STRICT-only webhook exception is pruned"
    );
    assert!(
        permissive.stderr.contains("removed"),
        "{}",
        permissive.stderr
    );
    assert_eq!(fs::read_to_string(out.join("NOTES.md")).unwrap(), "kept\n");
}

#[test]
fn foreign_file_in_the_way_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("manifests");
    fs::create_dir_all(out.join("istiod")).unwrap();
    fs::write(
        out.join("istiod/serviceaccount_istio-system_istiod.yaml"),
        "mine\n",
    )
    .unwrap();
    let run = Meshgen::new()
        .args(["render", "default", "--out"])
        .arg_path(&out)
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("meshgen does not own it"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot_dir(&out).len(), 1);
}

#[test]
fn broken_pipe_is_success() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshgen"))
        .args(["render", "default"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is closed here, before meshgen finished writing.
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty());
}

#[test]
fn profile_list_and_show() {
    let list = Meshgen::new().args(["profile", "list"]).run();
    assert_eq!(list.code, 0);
    insta::assert_snapshot!("profile-list", list.stdout);
    let show = Meshgen::new().args(["profile", "show", "ambient"]).run();
    assert_eq!(show.code, 0, "{}", show.stderr);
    insta::assert_snapshot!("profile-show-ambient", show.stdout);
    // A fully merged profile is itself a valid profile that renders the same set.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("meshgen.yaml"), &show.stdout).unwrap();
    let from_show = Meshgen::new()
        .current_dir(dir.path())
        .args(["render"])
        .run();
    let from_builtin = Meshgen::new().args(["render", "ambient"]).run();
    assert_eq!(from_show.code, 0, "{}", from_show.stderr);
    assert_eq!(from_show.stdout, from_builtin.stdout);
}

#[test]
fn version_and_usage_errors() {
    let version = Meshgen::new().args(["--version"]).run();
    assert_eq!(version.code, 0);
    assert_eq!(
        version.stdout,
        format!("meshgen {}\n", env!("CARGO_PKG_VERSION"))
    );
    let usage = Meshgen::new().args(["render", "--bogus"]).run();
    assert_eq!(usage.code, 2);
}

#[test]
fn completions() {
    let run = Meshgen::new().args(["completions", "bash"]).run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("meshgen"));
}
