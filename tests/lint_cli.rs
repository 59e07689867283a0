//! `meshgen lint` as users run it: on the golden renders (no errors), on one hand-broken set
//! per analyzer (its code), in every output format; and typed validation failing `render` when
//! an overlay misspells a field.

mod common;

use std::fs;
use std::path::Path;

use common::{Meshgen, fixtures};

/// The render inside an insta snapshot (a header between two `---` lines, then the body).
fn snapshot_body(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let rest = text.strip_prefix("---\n").expect("an insta snapshot");
    rest.split_once("\n---\n")
        .expect("a snapshot header")
        .1
        .to_owned()
}

#[test]
fn golden_renders_have_no_errors() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut renders: Vec<_> = fs::read_dir(&golden)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    renders.extend(
        fs::read_dir(golden.join("overlays"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("example@")
            }),
    );
    renders.retain(|p| p.extension().is_some_and(|e| e == "snap"));
    assert!(renders.len() >= 14, "{renders:?}");
    let dir = tempfile::tempdir().unwrap();
    for snapshot in renders {
        let name = snapshot.file_name().unwrap().to_string_lossy().into_owned();
        let manifests = dir.path().join(format!("{name}.yaml"));
        fs::write(&manifests, snapshot_body(&snapshot)).unwrap();
        let mut command = Meshgen::new()
            .args(["lint", "--manifests"])
            .args([&manifests]);
        if name.contains("ambient") {
            // The ambient profile acknowledges MG0004 in its profile; --manifests has no profile.
            command = command.args(["--ignore", "MG0004=ambient under Knative, on purpose"]);
        }
        let run = command.run();
        assert_eq!(run.code, 0, "{name}:\n{}{}", run.stdout, run.stderr);
    }
}

#[test]
fn each_broken_set_reports_its_code() {
    let dir = fixtures().join("lint");
    let mut triggers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".trigger.yaml"))
        .collect();
    triggers.sort();
    assert_eq!(
        triggers.len(),
        15,
        "one broken set per analyzer: {triggers:?}"
    );
    for trigger in triggers {
        let code = trigger.trim_end_matches(".trigger.yaml");
        let run = Meshgen::new()
            .args(["lint", "--format", "json", "--manifests"])
            .args([dir.join(&trigger)])
            .run();
        let report: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{trigger}: {e}"));
        let codes: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect();
        assert!(codes.contains(&code), "{trigger}: {codes:?}");
        let errors = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "error");
        assert_eq!(run.code, if errors { 1 } else { 0 }, "{trigger}");
        let pass = Meshgen::new()
            .args(["lint", "--format", "json", "--manifests"])
            .args([dir.join(format!("{code}.pass.yaml"))])
            .run();
        assert!(
            !pass.stdout.contains(&format!("\"{code}\"")),
            "{code}.pass.yaml: {}",
            pass.stdout
        );
    }
}

#[test]
fn formats_and_explain() {
    let trigger = fixtures().join("lint/MG0013.trigger.yaml");
    let sarif = Meshgen::new()
        .args(["lint", "--format", "sarif", "--manifests"])
        .args([&trigger])
        .run();
    assert_eq!(sarif.code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "MG0013");
    let explain = Meshgen::new().args(["lint", "--explain", "MG0004"]).run();
    assert_eq!(explain.code, 0);
    assert!(explain.stdout.starts_with("MG0004"), "{}", explain.stdout);
    let unknown = Meshgen::new().args(["lint", "--explain", "MG9999"]).run();
    assert_eq!(unknown.code, 2);
    let bad_ignore = Meshgen::new()
        .args(["lint", "--manifests"])
        .args([&trigger])
        .args(["--ignore", "MG0013"])
        .run();
    assert_eq!(bad_ignore.code, 2, "a reason is required");
}

#[test]
fn lint_of_a_profile_uses_its_acknowledgements() {
    let ambient = Meshgen::new().args(["lint", "ambient"]).run();
    assert_eq!(ambient.code, 0, "{}", ambient.stdout);
    assert!(
        ambient.stdout.contains("2 acknowledged"),
        "{}",
        ambient.stdout
    );
    let default = Meshgen::new().args(["lint", "default"]).run();
    assert_eq!(
        (default.code, default.stdout.as_str()),
        (0, "No problems found.\n")
    );
}

#[test]
fn analyzer_errors_stop_render_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Ambient under Knative without the acknowledgement the built-in profile carries.
    fs::write(
        dir.path().join("meshgen.yaml"),
        "apiVersion: meshgen.dev/v1alpha1\nkind: MeshProfile\nspec:\n  dataplane:\n    mode: ambient\n",
    )
    .unwrap();
    let run = Meshgen::new()
        .current_dir(dir.path())
        .args(["render", "--out", "out"])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error[MG0004]"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(!dir.path().join("out").exists());
}

#[test]
fn an_overlay_that_misspells_a_field_fails_render() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("typo.yaml"),
        "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: typo\npatches:\n- target:\n    kind: Deployment\n    name: istiod\n  mergePatch:\n    spec:\n      replcias: 3\n",
    )
    .unwrap();
    let run = Meshgen::new()
        .current_dir(dir.path())
        .args(["render", "default", "--overlay", "typo.yaml"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("apps/Deployment/istio-system/istiod"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("/spec/replcias"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `replicas`"),
        "{}",
        run.stderr
    );
    insta::assert_snapshot!("overlay-typo", run.stderr);
}
