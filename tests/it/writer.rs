//! The output writer (`render --out DIR`) never damages a repository: which `--out` it refuses
//! (the working directory, a repository root, a `.git`, a symbolic link), that files meshgen
//! does not own keep their bytes, inode and mtime, that a tampered lock never leads outside
//! `DIR`, unique file names for objects that differ only in API group, and — the crash test —
//! that a SIGKILL between any two file-system operations of a render leaves the old render or
//! the new one once recovered, with every user file intact, and that concurrent renders into one
//! directory never mix.
//!
//! The crash test stops meshgen at a chosen step with `MESHGEN_TEST_PAUSE_AT=N` (see
//! `meshgen::emit::dir`) and kills it with SIGKILL there, so every crash point is reproducible;
//! it runs meshgen with `std::process::Command` rather than [`Test`], which runs to completion.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use meshgen::emit;

use crate::harness::Test;

const HELP_DEDICATED: &str = "give --out a directory of its own";

// ------------------------------------------------------------------------------------------
// Which --out is refused.

#[test]
fn out_that_is_or_holds_the_repository_is_refused() {
    let repo = Test::new()
        .write(".git/HEAD", "ref: refs/heads/main\n")
        .write("meshgen.yaml", "# not read: the built-in profile is\n");
    let pwd = repo.path().to_owned();
    let repo = repo
        .args(["render", "default", "--out", "."])
        .status(2)
        .stderr_contains("--out `.` is the root of the repository you are working in")
        .stderr_contains(HELP_DEDICATED)
        .expect_unchanged(".")
        .run();
    let repo = Test::with_tempdir(repo.tempdir)
        .arg("render")
        .arg("default")
        .arg("--out")
        .arg(&pwd)
        .status(2)
        .stderr_contains("is the root of the repository you are working in")
        .expect_unchanged(".")
        .run();
    // `..` from a subdirectory, and `./` spelled differently.
    let repo = Test::with_tempdir(repo.tempdir)
        .current_dir("clusters/prod")
        .args(["render", "default", "--out", ".."])
        .status(2)
        .stderr_contains("contains the working directory")
        .expect_unchanged(".")
        .run();
    let repo = Test::with_tempdir(repo.tempdir)
        .current_dir("clusters/prod")
        .args(["render", "default", "--out", "../../"])
        .status(2)
        .stderr_contains("is the root of the repository you are working in")
        .expect_unchanged(".")
        .run();
    let repo = Test::with_tempdir(repo.tempdir)
        .args(["render", "default", "--out", ".git/manifests"])
        .status(2)
        .stderr_contains("is inside the Git directory")
        .expect_unchanged(".")
        .run();
    // The project root, when it is not the working directory.
    Test::with_tempdir(repo.tempdir)
        .write("project/keep.txt", "kept\n")
        .args(["render", "default", "--root", "project", "--out", "project"])
        .status(2)
        .stderr_contains("is the project root")
        .expect_unchanged(".")
        .run();
    // Outside any repository, the working directory itself.
    Test::new()
        .args(["render", "default", "--out", "./"])
        .status(2)
        .stderr_contains("--out `./` is the working directory")
        .expect_unchanged(".")
        .run();
}

#[test]
fn out_holding_a_nested_repository_is_refused() {
    Test::new()
        .write(".git/HEAD", "ref: refs/heads/main\n")
        .write("vendor/lib/.git", "gitdir: ../../.git/modules/lib\n")
        .write("vendor/lib/lib.go", "package lib\n")
        .args(["render", "default", "--out", "vendor"])
        .status(2)
        .stderr_contains("contains a Git repository")
        .stderr_contains("vendor/lib/.git")
        .expect_unchanged(".")
        .run();
}

#[test]
fn a_subdirectory_of_the_repository_is_the_normal_case_and_missing_parents_are_created() {
    let run = Test::new()
        .write(".git/HEAD", "ref: refs/heads/main\n")
        .args(["render", "default", "--out", "manifests/"])
        .expect_unchanged(".git")
        .run();
    assert!(run.path().join("manifests/meshgen.lock").is_file());
    let run = Test::with_tempdir(run.tempdir)
        .current_dir("clusters/prod")
        .args([
            "render",
            "default",
            "--out",
            "../../deploy/clusters/prod/manifests",
        ])
        .run();
    assert!(
        run.path()
            .join("deploy/clusters/prod/manifests/kustomization.yaml")
            .is_file(),
        "the missing parents were created"
    );
    Test::with_tempdir(run.tempdir)
        .args([
            "check",
            "default",
            "--out",
            "deploy/clusters/prod/manifests",
        ])
        .stdout("")
        .run();
}

#[test]
fn symlinked_out_is_refused_never_replaced() {
    // A trailing slash or `/.` must not make the link look like a directory.
    for spelling in ["link", "link/", "link/."] {
        let run = Test::new()
            .args(["render", "default", "--out", "real"])
            .run();
        std::os::unix::fs::symlink("real", run.path().join("link")).unwrap();
        let run = Test::with_tempdir(run.tempdir)
            .args(["render", "permissive", "--out", spelling])
            .status(2)
            .stderr_contains(format!("--out `{spelling}` is a symbolic link (to `real`)"))
            .expect_unchanged(".")
            .run();
        assert!(
            fs::symlink_metadata(run.path().join("link"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        Test::with_tempdir(run.tempdir)
            .args(["check", "permissive", "--out", spelling])
            .status(2)
            .stderr_contains("is a symbolic link")
            .run();
    }
}

#[test]
fn a_link_inside_out_is_never_followed() {
    // A component directory replaced by a link to somewhere else.
    let run = Test::new()
        .args(["render", "default", "--out", "m"])
        .write("elsewhere/keep.yaml", "mine\n")
        .run();
    fs::rename(run.path().join("m/istiod"), run.path().join("istiod-moved")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", run.path().join("m/istiod")).unwrap();
    let run = Test::with_tempdir(run.tempdir)
        .args(["render", "default", "--out", "m"])
        .status(2)
        .stderr_contains("goes through `m/istiod`, which is a symbolic link")
        .expect_unchanged(".")
        .run();
    Test::with_tempdir(run.tempdir)
        .args(["check", "default", "--out", "m"])
        .status(1)
        .stdout_contains("conflict: m/istiod/deployment_istio-system_istiod.yaml")
        .expect_unchanged(".")
        .run();
}

// ------------------------------------------------------------------------------------------
// Foreign files and the lock.

/// Bytes, inode and mtime of a file, or a link's target.
#[derive(Debug, PartialEq, Eq)]
struct Identity {
    bytes: Vec<u8>,
    inode: u64,
    mtime: (i64, i64),
}

fn identity(path: &Path) -> Identity {
    let metadata = fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let bytes = if metadata.file_type().is_symlink() {
        fs::read_link(path)
            .unwrap()
            .into_os_string()
            .into_encoded_bytes()
    } else {
        fs::read(path).unwrap()
    };
    Identity {
        bytes,
        inode: metadata.ino(),
        mtime: (metadata.mtime(), metadata.mtime_nsec()),
    }
}

/// Files of the user's in and beside an output directory `m`, with an old mtime.
const USER_FILES: &[&str] = &[
    "NOTES.md",
    "m/NOTES.md",
    "m/istiod/README.md",
    "m/security/why.md",
    "m/docs/guide.md",
];

fn add_user_files(root: &Path) -> BTreeMap<String, Identity> {
    add_user_files_to(root, USER_FILES)
}

/// `add_user_files` with only `paths` (and the link when `m` is among them).
fn add_user_files_to(root: &Path, paths: &[&str]) -> BTreeMap<String, Identity> {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for relative in paths {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, format!("the user's {relative}\n")).unwrap();
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let mut files: BTreeMap<String, Identity> = paths
        .iter()
        .map(|path| (path.to_string(), identity(&root.join(path))))
        .collect();
    if paths.len() > 1 {
        std::os::unix::fs::symlink("NOTES.md", root.join("m/notes-link")).unwrap();
        files.insert("m/notes-link".into(), identity(&root.join("m/notes-link")));
    }
    files
}

fn assert_user_files(root: &Path, before: &BTreeMap<String, Identity>, context: &str) {
    for (path, identity_before) in before {
        assert_eq!(
            &identity(&root.join(path)),
            identity_before,
            "{context}: the user's {path} changed"
        );
    }
}

#[test]
fn foreign_files_keep_their_bytes_inode_and_mtime() {
    let run = Test::new().args(["render", "default", "--out", "m"]).run();
    let user = add_user_files(run.path());
    let unchanged = "m/istiod/deployment_istio-system_istiod.yaml";
    let owned_before = identity(&run.path().join(unchanged));
    // permissive changes 4 files and removes 3, default brings them back.
    let run = Test::with_tempdir(run.tempdir)
        .args(["render", "permissive", "--out", "m"])
        .stderr_contains("wrote 3 and removed 4 file(s) in m")
        .run();
    assert_user_files(run.path(), &user, "after permissive");
    let run = Test::with_tempdir(run.tempdir)
        .args(["render", "default", "--out", "m"])
        .run();
    assert_user_files(run.path(), &user, "after default");
    assert_eq!(
        identity(&run.path().join(unchanged)),
        owned_before,
        "a file whose contents are right is not rewritten either"
    );
    assert_no_reserved_names(&run.path().join("m"));
}

/// Adds `paths` to the `files` the lock of `dir` lists.
fn tamper_lock(dir: &Path, paths: &[&str]) {
    let lock = dir.join("meshgen.lock");
    let text = fs::read_to_string(&lock).unwrap();
    let extra: String = paths
        .iter()
        .map(|path| format!("- path: {path}\n  sha256: \"0\"\n"))
        .collect();
    fs::write(&lock, text.replace("files:\n", &format!("files:\n{extra}"))).unwrap();
}

#[test]
fn a_tampered_lock_never_leads_outside_the_directory() {
    let setup = || {
        let run = Test::new()
            .args(["render", "default", "--out", "m"])
            .write("outside/secret.yaml", "secret\n")
            .run();
        std::os::unix::fs::symlink("../outside", run.path().join("m/escape")).unwrap();
        run.tempdir
    };
    // A path through a link inside the directory (render would delete it: no longer rendered).
    let dir = setup();
    tamper_lock(&dir.path().join("m"), &["escape/secret.yaml"]);
    Test::with_tempdir(dir)
        .args(["render", "default", "--out", "m"])
        .status(2)
        .stderr_contains("`m/escape/secret.yaml` goes through `m/escape`, which is a symbolic link")
        .expect_unchanged("outside")
        .expect_unchanged("m")
        .run();
    // A planned file replaced by a link to a file outside.
    let dir = setup();
    let planned = dir
        .path()
        .join("m/istiod/deployment_istio-system_istiod.yaml");
    fs::remove_file(&planned).unwrap();
    std::os::unix::fs::symlink("../../outside/secret.yaml", &planned).unwrap();
    Test::with_tempdir(dir)
        .args(["render", "default", "--out", "m"])
        .status(2)
        .stderr_contains("is a symbolic link, not a file meshgen wrote")
        .expect_unchanged("outside")
        .expect_unchanged("m")
        .run();
    // Paths outside the directory, and the writer's own reserved names.
    for path in [
        "../outside/secret.yaml",
        "/etc/passwd",
        ".meshgen-commit",
        "istiod/.meshgen-new.x",
    ] {
        let dir = setup();
        tamper_lock(&dir.path().join("m"), &[path]);
        Test::with_tempdir(dir)
            .args(["render", "default", "--out", "m"])
            .status(2)
            .stderr_contains("is not a meshgen lock file")
            .stderr_contains("is not a plain relative path inside the directory")
            .expect_unchanged("outside")
            .expect_unchanged("m")
            .run();
    }
    // The lock itself a link.
    let dir = setup();
    fs::rename(
        dir.path().join("m/meshgen.lock"),
        dir.path().join("outside/meshgen.lock"),
    )
    .unwrap();
    std::os::unix::fs::symlink("../outside/meshgen.lock", dir.path().join("m/meshgen.lock"))
        .unwrap();
    Test::with_tempdir(dir)
        .args(["render", "default", "--out", "m"])
        .status(2)
        .stderr_contains("is not a meshgen lock file: it is a symbolic link")
        .expect_unchanged("outside")
        .expect_unchanged("m")
        .run();
}

// ------------------------------------------------------------------------------------------
// File names.

const TWO_GATEWAYS: &str = "\
apiVersion: meshgen.dev/v1alpha1
kind: Overlay
resources:
- apiVersion: networking.istio.io/v1
  kind: Gateway
  metadata: {name: edge, namespace: istio-system}
  spec:
    selector: {istio: ingressgateway}
    servers:
    - port: {number: 80, name: http, protocol: HTTP}
      hosts: [\"*\"]
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata: {name: edge, namespace: istio-system}
  spec:
    gatewayClassName: istio
    listeners:
    - {name: http, port: 80, protocol: HTTP}
- apiVersion: v1
  kind: Service
  metadata: {name: hello, namespace: istio-system}
  spec:
    ports:
    - {name: http, port: 80}
- apiVersion: serving.knative.dev/v1
  kind: Service
  metadata: {name: hello, namespace: istio-system}
  spec:
    template:
      spec:
        containers:
        - image: registry.example/hello@sha256:0000000000000000000000000000000000000000000000000000000000000000
";

#[test]
fn objects_that_differ_only_in_group_get_a_file_each() {
    let run = Test::new()
        .write("two.yaml", TWO_GATEWAYS)
        .args([
            "render",
            "default",
            "--overlay",
            "two.yaml",
            "--out",
            "m",
            "-v",
        ])
        .stderr_contains("wrote m/overlay/gateway.networking.istio.io_istio-system_edge.yaml\n")
        .stderr_contains(
            "wrote m/overlay/gateway.gateway.networking.k8s.io_istio-system_edge.yaml\n",
        )
        // The core Service keeps its plain name; only the other group is spelled out.
        .stderr_contains("wrote m/overlay/service_istio-system_hello.yaml\n")
        .stderr_contains("wrote m/overlay/service.serving.knative.dev_istio-system_hello.yaml\n")
        .run();
    let istio = fs::read_to_string(
        run.path()
            .join("m/overlay/gateway.networking.istio.io_istio-system_edge.yaml"),
    )
    .unwrap();
    assert!(
        istio.starts_with("apiVersion: networking.istio.io/v1\n"),
        "{istio}"
    );
    let kustomization = fs::read_to_string(run.path().join("m/kustomization.yaml")).unwrap();
    assert!(
        kustomization
            .contains("- overlay/gateway.gateway.networking.k8s.io_istio-system_edge.yaml\n"),
        "{kustomization}"
    );
    // Every other object keeps the name it always had.
    assert!(
        kustomization.contains("- gateways/gateway_istio-system_knative-gateway.yaml\n"),
        "{kustomization}"
    );
    // Before, the second Gateway overwrote the first and `check` reported drift forever.
    Test::with_tempdir(run.tempdir)
        .args(["check", "default", "--overlay", "two.yaml", "--out", "m"])
        .stdout("")
        .run();
}

#[test]
fn two_objects_that_would_share_a_file_are_an_error() {
    let overlay = "\
apiVersion: meshgen.dev/v1alpha1
kind: Overlay
resources:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: Reader}
  rules: []
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: reader}
  rules: []
";
    Test::new()
        .write("case.yaml", overlay)
        .args(["render", "default", "--overlay", "case.yaml", "--out", "m"])
        .status(2)
        .stderr_contains("would be written to the same file `overlay/clusterrole_Reader.yaml`")
        .stderr_contains("differs only in letter case")
        .expect_absent("m")
        .run();
}

// ------------------------------------------------------------------------------------------
// Interrupted renders.

fn meshgen(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meshgen"));
    command
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// How a run with `MESHGEN_TEST_PAUSE_AT` ended.
#[derive(Debug, PartialEq, Eq)]
enum Stopped {
    /// Killed (SIGKILL) before this step.
    Killed,
    /// It finished before reaching the step; its stderr.
    Finished(String),
}

/// Runs meshgen in `dir` and SIGKILLs it before file-system step `step` of the run.
fn kill_at(dir: &Path, args: &[&str], step: u64) -> Stopped {
    let mut child = meshgen(dir, args)
        .env("MESHGEN_TEST_PAUSE_AT", step.to_string())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut paused = false;
    let mut line = String::new();
    while !paused && stderr.read_line(&mut line).is_ok_and(|read| read > 0) {
        paused = line.starts_with("meshgen-test: paused before step");
        seen.push_str(&line);
        line.clear();
    }
    if paused {
        child.kill().unwrap();
    }
    let status = child.wait().unwrap();
    if paused {
        return Stopped::Killed;
    }
    assert!(
        status.success(),
        "meshgen {args:?} failed: {status}\n{seen}"
    );
    Stopped::Finished(seen)
}

/// How many file-system steps a run takes (a run with the hook on that never pauses).
fn steps_of(dir: &Path, args: &[&str]) -> u64 {
    let Stopped::Finished(stderr) = kill_at(dir, args, 0) else {
        unreachable!()
    };
    stderr
        .lines()
        .find_map(|line| line.strip_prefix("meshgen-test: ")?.strip_suffix(" steps"))
        .unwrap_or_else(|| panic!("no step count in {stderr}"))
        .parse()
        .unwrap()
}

/// Every entry under `dir` (links not followed) with its kind and bytes.
fn contents(dir: &Path) -> BTreeMap<PathBuf, String> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .map(|entry| entry.unwrap())
        .map(|entry| {
            let path = entry.path().strip_prefix(dir).unwrap().to_path_buf();
            let kind = entry.file_type();
            let value = if kind.is_symlink() {
                format!("link {}", fs::read_link(entry.path()).unwrap().display())
            } else if kind.is_dir() {
                "dir".to_owned()
            } else {
                String::from_utf8_lossy(&fs::read(entry.path()).unwrap()).into_owned()
            };
            (path, value)
        })
        .collect()
}

fn assert_no_reserved_names(dir: &Path) {
    for path in contents(dir).keys() {
        assert!(
            !path
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with(".meshgen-")),
            "left behind: {}",
            path.display()
        );
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else if entry.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn an_interrupted_render_is_reported_by_check_and_recovered_by_the_next_render() {
    let run = Test::new().args(["render", "default", "--out", "m"]).run();
    let user = add_user_files(run.path());
    let dir = run.path().to_owned();
    // Before the commit: the intent and some staged files are there.
    assert_eq!(
        kill_at(&dir, &["render", "permissive", "--out", "m"], 9),
        Stopped::Killed
    );
    assert!(dir.join("m/.meshgen-intent").exists());
    let run = Test::with_tempdir(run.tempdir)
        .args(["check", "permissive", "--out", "m"])
        .status(1)
        .stdout_contains("interrupted: m/.meshgen-intent (a render stopped before it committed")
        .stderr_contains("is not what meshgen renders (an interrupted render, 3 changed, 4 extra")
        .expect_unchanged(".")
        .run();
    let run = Test::with_tempdir(run.tempdir)
        .args(["render", "permissive", "--out", "m"])
        .stderr_contains("had been interrupted before it committed; rolled it back first\n")
        .stderr_contains("wrote 3 and removed 4 file(s) in m")
        .run();
    assert_no_reserved_names(&dir.join("m"));
    assert_user_files(&dir, &user, "after a rolled-back render");

    // After the commit: pre-commit's --fail-on-change names what the interrupted render wrote.
    let total = {
        let probe = tempfile::tempdir().unwrap();
        copy_tree(&dir, probe.path());
        steps_of(probe.path(), &["render", "default", "--out", "m"])
    };
    assert_eq!(
        kill_at(&dir, &["render", "default", "--out", "m"], total - 3),
        Stopped::Killed
    );
    assert!(dir.join("m/.meshgen-commit").exists());
    let run = Test::with_tempdir(run.tempdir)
        .args(["check", "default", "--out", "m"])
        .status(1)
        .stdout_contains("interrupted: m/.meshgen-commit (a render stopped half-way")
        .expect_unchanged(".")
        .run();
    let run = Test::with_tempdir(run.tempdir)
        .args(["render", "default", "--out", "m", "--fail-on-change"])
        .status(1)
        .stderr_contains("had been interrupted after it committed; finished it first\n")
        .stderr_contains("wrote m/meshgen.lock\n")
        .stderr_contains("wrote m/security/peerauthentication_knative-serving_webhook.yaml\n")
        .stderr_contains("was not up to date")
        .run();
    assert_no_reserved_names(&dir.join("m"));
    assert_user_files(&dir, &user, "after a finished render");
    Test::with_tempdir(run.tempdir)
        .args(["check", "default", "--out", "m"])
        .stdout("")
        .run();
}

/// A power cut can keep a staged file and lose the intent that named it: the next render removes
/// it, whether it writes that file or not; a link under a staged name is not meshgen's to remove.
#[test]
fn staged_files_a_power_cut_orphaned_are_removed() {
    let run = Test::new()
        .args(["render", "default", "--out", "m"])
        .write(
            "m/istiod/.meshgen-new.deployment_istio-system_istiod.yaml",
            "torn",
        )
        .write(
            "m/security/.meshgen-new.peerauthentication_istio-system_default.yaml",
            "torn",
        )
        .run();
    let run = Test::with_tempdir(run.tempdir)
        .args(["render", "permissive", "--out", "m"])
        .stderr_contains("wrote 3 and removed 4 file(s) in m")
        .run();
    assert_no_reserved_names(&run.path().join("m"));
    std::os::unix::fs::symlink(
        "../kustomization.yaml",
        run.path()
            .join("m/istiod/.meshgen-new.deployment_istio-system_istiod.yaml"),
    )
    .unwrap();
    Test::with_tempdir(run.tempdir)
        .args(["render", "default", "--out", "m"])
        .status(2)
        .stderr_contains("is a symbolic link, but the name is meshgen's for a file it is writing")
        .expect_unchanged("m")
        .run();
}

#[test]
fn leftovers_of_the_old_writer_are_reported_never_touched() {
    let run = Test::new()
        .write(".meshgen-previous-Ab12Cd/NOTES.md", "the user's notes\n")
        .args(["render", "default", "--out", "m"])
        .stderr_contains("warning: .meshgen-previous-Ab12Cd was left by an older meshgen killed during a render; it may hold files of yours")
        .expect_unchanged(".meshgen-previous-Ab12Cd")
        .run();
    Test::with_tempdir(run.tempdir)
        .args(["check", "default", "--out", "m"])
        .status(1)
        .stdout_contains("interrupted: .meshgen-previous-Ab12Cd (left by an older meshgen")
        .expect_unchanged(".")
        .run();
}

// ------------------------------------------------------------------------------------------
// The crash test.

/// A small deterministic generator (xorshift64*): the trials are the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

/// One transition the crash test interrupts: `m` holds `from`'s render (or nothing) and the
/// user's files, and meshgen renders `to` into it.
struct Scenario {
    from: Option<&'static str>,
    to: &'static str,
    /// The directory before and after, and the steps the write takes.
    template: tempfile::TempDir,
    old: BTreeMap<PathBuf, String>,
    new: BTreeMap<PathBuf, String>,
    steps: u64,
}

fn scenario(from: Option<&'static str>, to: &'static str) -> Scenario {
    let template = tempfile::tempdir().unwrap();
    if let Some(from) = from {
        let status = meshgen(template.path(), &["render", from, "--out", "m"])
            .status()
            .unwrap();
        assert!(status.success());
    }
    add_user_files_to(template.path(), user_files_of(from));
    let old = contents(template.path());
    let probe = tempfile::tempdir().unwrap();
    copy_tree(template.path(), probe.path());
    let steps = steps_of(probe.path(), &["render", to, "--out", "m"]);
    let new = contents(probe.path());
    assert_ne!(old, new);
    Scenario {
        from,
        to,
        template,
        old,
        new,
        steps,
    }
}

/// The user's files of a scenario: none inside `m` when it does not exist yet.
fn user_files_of(from: Option<&str>) -> &'static [&'static str] {
    if from.is_some() {
        USER_FILES
    } else {
        &USER_FILES[..1]
    }
}

/// A fresh copy of the scenario's starting point with freshly made user files.
fn trial_dir(scenario: &Scenario) -> (tempfile::TempDir, BTreeMap<String, Identity>) {
    let dir = tempfile::tempdir().unwrap();
    let user: Vec<PathBuf> = USER_FILES
        .iter()
        .map(PathBuf::from)
        .chain([PathBuf::from("m/notes-link")])
        .collect();
    for entry in walkdir::WalkDir::new(scenario.template.path()).sort_by_file_name() {
        let entry = entry.unwrap();
        let relative = entry.path().strip_prefix(scenario.template.path()).unwrap();
        let target = dir.path().join(relative);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else if !user.iter().any(|u| u == relative) {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
    let identities = add_user_files_to(dir.path(), user_files_of(scenario.from));
    (dir, identities)
}

/// SIGKILL at a step of `render --out` (between any two file-system operations, inside a file
/// write too), 200 times over four transitions: creating the directory, changing and removing
/// files, creating and removing component directories. After each kill, recovery alone must
/// restore exactly the old or exactly the new directory, user files byte-, inode- and
/// mtime-identical and nothing of meshgen's left behind; a quarter of the trials are killed a
/// second time during that recovery, and every tenth one then renders again and must end at
/// the new render with `check` clean.
#[test]
fn crash_test_sigkill_at_any_step_leaves_the_old_or_the_new_render() {
    let started = std::time::Instant::now();
    let scenarios = [
        scenario(None, "default"),
        scenario(Some("default"), "permissive"),
        scenario(Some("permissive"), "ambient"),
        scenario(Some("ambient"), "default"),
    ];
    // The trials, drawn up front so that they do not depend on how the workers share them.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let trials = 200;
    let per = (trials / scenarios.len()) as u64;
    let plan: Vec<Trial> = (0..trials)
        .map(|index| {
            let scenario = index % scenarios.len();
            let steps = scenarios[scenario].steps;
            let round = (index / scenarios.len()) as u64;
            // Every step of a short write, an even sample of a long one.
            let step = if steps <= per {
                1 + round % steps
            } else {
                1 + round * steps / per + rng.below(steps / per)
            };
            Trial {
                index,
                scenario,
                step,
                // Killed again while recovering (or just after).
                again: (index % 4 == 3).then(|| 1 + rng.below(12)),
                render_again: index % 10 == 0,
            }
        })
        .collect();
    let next = AtomicUsize::new(0);
    let outcomes = [(); 2].map(|()| AtomicUsize::new(0));
    let doubles = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                while let Some(trial) = plan.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (outcome, twice) = run_trial(&scenarios[trial.scenario], trial);
                    outcomes[outcome as usize].fetch_add(1, Ordering::Relaxed);
                    doubles.fetch_add(usize::from(twice), Ordering::Relaxed);
                }
            });
        }
    });
    let [old, new] = outcomes.map(AtomicUsize::into_inner);
    let double = doubles.into_inner();
    eprintln!(
        "crash test: {trials}/{trials} trials passed ({old} recovered to the old render, {new} to the new one; {double} also killed during recovery) over writes of {:?} steps, in {:.1} s",
        scenarios.iter().map(|s| s.steps).collect::<Vec<_>>(),
        started.elapsed().as_secs_f64()
    );
    assert!(old > 0 && new > 0, "both outcomes are exercised");
}

/// One trial of the crash test.
struct Trial {
    index: usize,
    scenario: usize,
    /// Killed before this step.
    step: u64,
    /// Then killed again before this step of the next run.
    again: Option<u64>,
    /// Then rendered again, and checked.
    render_again: bool,
}

/// What a trial recovered to.
#[derive(Clone, Copy)]
enum Outcome {
    Old = 0,
    New = 1,
}

/// Runs a trial: what it recovered to, and whether it was killed during recovery too.
fn run_trial(scenario: &Scenario, trial: &Trial) -> (Outcome, bool) {
    let (dir, user) = trial_dir(scenario);
    let args = ["render", scenario.to, "--out", "m"];
    let context = format!(
        "trial {}: {:?} -> {} killed before step {} of {}",
        trial.index, scenario.from, scenario.to, trial.step, scenario.steps
    );
    assert_eq!(
        kill_at(dir.path(), &args, trial.step),
        Stopped::Killed,
        "{context}"
    );
    assert_user_files(dir.path(), &user, &context);
    let mut twice = false;
    if let Some(again) = trial.again {
        twice = kill_at(dir.path(), &args, again) == Stopped::Killed;
        assert_user_files(dir.path(), &user, &format!("{context}, again at {again}"));
    }
    emit::write::recover(&dir.path().join("m")).unwrap_or_else(|e| panic!("{context}: {e}"));
    let mut state = contents(dir.path());
    // A directory the write created stays, empty, when the write is rolled back.
    if scenario.from.is_none() && state.keys().filter(|p| p.starts_with("m")).count() == 1 {
        state.remove(Path::new("m"));
    }
    let outcome = if state == scenario.old {
        Outcome::Old
    } else if state == scenario.new {
        Outcome::New
    } else {
        panic!(
            "{context}: neither the old nor the new directory:\n{}",
            describe_difference(&state, &scenario.old, &scenario.new)
        );
    };
    assert_user_files(dir.path(), &user, &context);
    assert_no_reserved_names(&dir.path().join("m"));
    if trial.render_again {
        let output = meshgen(dir.path(), &args).output().unwrap();
        assert!(output.status.success(), "{context}: the next render failed");
        assert_eq!(
            contents(dir.path()),
            scenario.new,
            "{context}: the next render"
        );
        let check = meshgen(dir.path(), &["check", scenario.to, "--out", "m"])
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{context}: check after the next render"
        );
    }
    (outcome, twice)
}

fn describe_difference(
    state: &BTreeMap<PathBuf, String>,
    old: &BTreeMap<PathBuf, String>,
    new: &BTreeMap<PathBuf, String>,
) -> String {
    let mut text = String::new();
    for (name, other) in [("old", old), ("new", new)] {
        text.push_str(&format!("vs {name}:\n"));
        for (path, value) in state {
            match other.get(path) {
                None => text.push_str(&format!("  extra {}\n", path.display())),
                Some(v) if v != value => text.push_str(&format!("  differs {}\n", path.display())),
                _ => {}
            }
        }
        for path in other.keys().filter(|p| !state.contains_key(*p)) {
            text.push_str(&format!("  missing {}\n", path.display()));
        }
    }
    text
}

/// Renders of two profiles started together into one directory: the exclusive lock serialises
/// them, so the directory ends as exactly one of the two renders, never a mixture, with the
/// user's files intact.
#[test]
fn concurrent_renders_into_one_directory_never_mix() {
    let default = scenario(Some("permissive"), "default");
    let permissive_state = default.old.clone();
    for round in 0..3 {
        let (dir, user) = trial_dir(&default);
        let children: Vec<_> = (0..6)
            .map(|i| {
                let profile = if (i + round) % 2 == 0 {
                    "default"
                } else {
                    "permissive"
                };
                meshgen(dir.path(), &["render", profile, "--out", "m"])
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success(), "round {round}");
        }
        let state = contents(dir.path());
        assert!(
            state == default.new || state == permissive_state,
            "round {round}: a mixture:\n{}",
            describe_difference(&state, &permissive_state, &default.new)
        );
        assert_user_files(dir.path(), &user, &format!("round {round}"));
        assert_no_reserved_names(&dir.path().join("m"));
    }
}
