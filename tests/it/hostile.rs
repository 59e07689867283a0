//! Hostile input: every class of input issue #9 names must end in exit 2 and one positioned
//! message, within a time and memory budget, with nothing on stdout — special files, huge files
//! and values, deep nesting, patches that grow without bound, values that would break the
//! output, sequences where mappings belong, duplicates, the Argo CD environment, the project
//! root. Cases read from `tests/fixtures/hostile/KIND/CASE.yaml` are snapshotted as
//! `golden/hostile/KIND/CASE.snap`; large inputs are generated here.
//!
//! The budgets are the ones meshgen promises for its release binary (5 s, 1 GiB); the tests run
//! the debug binary on a shared machine, so they allow more time, never more memory.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Test, assert_golden, fixture_cases};

/// What a bounded run did.
struct Bounded {
    status: i32,
    stdout: String,
    stderr: String,
    seconds: f64,
    /// Peak resident memory, when the platform tells (Linux).
    peak_mib: Option<u64>,
}

/// Wall time a hostile input may take here (the release binary's promise is 5 s).
fn time_budget() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(5)
    }
}

/// Memory a hostile input may take: the promise, in every build.
const MEMORY_BUDGET_MIB: u64 = 1024;

/// Runs meshgen in `dir` (relative paths in `args` are relative to it) with `env` added, kills
/// it when it runs past the time budget, and samples its peak memory while it runs.
fn bounded_in(dir: &Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Bounded {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meshgen"));
    command
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let start = Instant::now();
    let mut child = command.spawn().expect("meshgen starts");
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout_pipe.read_to_end(&mut bytes).unwrap();
        bytes
    });
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stderr_pipe.read_to_end(&mut bytes).unwrap();
        bytes
    });
    let mut peak_mib = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for meshgen") {
            break status;
        }
        // VmHWM is the high-water mark, so sampling misses little of the peak.
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            && let Some(kib) = status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
        {
            peak_mib = Some(peak_mib.unwrap_or(0).max(kib / 1024));
        }
        if start.elapsed() > time_budget() {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "meshgen {} ran longer than {:?}",
                args.join(" "),
                time_budget()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let seconds = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&stdout.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
    Bounded {
        status: status.code().unwrap_or(-1),
        stdout,
        stderr,
        seconds,
        peak_mib,
    }
}

fn bounded(test: &Test, args: &[&str]) -> Bounded {
    bounded_in(test.path(), args, &[])
}

/// Checks the promise for bad input: exit 2, nothing on stdout, a short stderr that has
/// `expected` and a position (` --> file:line:col`) unless `positioned` is false, no Rust.
#[track_caller]
fn refused(run: &Bounded, expected: &str) {
    refused_with(run, expected, true);
}

#[track_caller]
fn refused_with(run: &Bounded, expected: &str, positioned: bool) {
    let context = format!(
        "--- exit {} in {:.2} s, peak {:?} MiB\n--- stderr ({} bytes):\n{}",
        run.status,
        run.seconds,
        run.peak_mib,
        run.stderr.len(),
        shorten(&run.stderr)
    );
    assert_eq!(run.status, 2, "exit code\n{context}");
    assert!(run.stdout.is_empty(), "stdout is not empty\n{context}");
    assert!(
        run.stderr.contains(expected),
        "stderr lacks {expected:?}\n{context}"
    );
    if positioned {
        assert!(run.stderr.contains("--> "), "no position\n{context}");
    }
    assert!(run.stderr.len() < 16 << 10, "stderr is too long\n{context}");
    if let Some(peak) = run.peak_mib {
        assert!(peak < MEMORY_BUDGET_MIB, "memory\n{context}");
    }
    speaks_the_profiles_terms(&run.stderr);
}

/// Messages are in the terms of meshgen's formats, not of its implementation.
#[track_caller]
fn speaks_the_profiles_terms(stderr: &str) {
    for rust in [
        "Option<",
        "weak recursion",
        "serde",
        "Vec<",
        "struct ",
        "enum ",
        "u32",
        "i64",
        "unwrap",
        "panicked",
        "internal error",
    ] {
        assert!(!stderr.contains(rust), "speaks Rust ({rust:?}):\n{stderr}");
    }
}

fn shorten(text: &str) -> String {
    if text.len() <= 4000 {
        text.to_owned()
    } else {
        let cut = (0..=4000)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap();
        format!("{}… ({} more bytes)", &text[..cut], text.len() - cut)
    }
}

const PROFILE: &str = "apiVersion: meshgen.dev/v1alpha1\nkind: MeshProfile\n";
const OVERLAY: &str = "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\n";

#[cfg(unix)]
fn fifo(test: &Test, name: &str) {
    let path = test.path().join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = Command::new("mkfifo").arg(&path).status().expect("mkfifo");
    assert!(status.success());
}

/// A profile pinning one CRD bundle at `path`.
fn bundle_profile(path: &str) -> String {
    format!(
        "{PROFILE}spec:\n  crds:\n    bundles:\n    - path: {path}\n      sha256: \"{}\"\n",
        "0".repeat(64)
    )
}

// --- Special files: refused before they are opened, so nothing blocks or streams forever.

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_refused_wherever_an_input_is_read() {
    let not_regular = "is not a regular file";
    // The profile itself (named on the command line: no file position to point at).
    let test = Test::new();
    fifo(&test, "meshgen.yaml");
    refused_with(
        &bounded(&test, &["render", "meshgen.yaml"]),
        not_regular,
        false,
    );
    // An `extends` parent: a FIFO, and /dev/zero through a symlink inside the project.
    let test = Test::new()
        .write("child.yaml", format!("{PROFILE}extends: ./parent.yaml\n"))
        .write("zero.yaml", format!("{PROFILE}extends: ./zero-link.yaml\n"));
    fifo(&test, "parent.yaml");
    std::os::unix::fs::symlink("/dev/zero", test.path().join("zero-link.yaml")).unwrap();
    let run = bounded(&test, &["render", "child.yaml"]);
    refused(&run, not_regular);
    assert!(run.stderr.contains("child.yaml:3:10"), "{}", run.stderr);
    // The link resolves outside the project: refused before anything is opened.
    refused(
        &bounded(&test, &["render", "zero.yaml"]),
        "outside the project root",
    );
    refused(
        &bounded(&test, &["render", "zero.yaml", "--root", "/"]),
        not_regular,
    );
    // An overlay, named on the command line and by the profile, and an overlay's resource file.
    let test = Test::new()
        .write(
            "meshgen.yaml",
            format!("{PROFILE}extends: default\noverlays:\n- fifo-overlay.yaml\n"),
        )
        .write(
            "resources.yaml",
            format!("{OVERLAY}resources:\n- fifo-resources.yaml\n"),
        );
    fifo(&test, "fifo-overlay.yaml");
    fifo(&test, "fifo-resources.yaml");
    refused_with(
        &bounded(
            &test,
            &["render", "default", "--overlay", "fifo-overlay.yaml"],
        ),
        not_regular,
        false,
    );
    refused(&bounded(&test, &["render", "meshgen.yaml"]), not_regular);
    let run = bounded(&test, &["render", "default", "--overlay", "resources.yaml"]);
    refused(&run, not_regular);
    assert!(run.stderr.contains("resources.yaml:4:3"), "{}", run.stderr);
    // A CRD bundle: a FIFO, and /dev/zero itself.
    let test = Test::new()
        .write("fifo.yaml", bundle_profile("crds/fifo.yaml"))
        .write("zero.yaml", bundle_profile("/dev/zero"));
    fifo(&test, "crds/fifo.yaml");
    refused(&bounded(&test, &["render", "fifo.yaml"]), not_regular);
    refused(
        &bounded(&test, &["render", "zero.yaml", "--root", "/"]),
        not_regular,
    );
    // The lock file of an output directory: the writer never opens it.
    let test = Test::new();
    fifo(&test, "out/meshgen.lock");
    let not_a_lock =
        "`out/meshgen.lock` is not a meshgen lock file: it is a FIFO, socket or device";
    refused_with(
        &bounded(&test, &["render", "default", "--out", "out"]),
        not_a_lock,
        false,
    );
    refused_with(
        &bounded(&test, &["check", "default", "--out", "out"]),
        not_a_lock,
        false,
    );
}

/// `check` on a directory where something that is not a regular file sits in the place of one
/// of meshgen's files: drift (exit 1, "in conflict", as `render` would refuse to replace it),
/// reported without opening it.
fn conflict_reported_without_blocking(run: &Bounded) {
    let context = format!(
        "--- exit {} in {:.2} s\n{}",
        run.status, run.seconds, run.stderr
    );
    assert_eq!(run.status, 1, "exit code\n{context}");
    assert!(run.stderr.contains("(1 in conflict)"), "{context}");
}

#[cfg(unix)]
#[test]
fn check_never_blocks_on_a_fifo_or_device_in_the_output_directory() {
    let test = Test::new()
        .args(["render", "default", "--out", "out"])
        .run();
    let test = Test::with_tempdir(test.tempdir);
    let owned = test
        .path()
        .join("out/istiod/deployment_istio-system_istiod.yaml");
    assert!(owned.is_file(), "the render writes {}", owned.display());
    std::fs::remove_file(&owned).unwrap();
    fifo(&test, "out/istiod/deployment_istio-system_istiod.yaml");
    conflict_reported_without_blocking(&bounded(&test, &["check", "default", "--out", "out"]));
    std::fs::remove_file(&owned).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &owned).unwrap();
    conflict_reported_without_blocking(&bounded(&test, &["check", "default", "--out", "out"]));
}

// --- Size and depth budgets.

#[test]
fn a_file_over_the_size_budget_is_refused_without_reading_it() {
    let test = Test::new();
    let file = std::fs::File::create(test.path().join("huge.yaml")).unwrap();
    // Sparse: 65 MiB that takes no disk.
    file.set_len(65 << 20).unwrap();
    refused_with(
        &bounded(&test, &["render", "huge.yaml"]),
        "is larger than 64 MiB",
        false,
    );
}

#[test]
fn a_ten_mib_value_gets_one_short_message() {
    let value = "x".repeat(10 << 20);
    let test = Test::new()
        .write(
            "hub.yaml",
            format!("{PROFILE}spec:\n  istio:\n    hub: \"docker.io/{value}\"\n"),
        )
        .write(
            "version.yaml",
            format!("{PROFILE}spec:\n  istio:\n    version: \"{value}\"\n"),
        )
        .write(
            "namespace.yaml",
            format!("{PROFILE}spec:\n  knative:\n    appNamespaces: [\"{value}\", \"{value}\"]\n"),
        );
    for profile in ["hub.yaml", "version.yaml", "namespace.yaml"] {
        let run = bounded(&test, &["render", profile]);
        refused(&run, "…");
        assert!(
            run.stderr.matches("error:").count() <= 2,
            "{profile}: {}",
            shorten(&run.stderr)
        );
    }
}

#[test]
fn deeply_nested_yaml_is_refused_at_its_position() {
    let flow = format!(
        "{PROFILE}spec: {}1{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let block: String = (0..200)
        .map(|i| format!("{}a:\n", "  ".repeat(i)))
        .collect();
    let test = Test::new()
        .write("flow.yaml", flow)
        .write("block.yaml", format!("{PROFILE}spec:\n{block}"))
        .write(
            "overlay.yaml",
            format!(
                "{OVERLAY}patches:\n- target: {{kind: Deployment}}\n  mergePatch: {}1{}\n",
                "{a: ".repeat(10_000),
                "}".repeat(10_000)
            ),
        );
    for run in [
        bounded(&test, &["render", "flow.yaml"]),
        bounded(&test, &["render", "block.yaml"]),
        bounded(&test, &["render", "default", "--overlay", "overlay.yaml"]),
    ] {
        refused(&run, "deeper than meshgen reads");
    }
}

#[test]
fn patches_that_double_an_object_stop_at_the_budget() {
    let test = Test::new().copy_fixture("hostile/overlays/copy-doubling.yaml", "copy.yaml");
    let run = bounded(&test, &["render", "default", "--overlay", "copy.yaml"]);
    refused(&run, "larger than 1000000 values");
    assert!(run.stderr.contains("copy.yaml:"), "{}", run.stderr);
    // Few values but long strings: the byte budget, not the value count, stops it.
    let mut text = format!(
        "{OVERLAY}patches:\n- target: {{kind: ConfigMap, name: istio}}\n  jsonPatch:\n  - op: add\n    path: /data/long\n    value: \"{}\"\n",
        "x".repeat(64 << 10)
    );
    for i in 0..30 {
        text.push_str(&format!(
            "  - {{op: copy, from: /data, path: /data/c{i}}}\n"
        ));
    }
    let test = Test::new().write("long.yaml", text);
    refused(
        &bounded(&test, &["render", "default", "--overlay", "long.yaml"]),
        "larger than 64 MiB",
    );
}

#[test]
fn a_patch_that_grows_every_object_stops_at_the_render_budget() {
    // 12 MiB added to each of the 30 objects is within each object's budget, not the set's.
    let text = format!(
        "{OVERLAY}patches:\n- target: {{name: \"*\"}}\n  mergePatch:\n    metadata:\n      annotations:\n        big: \"{}\"\n",
        "x".repeat(12 << 20)
    );
    let test = Test::new().write("grow.yaml", text);
    refused(
        &bounded(&test, &["render", "default", "--overlay", "grow.yaml"]),
        "the overlays grow the rendered set by more than 256 MiB",
    );
}

#[test]
fn two_overlays_cannot_nest_a_resource_past_the_depth_budget() {
    let test = Test::new()
        .copy_fixture(
            "hostile/overlays/deep-nesting-1.yaml",
            "deep-nesting-1.yaml",
        )
        .copy_fixture(
            "hostile/overlays/deep-nesting-2.yaml",
            "deep-nesting-2.yaml",
        );
    let run = bounded(
        &test,
        &[
            "render",
            "default",
            "--overlay",
            "deep-nesting-1.yaml",
            "--overlay",
            "deep-nesting-2.yaml",
        ],
    );
    refused(&run, "deeper than 64 levels");
    assert!(
        run.stderr.contains("deep-nesting-2.yaml:6:5"),
        "{}",
        run.stderr
    );
    // Thousands of levels through many operations, each adding one.
    let mut text = format!(
        "{OVERLAY}patches:\n- target: {{kind: ConfigMap, name: istio}}\n  jsonPatch:\n  - {{op: add, path: /data/n, value: {{}}}}\n"
    );
    let mut path = String::from("/data/n");
    for _ in 0..3000 {
        path.push_str("/n");
        text.push_str(&format!("  - {{op: add, path: \"{path}\", value: {{}}}}\n"));
    }
    let test = Test::new().write("many.yaml", text);
    refused(
        &bounded(&test, &["render", "default", "--overlay", "many.yaml"]),
        "deeper than 64 levels",
    );
}

#[test]
fn ten_thousand_duplicate_namespaces_are_one_message() {
    let mut text = format!("{PROFILE}spec:\n  knative:\n    appNamespaces:\n");
    for _ in 0..10_000 {
        text.push_str("    - shop\n");
    }
    let test = Test::new().write("dup.yaml", text);
    let run = bounded(&test, &["render", "dup.yaml"]);
    refused(&run, "app namespace `shop` is listed 10000 times");
    assert_eq!(run.stderr.matches("error:").count(), 1, "{}", run.stderr);
    // Ten thousand different bad names: a bounded report.
    let mut text = format!("{PROFILE}spec:\n  knative:\n    appNamespaces:\n");
    for i in 0..10_000 {
        text.push_str(&format!("    - Shop{i}\n"));
    }
    let test = Test::new().write("bad.yaml", text);
    let run = bounded(&test, &["render", "bad.yaml"]);
    refused(&run, "and 9980 more problems like these");
}

// --- Values validated where they enter, with their position (snapshots).

#[test]
fn hostile_profiles_are_refused_at_the_value() {
    for (case, fixture) in fixture_cases("hostile/profiles") {
        let test = Test::new().copy_fixture(
            fixture
                .strip_prefix("tests/fixtures/")
                .unwrap()
                .to_str()
                .unwrap(),
            format!("hostile/profiles/{case}.yaml"),
        );
        let run = bounded(&test, &["render", &format!("hostile/profiles/{case}.yaml")]);
        refused(&run, "error:");
        assert_golden("hostile/profiles", &case, &run.stderr);
    }
}

#[test]
fn values_cannot_inject_yaml_into_the_render() {
    // Refused at the profile ...
    for (case, marker) in [
        ("hub-injection", "injected"),
        ("trust-domain-newline", "injected"),
        ("access-log-newline", "injected"),
        ("tag-newline", "foo"),
    ] {
        let test =
            Test::new().copy_fixture(&format!("hostile/profiles/{case}.yaml"), "meshgen.yaml");
        let run = bounded(&test, &["render", "meshgen.yaml"]);
        refused(&run, "error:");
        assert!(!run.stdout.contains(marker));
    }
    // ... and, behind that, every placed string is one scalar: namespaces named like YAML 1.1
    // booleans stay names (they used to render as `true` and `false`, and collide).
    Test::new()
        .write(
            "meshgen.yaml",
            format!("{PROFILE}extends: default\nspec:\n  knative:\n    appNamespaces: [\"on\", \"y\", \"no\", \"off\"]\n"),
        )
        .args(["render", "meshgen.yaml"])
        .stdout_contains("kind: Namespace\nmetadata:\n  name: \"on\"\n")
        .stdout_contains("  name: \"y\"\n")
        .stdout_contains("  namespace: \"off\"\n")
        .run();
}

#[test]
fn hostile_manifests_are_refused_by_diff_and_lint() {
    for (case, fixture) in fixture_cases("hostile/manifests") {
        let name = format!("{case}.yaml");
        let test = Test::new().copy_fixture(
            fixture
                .strip_prefix("tests/fixtures/")
                .unwrap()
                .to_str()
                .unwrap(),
            &name,
        );
        let diff = bounded(&test, &["diff", &name, &name]);
        refused(&diff, "error:");
        let lint = bounded(&test, &["lint", "--manifests", &name]);
        refused(&lint, "error:");
        assert_eq!(diff.stderr, lint.stderr, "{case}: diff and lint read alike");
        assert_golden("hostile/manifests", &case, &diff.stderr);
    }
}

#[test]
fn streams_of_a_hundred_thousand_documents_are_read() {
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  namespace: big\ndata:\n  k: v\n"
        ));
    }
    let test = Test::new().write("big.yaml", &text);
    let run = bounded(&test, &["diff", "big.yaml", "big.yaml"]);
    assert_eq!(run.status, 0, "{}", shorten(&run.stderr));
    if let Some(peak) = run.peak_mib {
        assert!(peak < MEMORY_BUDGET_MIB, "peak {peak} MiB");
    }
}

// --- Positions for errors found after merging and patching.

#[test]
fn patched_and_added_objects_failing_their_type_point_at_the_overlay() {
    for case in ["typed-invalid", "added-invalid"] {
        let name = format!("{case}.yaml");
        let test = Test::new().copy_fixture(&format!("hostile/overlays/{name}"), &name);
        let run = bounded(&test, &["render", "default", "--overlay", &name]);
        refused(&run, &format!("--> {name}:"));
        assert_golden("hostile/overlays", case, &run.stderr);
    }
}

#[test]
fn an_object_rendered_twice_names_both_sources() {
    let test = Test::new().copy_fixture("hostile/overlays/rename-collision.yaml", "rename.yaml");
    let run = bounded(&test, &["render", "default", "--overlay", "rename.yaml"]);
    refused(
        &run,
        "is rendered twice: by component `istiod` and by component `istiod`, changed by patches[0].jsonPatch[0] at `rename.yaml:7:5`",
    );
    assert_golden("hostile/overlays", "rename-collision", &run.stderr);
}

#[test]
fn problems_found_after_merging_extends_are_positioned_in_their_layer() {
    // The parent alone may leave `certificateRef` to a child; the merged profile lacks it.
    let test = Test::new()
        .write("parent.yaml", format!("{PROFILE}spec:\n  gateway:\n    external:\n      https:\n        port: 8443\n"))
        .write("child.yaml", format!("{PROFILE}extends: ./parent.yaml\nspec:\n  gateway:\n    external:\n      port: 8080\n"))
        .write("typo.yaml", format!("{PROFILE}extends: ./parent.yaml\nspec:\n  gateway:\n    external:\n      https:\n        certificateRef: {{nme: tls}}\n"));
    let run = bounded(&test, &["render", "child.yaml"]);
    refused(&run, "spec.gateway.external.https needs `certificateRef`");
    assert!(run.stderr.contains("--> parent.yaml:6:7"), "{}", run.stderr);
    let run = bounded(&test, &["render", "typo.yaml"]);
    refused(
        &run,
        "unknown key `nme` in spec.gateway.external.https.certificateRef",
    );
    assert!(run.stderr.contains("--> typo.yaml:8:26"), "{}", run.stderr);
}

#[test]
fn a_file_that_is_not_utf8_is_positioned_at_the_byte() {
    let test = Test::new().write(
        "bad.yaml",
        b"apiVersion: meshgen.dev/v1alpha1\nkind: Mesh\xffProfile\n",
    );
    let run = bounded(&test, &["render", "bad.yaml"]);
    refused(&run, "byte 0xff at line 2, column 11");
    assert!(run.stderr.contains("bad.yaml:2:11"), "{}", run.stderr);
}

#[test]
fn parse_errors_speak_yaml_not_rust() {
    let test = Test::new()
        .write(
            "tagged.yaml",
            format!("{PROFILE}spec:\n  istio:\n    hub: !!null\n"),
        )
        .write(
            "binary.yaml",
            format!("{PROFILE}spec:\n  istio:\n    hub: !!binary /w==\n"),
        )
        .write(
            "anchors.yaml",
            format!("{PROFILE}spec:\n  knative:\n    appNamespaces: &a [*a]\n"),
        );
    for profile in ["tagged.yaml", "binary.yaml", "anchors.yaml"] {
        let run = bounded(&test, &["render", profile]);
        assert!(
            run.status == 0 || run.status == 2,
            "{profile}: {}",
            run.stderr
        );
        speaks_the_profiles_terms(&run.stderr);
    }
}

// --- The project root.

#[test]
fn root_pointing_at_a_file_is_refused() {
    let test = Test::new().write("file.txt", "x");
    refused_with(
        &bounded(&test, &["render", "default", "--root", "file.txt"]),
        "is not a directory",
        false,
    );
}

#[test]
fn the_root_follows_the_profile() {
    let test = Test::new()
        .write("repo/.git/HEAD", "ref: refs/heads/main\n")
        .write("repo/base.yaml", format!("{PROFILE}extends: default\nspec:\n  mtls:\n    mode: PERMISSIVE\n"))
        .write("repo/clusters/prod/meshgen.yaml", format!("{PROFILE}extends: ../../base.yaml\n"))
        .write("repo/overlays/label.yaml", format!("{OVERLAY}patches:\n- target: {{kind: Deployment, name: istiod}}\n  mergePatch:\n    metadata:\n      labels:\n        team: mesh\n"))
        .write("elsewhere/local.yaml", format!("{OVERLAY}patches:\n- target: {{kind: Deployment, name: istiod}}\n  mergePatch:\n    metadata:\n      labels:\n        team: mesh\n"));
    let profile = test.path().join("repo/clusters/prod/meshgen.yaml");
    let profile = profile.to_str().unwrap();
    // From outside the repository: the root is the repository holding the profile.
    let run = bounded_in(&test.path().join("elsewhere"), &["render", profile], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("mode: PERMISSIVE"));
    // An overlay on the command line is relative to the working directory, inside the root.
    let overlay = test.path().join("repo/overlays/label.yaml");
    let run = bounded_in(
        &test.path().join("elsewhere"),
        &["render", profile, "--overlay", overlay.to_str().unwrap()],
        &[],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("team: mesh"));
    // ... and one outside it is refused, naming the root to widen.
    let run = bounded_in(
        &test.path().join("elsewhere"),
        &["render", profile, "--overlay", "local.yaml"],
        &[],
    );
    refused_with(&run, "is outside the project root", false);
    assert!(run.stderr.contains("--root"), "{}", run.stderr);
    // `--root` overrides: the app directory alone does not hold the parent.
    let run = bounded_in(
        &test.path().join("elsewhere"),
        &[
            "render",
            profile,
            "--root",
            test.path().join("repo/clusters/prod").to_str().unwrap(),
        ],
        &[],
    );
    refused(&run, "is outside the project root");
    // Without a repository, the profile's directory is the root.
    std::fs::remove_dir_all(test.path().join("repo/.git")).unwrap();
    let run = bounded_in(&test.path().join("elsewhere"), &["render", profile], &[]);
    refused(&run, "is outside the project root");
}

// --- The Argo CD plugin: the environment is untrusted input.

#[cfg(unix)]
#[test]
fn argocd_variables_that_are_not_utf8_are_errors_naming_them() {
    use std::os::unix::ffi::OsStrExt;
    let test = Test::new().write("app/meshgen.yaml", format!("{PROFILE}extends: default\n"));
    let app = test.path().join("app");
    let bad_path = std::ffi::OsStr::from_bytes(b"ap\xffp");
    let run = bounded_in(
        &app,
        &["argocd", "generate"],
        &[("ARGOCD_APP_SOURCE_PATH", bad_path)],
    );
    refused(
        &run,
        "environment variable `ARGOCD_APP_SOURCE_PATH` is not UTF-8 text",
    );
    let parameters =
        std::ffi::OsStr::from_bytes(b"[{\"name\":\"mtls-mode\",\"string\":\"PERMISSIVE\xff\"}]");
    let run = bounded_in(
        &app,
        &["argocd", "generate"],
        &[("ARGOCD_APP_PARAMETERS", parameters)],
    );
    refused(&run, "in parameter `mtls-mode`");
    let parameters = std::ffi::OsStr::new(r#"[{"name":"overlays","array":["a.yaml",1]}]"#);
    let run = bounded_in(
        &app,
        &["argocd", "generate"],
        &[("ARGOCD_APP_PARAMETERS", parameters)],
    );
    refused(
        &run,
        "plugin parameter 0 (`overlays`): item 1 of `array` is a number, expected a string",
    );
}

#[test]
fn the_argocd_root_never_widens_past_the_app_without_a_source_path() {
    // A repo-server copy without `.git`, below a directory that has one.
    let test = Test::new()
        .write(".git/HEAD", "ref: refs/heads/main\n")
        .write(
            "outside.yaml",
            format!("{PROFILE}extends: default\nspec:\n  mtls:\n    mode: PERMISSIVE\n"),
        )
        .write(
            "copy/app/meshgen.yaml",
            format!("{PROFILE}extends: ../../outside.yaml\n"),
        );
    let app = test.path().join("copy/app");
    refused(
        &bounded_in(&app, &["argocd", "generate"], &[]),
        "is outside the project root",
    );
    let empty = std::ffi::OsStr::new("");
    refused(
        &bounded_in(
            &app,
            &["argocd", "generate"],
            &[("ARGOCD_APP_SOURCE_PATH", empty)],
        ),
        "is outside the project root",
    );
    // With the source path the root is the copy, which still does not hold the parent.
    let source = std::ffi::OsStr::new("app");
    refused(
        &bounded_in(
            &app,
            &["argocd", "generate"],
            &[("ARGOCD_APP_SOURCE_PATH", source)],
        ),
        "is outside the project root",
    );
}

// --- CRD bundles hold only what upstream CRD bundles hold.

#[test]
fn crd_bundles_holding_anything_but_named_crds_are_refused() {
    for (case, document, expected) in [
        ("scalar", "42\n", "holds a document that is not an object"),
        (
            "configmap",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: smuggled, namespace: default}\n",
            "holds a `/ConfigMap`, not a CustomResourceDefinition",
        ),
        (
            "unnamed",
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {}\n",
            "holds a CustomResourceDefinition without `metadata.name`",
        ),
    ] {
        let bundle = format!("# a bundle\n---\n{document}");
        let sha = meshgen::core::digest::sha256_hex(bundle.as_bytes());
        let test = Test::new().write(format!("crds/{case}.yaml"), &bundle).write(
            "meshgen.yaml",
            format!(
                "{PROFILE}spec:\n  crds:\n    bundles:\n    - path: crds/{case}.yaml\n      sha256: \"{sha}\"\n"
            ),
        );
        let run = bounded(&test, &["render", "meshgen.yaml"]);
        refused(&run, expected);
        assert!(
            run.stderr.contains(&format!("--> crds/{case}.yaml:3:1")),
            "{case}: {}",
            run.stderr
        );
    }
}
