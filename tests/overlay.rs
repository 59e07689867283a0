//! Overlay errors and behaviour. Every bad overlay in `tests/fixtures/overlays/errors/NAME.yaml`
//! is applied to the `default` profile and its message snapshotted as
//! `golden/overlays/error@NAME.yaml.snap` (the snapshot names its fixture in `input_file`).
//! Cases that need a file system layout (symlinks, files outside the root) build it in a
//! temporary directory and snapshot as `golden/overlays/error@CASE.snap`.

mod common;

use common::snapshot_dir;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use meshgen::error::Error;
use meshgen::paths::ProjectRoot;
use meshgen::pipeline;
use meshgen::profile::ProfileSource;

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../golden/overlays");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

fn render(profile: &str, root: &Path, overlays: &[PathBuf]) -> Result<pipeline::Rendered, Error> {
    let root = ProjectRoot::new(root).expect("root exists");
    pipeline::render_with(&ProfileSource::parse(profile), &root, overlays)
}

fn render_error(profile: &str, root: &Path, overlays: &[PathBuf]) -> Error {
    match render(profile, root, overlays) {
        Ok(_) => panic!("expected the overlay to be rejected"),
        Err(error) => error,
    }
}

#[test]
fn overlay_errors_are_positioned_and_explained() {
    settings().bind(|| {
        insta::glob!("fixtures/overlays/errors/*.yaml", |path| {
            let relative = path
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .expect("fixture inside the package");
            let error = render_error("default", Path::new("."), &[relative.to_path_buf()]);
            assert_eq!(error.exit_code(), 2, "bad input exits 2");
            let text = error.to_string();
            assert!(
                text.contains(&format!("--> {}:", relative.display())),
                "the error points into the overlay file:\n{text}"
            );
            insta::assert_snapshot!("error", text);
        });
    });
}

fn temp_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir(dir.path().join("project")).expect("project dir");
    dir
}

fn redact(text: &str, dir: &Path) -> String {
    let canonical = dir.canonicalize().expect("temp dir exists");
    text.replace(&canonical.display().to_string(), "[TMP]")
        .replace(&dir.display().to_string(), "[TMP]")
}

const GOOD_OVERLAY: &str = "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\npatches:\n- target: {kind: Deployment, name: istiod}\n  mergePatch: {spec: {revisionHistoryLimit: 3}}\n";

#[cfg(unix)]
#[test]
fn overlay_symlinked_outside_the_root_is_refused() {
    let dir = temp_project();
    let outside = dir.path().join("outside.yaml");
    fs::write(&outside, GOOD_OVERLAY).unwrap();
    let project = dir.path().join("project");
    std::os::unix::fs::symlink(&outside, project.join("ha.yaml")).unwrap();
    let error = render_error("default", &project, &[project.join("ha.yaml")]);
    assert_eq!(error.exit_code(), 2);
    settings().bind(|| {
        insta::assert_snapshot!(
            "error@symlink-outside-root",
            redact(&error.to_string(), dir.path())
        );
    });
}

#[cfg(unix)]
#[test]
fn overlay_directory_entry_symlinked_outside_the_root_is_refused() {
    let dir = temp_project();
    let outside = dir.path().join("outside.yaml");
    fs::write(&outside, GOOD_OVERLAY).unwrap();
    let overlays = dir.path().join("project/overlays");
    fs::create_dir(&overlays).unwrap();
    fs::write(overlays.join("10-good.yaml"), GOOD_OVERLAY).unwrap();
    std::os::unix::fs::symlink(&outside, overlays.join("20-link.yaml")).unwrap();
    let error = render_error("default", &dir.path().join("project"), &[overlays]);
    assert!(
        error.to_string().contains("20-link.yaml")
            && error.to_string().contains("outside the project root"),
        "{error}"
    );
}

#[test]
fn overlay_listed_by_the_profile_outside_the_root_points_at_the_profile() {
    let dir = temp_project();
    fs::write(dir.path().join("outside.yaml"), GOOD_OVERLAY).unwrap();
    let profile = dir.path().join("project/meshgen.yaml");
    fs::write(
        &profile,
        "apiVersion: meshgen.dev/v1alpha1\nkind: MeshProfile\nextends: default\noverlays:\n- ../outside.yaml\n",
    )
    .unwrap();
    let error = render_error(
        &profile.display().to_string(),
        &dir.path().join("project"),
        &[],
    );
    settings().bind(|| {
        insta::assert_snapshot!(
            "error@profile-overlay-outside-root",
            redact(&error.to_string(), dir.path())
        );
    });
}

#[test]
fn missing_overlay_is_an_error() {
    let error = render_error(
        "default",
        Path::new("."),
        &[PathBuf::from("tests/fixtures/overlays/does-not-exist.yaml")],
    );
    settings().bind(|| insta::assert_snapshot!("error@missing-overlay", error.to_string()));
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn directory_is_applied_in_file_name_order_after_the_profile_overlays() {
    let dir = temp_project();
    let project = dir.path().join("project");
    // 20-second tests what 10-first set: order matters, and file-name order is the contract.
    write(
        &project.join("dir/20-second.yaml"),
        "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\npatches:\n- target: {kind: Deployment, name: istiod}\n  jsonPatch:\n  - {op: test, path: /spec/revisionHistoryLimit, value: 1}\n  - {op: replace, path: /spec/revisionHistoryLimit, value: 2}\n",
    );
    write(
        &project.join("dir/10-first.yaml"),
        "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\npatches:\n- target: {kind: Deployment, name: istiod}\n  jsonPatch:\n  - {op: test, path: /spec/revisionHistoryLimit, value: 0}\n  - {op: replace, path: /spec/revisionHistoryLimit, value: 1}\n",
    );
    // Not an overlay: subdirectories and other extensions are skipped.
    write(&project.join("dir/notes.txt"), "not yaml");
    write(
        &project.join("dir/resources/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: istio-system}\n",
    );
    // The profile's own overlay runs first.
    write(
        &project.join("profile/zz-profile-overlay.yaml"),
        "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\npatches:\n- target: {kind: Deployment, name: istiod}\n  mergePatch: {spec: {revisionHistoryLimit: 0}}\nresources:\n- ../dir/resources/cm.yaml\n",
    );
    write(
        &project.join("profile/meshgen.yaml"),
        "apiVersion: meshgen.dev/v1alpha1\nkind: MeshProfile\nextends: default\noverlays:\n- zz-profile-overlay.yaml\n",
    );
    let rendered = render(
        &project.join("profile/meshgen.yaml").display().to_string(),
        &project,
        &[project.join("dir")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let deployment = rendered
        .resources
        .iter()
        .find(|r| r.identity().kind == "Deployment")
        .unwrap();
    assert_eq!(deployment.object["spec"]["revisionHistoryLimit"], 2);
    let extra = rendered
        .resources
        .iter()
        .find(|r| r.identity().name == "extra")
        .expect("the resource file is added");
    assert_eq!(extra.component, "overlay");
    assert_eq!(
        extra.object["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "meshgen"
    );
    // Every overlay input is in the lock, with its digest, relative to the root.
    let names: Vec<&str> = rendered.inputs.iter().map(|i| i.name.as_str()).collect();
    for expected in [
        "profile/meshgen.yaml",
        "profile/zz-profile-overlay.yaml",
        "dir/resources/cm.yaml",
        "dir/10-first.yaml",
        "dir/20-second.yaml",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[test]
fn patches_target_by_glob_and_labels_and_keep_key_order() {
    let dir = temp_project();
    let project = dir.path().join("project");
    write(
        &project.join("o.yaml"),
        r#"apiVersion: meshgen.dev/v1alpha1
kind: Overlay
patches:
# Both Knative gateways, by glob.
- target: {group: gateway.networking.k8s.io, kind: Gateway, name: "knative-*"}
  mergePatch:
    metadata:
      annotations:
        example.com/owner: mesh-team
# Every istiod object carrying the label, whatever its kind.
- target: {labelSelector: "app=istiod,istio in (pilot)", kind: "*"}
  mergePatch:
    metadata:
      labels:
        team: mesh
- target: {kind: Deployment, name: istiod}
  jsonPatch:
  - {op: remove, path: /spec/strategy}
"#,
    );
    let rendered =
        render("default", &project, &[project.join("o.yaml")]).unwrap_or_else(|e| panic!("{e}"));
    let gateways: Vec<_> = rendered
        .resources
        .iter()
        .filter(|r| r.identity().kind == "Gateway")
        .collect();
    assert_eq!(gateways.len(), 2);
    for gateway in gateways {
        assert_eq!(
            gateway.object["metadata"]["annotations"]["example.com/owner"],
            "mesh-team"
        );
    }
    let labelled = rendered
        .resources
        .iter()
        .filter(|r| r.object["metadata"]["labels"]["team"] == "mesh")
        .count();
    assert!(labelled >= 2, "label selector hits several kinds");
    let deployment = rendered
        .resources
        .iter()
        .find(|r| r.identity().kind == "Deployment")
        .unwrap();
    let keys: Vec<&String> = deployment.object["spec"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let mut base = render("default", &project, &[]).unwrap();
    let base_deployment = base
        .resources
        .iter_mut()
        .find(|r| r.identity().kind == "Deployment")
        .unwrap();
    base_deployment.object["spec"]
        .as_object_mut()
        .unwrap()
        .shift_remove("strategy");
    let base_keys: Vec<&String> = base_deployment.object["spec"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, base_keys, "remove keeps the order of the other keys");
}

#[test]
fn embedded_json_documents_stay_json() {
    let dir = temp_project();
    let project = dir.path().join("project");
    write(
        &project.join("o.yaml"),
        "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\npatches:\n- target: {kind: ConfigMap, name: values}\n  embedded: /data/original-values\n  mergePatch: {example: true}\n",
    );
    let rendered =
        render("default", &project, &[project.join("o.yaml")]).unwrap_or_else(|e| panic!("{e}"));
    let values = rendered
        .resources
        .iter()
        .find(|r| r.identity().name == "values")
        .unwrap();
    let text = values.object["data"]["original-values"].as_str().unwrap();
    let parsed: serde_json::Value = serde_json::from_str(text).expect("still JSON");
    assert_eq!(parsed["example"], true);
}

fn meshgen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_meshgen"))
}

#[test]
fn a_failing_overlay_writes_nothing_and_exits_2() {
    let dir = temp_project();
    let project = dir.path().join("project");
    let out = project.join("manifests");
    let status = meshgen()
        .current_dir(&project)
        .args(["render", "default", "--out", "manifests"])
        .status()
        .unwrap();
    assert!(status.success());
    let before: Vec<_> = snapshot_dir(&out);
    write(
        &project.join("bad.yaml"),
        "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\npatches:\n- target: {kind: Deployment, name: istiod}\n  jsonPatch:\n  - {op: test, path: /spec/replicas, value: 7}\n",
    );
    let output = meshgen()
        .current_dir(&project)
        .args([
            "render",
            "default",
            "--overlay",
            "bad.yaml",
            "--out",
            "manifests",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yaml:6:"), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(
        snapshot_dir(&out),
        before,
        "the previous output is untouched"
    );
}
