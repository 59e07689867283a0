//! `meshgen check`, `meshgen diff` and `render --fail-on-change`, run as the binary the way CI
//! and pre-commit run them: exit codes, what they print, that checking writes nothing, and how
//! a manifest set that holds one object twice is reported.

use std::fs;

use crate::harness::Test;

const EXTRA_OVERLAY: &str = "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\nresources:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: extra, namespace: istio-system}\n  data: {a: b}\n";

#[test]
fn check_passes_on_a_fresh_render_and_reports_drift_without_writing() {
    let rendered = Test::new()
        .write("extra.yaml", EXTRA_OVERLAY)
        .args(["render", "default", "--overlay", "extra.yaml", "--out", "m"])
        .run();
    let ok = Test::with_tempdir(rendered.tempdir)
        .args(["check", "default", "--overlay", "extra.yaml", "--out", "m"])
        .stdout("")
        .stderr("")
        .run();

    // Drift: one file edited, one deleted; and the overlay's object is no longer rendered.
    let deployment = ok
        .path()
        .join("m/istiod/deployment_istio-system_istiod.yaml");
    let edited = fs::read_to_string(&deployment)
        .unwrap()
        .replace("maxSurge: 100%", "maxSurge: 50%");
    fs::write(&deployment, edited).unwrap();
    fs::remove_file(ok.path().join("m/istiod/service_istio-system_istiod.yaml")).unwrap();
    let drift = Test::with_tempdir(ok.tempdir)
        .args(["check", "default", "--out", "m"])
        .status(1)
        .stdout_contains("--- m/istiod/deployment_istio-system_istiod.yaml\n+++ m/istiod/deployment_istio-system_istiod.yaml (rendered)\n@@ ")
        .stdout_contains("-      maxSurge: 50%\n+      maxSurge: 100%\n")
        .stdout_contains("missing: m/istiod/service_istio-system_istiod.yaml")
        .stdout_contains("extra: m/overlay/configmap_istio-system_extra.yaml")
        // The lock lists the overlay among the inputs, so it differs too.
        .stdout_contains("--- m/meshgen.lock")
        .stderr_contains("is not what meshgen renders")
        .expect_unchanged("m")
        .run();

    // A directory that does not exist: everything is missing.
    Test::with_tempdir(drift.tempdir)
        .args(["check", "default", "--out", "nowhere"])
        .status(1)
        .stdout_contains("missing: nowhere/kustomization.yaml")
        .expect_absent("nowhere")
        .run();
}

#[test]
fn fail_on_change_exits_1_naming_what_it_wrote_or_deleted() {
    let args = [
        "render",
        "default",
        "--overlay",
        "extra.yaml",
        "--out",
        "m",
        "--fail-on-change",
    ];
    let first = Test::new()
        .write("extra.yaml", EXTRA_OVERLAY)
        .args(args)
        .status(1)
        .stderr_contains("wrote m/kustomization.yaml")
        .stderr_contains("was not up to date")
        .run();
    assert!(
        first.path().join("m/meshgen.lock").exists(),
        "it still writes"
    );

    let second = Test::with_tempdir(first.tempdir)
        .args(args)
        .stderr("m is up to date\n")
        .expect_unchanged("m")
        .run();

    let third = Test::with_tempdir(second.tempdir)
        .args(["render", "default", "--out", "m", "--fail-on-change"])
        .status(1)
        .stderr_contains("removed m/overlay/configmap_istio-system_extra.yaml")
        .run();

    // Without the flag a change is a success (build.sh, CI regeneration).
    Test::with_tempdir(third.tempdir)
        .args(["render", "default", "--overlay", "extra.yaml", "--out", "m"])
        .run();
}

#[test]
fn diff_compares_renders_by_identity() {
    let default = Test::new().args(["render", "default"]).run().stdout;
    let permissive = Test::new().args(["render", "permissive"]).run().stdout;
    let out = Test::new()
        .write("extra.yaml", EXTRA_OVERLAY)
        .write("default.yaml", &default)
        .write("permissive.yaml", &permissive)
        .args(["render", "default", "--overlay", "extra.yaml", "--out", "m"])
        .run();

    // A directory and a stream of the same render are equal: layout, order and the
    // kustomization/lock files do not count.
    let same = Test::with_tempdir(out.tempdir)
        .args(["diff", "default.yaml", "default.yaml"])
        .stdout("")
        .run();
    let dir_vs_stream = Test::with_tempdir(same.tempdir)
        .args(["diff", "m", "default.yaml"])
        .status(1)
        .stdout("- ConfigMap/istio-system/extra\n0 changed, 0 added, 1 removed\n")
        .run();
    let changed = Test::with_tempdir(dir_vs_stream.tempdir)
        .args(["diff", "default.yaml", "permissive.yaml"])
        .status(1)
        .stdout_contains("~ security.istio.io/PeerAuthentication/istio-system/default\n    spec.mtls.mode: \"STRICT\" -> \"PERMISSIVE\"\n")
        .run();

    // `-` reads standard input.
    let stdin = Test::with_tempdir(changed.tempdir)
        .args(["diff", "default.yaml", "-"])
        .stdin(&default)
        .run();
    Test::with_tempdir(stdin.tempdir)
        .args(["diff", "default.yaml", "nope.yaml"])
        .status(2)
        .run();
}

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
const CONFIG_MAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: shop\ndata:\n  a: b\n";

/// The manifest reader keeps each object's file and line: an object found in two files with
/// different contents is reported naming both places; identical copies count once.
#[test]
fn an_object_in_two_files_is_reported_with_both() {
    let labelled = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n";
    let set = Test::new()
        .write("set/a.yaml", format!("{CONFIG_MAP}---\n{NAMESPACE}"))
        .write("set/b.yaml", NAMESPACE)
        .write("other/only.yaml", format!("{NAMESPACE}---\n{CONFIG_MAP}"));
    // Identical copies: one object.
    let same = set
        .args(["diff", "set", "other/only.yaml"])
        .stdout("")
        .run();
    let conflict = Test::with_tempdir(same.tempdir)
        .write("set/b.yaml", labelled)
        .args(["lint", "--manifests", "set"])
        .status(2)
        .stderr_contains(
            "`Namespace/shop` appears twice with different contents: set/a.yaml:9 and set/b.yaml:1",
        )
        .stderr_contains("--> set/b.yaml:1:1")
        .stderr_contains("= help: ")
        .run();
    assert!(
        conflict.stderr.starts_with("error: "),
        "{}",
        conflict.stderr
    );
    // Two paths on the command line are one set too.
    let lint = Test::with_tempdir(conflict.tempdir)
        .args(["lint", "--manifests", "set/a.yaml", "set/b.yaml"])
        .status(2)
        .stderr_contains("set/a.yaml:9 and set/b.yaml:1")
        .run();
    Test::with_tempdir(lint.tempdir)
        .args(["diff", "set", "other/only.yaml"])
        .status(2)
        .stderr_contains("set/a.yaml:9 and set/b.yaml:1")
        .run();
}
