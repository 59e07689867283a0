//! `meshgen check`, `meshgen diff` and `render --fail-on-change`, run as the binary the way CI
//! and pre-commit run them: exit codes, what they print, and that checking writes nothing.

mod common;

use common::snapshot_dir;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn meshgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshgen"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("meshgen runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const EXTRA_OVERLAY: &str = "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\nresources:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: extra, namespace: istio-system}\n  data: {a: b}\n";

#[test]
fn check_passes_on_a_fresh_render_and_reports_drift_without_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("extra.yaml"), EXTRA_OVERLAY).unwrap();
    let out = meshgen(
        dir,
        &["render", "default", "--overlay", "extra.yaml", "--out", "m"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let ok = meshgen(
        dir,
        &["check", "default", "--overlay", "extra.yaml", "--out", "m"],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(ok.stdout.is_empty() && ok.stderr.is_empty());

    // Drift: one file edited, one deleted; and the overlay's object is no longer rendered.
    let deployment = dir.join("m/istiod/deployment_istio-system_istiod.yaml");
    let edited = fs::read_to_string(&deployment)
        .unwrap()
        .replace("maxSurge: 100%", "maxSurge: 50%");
    fs::write(&deployment, edited).unwrap();
    fs::remove_file(dir.join("m/istiod/service_istio-system_istiod.yaml")).unwrap();
    let before = snapshot_dir(&dir.join("m"));
    let drift = meshgen(dir, &["check", "default", "--out", "m"]);
    assert_eq!(drift.status.code(), Some(1));
    let stdout = text(&drift.stdout);
    assert!(stdout.contains("--- m/istiod/deployment_istio-system_istiod.yaml\n+++ m/istiod/deployment_istio-system_istiod.yaml (rendered)\n@@ "), "{stdout}");
    assert!(
        stdout.contains("-      maxSurge: 50%\n+      maxSurge: 100%\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("missing: m/istiod/service_istio-system_istiod.yaml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("extra: m/overlay/configmap_istio-system_extra.yaml"),
        "{stdout}"
    );
    // The lock lists the overlay among the inputs, so it differs too.
    assert!(stdout.contains("--- m/meshgen.lock"), "{stdout}");
    let stderr = text(&drift.stderr);
    assert!(stderr.contains("is not what meshgen renders"), "{stderr}");
    assert_eq!(snapshot_dir(&dir.join("m")), before, "check writes nothing");

    // A directory that does not exist: everything is missing.
    let none = meshgen(dir, &["check", "default", "--out", "nowhere"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(text(&none.stdout).contains("missing: nowhere/kustomization.yaml"));
    assert!(!dir.join("nowhere").exists());
}

#[test]
fn fail_on_change_exits_1_naming_what_it_wrote_or_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("extra.yaml"), EXTRA_OVERLAY).unwrap();
    let args = [
        "render",
        "default",
        "--overlay",
        "extra.yaml",
        "--out",
        "m",
        "--fail-on-change",
    ];

    let first = meshgen(dir, &args);
    assert_eq!(first.status.code(), Some(1), "creating files is a change");
    let stderr = text(&first.stderr);
    assert!(stderr.contains("wrote m/kustomization.yaml"), "{stderr}");
    assert!(stderr.contains("was not up to date"), "{stderr}");
    assert!(dir.join("m/meshgen.lock").exists(), "it still writes");

    let second = meshgen(dir, &args);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert!(second.stderr.is_empty());

    let third = meshgen(
        dir,
        &["render", "default", "--out", "m", "--fail-on-change"],
    );
    assert_eq!(third.status.code(), Some(1));
    assert!(text(&third.stderr).contains("removed m/overlay/configmap_istio-system_extra.yaml"));

    // Without the flag a change is a success (build.sh, CI regeneration).
    let plain = meshgen(
        dir,
        &["render", "default", "--overlay", "extra.yaml", "--out", "m"],
    );
    assert_eq!(plain.status.code(), Some(0));

    let needs_out = meshgen(dir, &["render", "default", "--fail-on-change"]);
    assert_eq!(needs_out.status.code(), Some(2), "the flag needs --out");
}

#[test]
fn diff_compares_renders_by_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("extra.yaml"), EXTRA_OVERLAY).unwrap();
    let stream = meshgen(dir, &["render", "default"]);
    fs::write(dir.join("default.yaml"), &stream.stdout).unwrap();
    let permissive = meshgen(dir, &["render", "permissive"]);
    fs::write(dir.join("permissive.yaml"), &permissive.stdout).unwrap();
    assert!(
        meshgen(
            dir,
            &["render", "default", "--overlay", "extra.yaml", "--out", "m"]
        )
        .status
        .success()
    );

    // A directory and a stream of the same render are equal: layout, order and the
    // kustomization/lock files do not count.
    let same = meshgen(dir, &["diff", "default.yaml", "default.yaml"]);
    assert_eq!(same.status.code(), Some(0));
    let dir_vs_stream = meshgen(dir, &["diff", "m", "default.yaml"]);
    assert_eq!(dir_vs_stream.status.code(), Some(1));
    assert_eq!(
        text(&dir_vs_stream.stdout),
        "- ConfigMap/istio-system/extra\n0 changed, 0 added, 1 removed\n"
    );

    let changed = meshgen(dir, &["diff", "default.yaml", "permissive.yaml"]);
    assert_eq!(changed.status.code(), Some(1));
    let report = text(&changed.stdout);
    assert!(
        report.contains("~ security.istio.io/PeerAuthentication/istio-system/default\n    spec.mtls.mode: \"STRICT\" -> \"PERMISSIVE\"\n"),
        "{report}"
    );

    // `-` reads standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshgen"))
        .current_dir(dir)
        .args(["diff", "default.yaml", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&stream.stdout)
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());

    let missing = meshgen(dir, &["diff", "default.yaml", "nope.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
}
