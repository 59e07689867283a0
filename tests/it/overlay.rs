//! Overlays: errors, behaviour, and the example overlays.
//!
//! Suite `overlays/errors`: every bad overlay `tests/fixtures/overlays/errors/CASE.yaml` is
//! applied to the `default` profile and its message (as `meshgen` prints it) is
//! `golden/overlays/errors/CASE.snap`; cases that need a file-system layout (symlinks, files
//! outside the root) build it in a temporary directory and have no fixture.
//!
//! Suite `overlays/examples`: each case is a profile that lists one example overlay of
//! `overlays/`; its full render is `golden/overlays/examples/CASE.snap`, and what the overlay
//! changes (a `meshgen diff` against the same profile without overlays) is the `diff` view,
//! `golden/overlays/examples/CASE.diff.snap`, the part a reviewer reads.
//! `ci/overlay-examples-test.sh` validates the same renders with `validate-manifests --strict`.
//!
//! In-process renders run from the repository (cargo runs tests there) with root `.`, so
//! messages name files as a user in the repository would.

use std::fs;
use std::path::{Path, PathBuf};

use annotate_snippets::Renderer;
use meshgen::cli::report::error_text;
use meshgen::compare::{Manifests, diff_objects};
use meshgen::core::paths::ProjectRoot;
use meshgen::core::resource::Component;
use meshgen::emit;
use meshgen::error::Error;
use meshgen::pipeline::{self, Rendered};
use meshgen::profile::ProfileSource;

use crate::harness::{Test, assert_golden, fixture_cases};

fn render(profile: &str, root: &Path, overlays: &[PathBuf]) -> Result<Rendered, Error> {
    let root = ProjectRoot::new(root).expect("root exists");
    let loaded = pipeline::load_profile(&ProfileSource::parse(profile), &root)?;
    pipeline::render(loaded, &root, overlays)
}

/// The error of a render that must fail, as `meshgen` prints it. Overlay problems are input
/// errors, which exit 2.
fn render_error(profile: &str, root: &Path, overlays: &[PathBuf]) -> String {
    match render(profile, root, overlays) {
        Ok(_) => panic!("expected the overlay to be rejected"),
        Err(error) => {
            assert!(
                matches!(error, Error::Input(_) | Error::Inputs(_)),
                "an input error (exit 2): {error:?}"
            );
            error_text(&error, Renderer::plain())
        }
    }
}

#[test]
fn overlay_errors_are_positioned_and_explained() {
    for (case, path) in fixture_cases("overlays/errors") {
        let text = render_error("default", Path::new("."), std::slice::from_ref(&path));
        assert!(
            text.contains(&format!("--> {}:", path.display())),
            "{case}: the error points into the overlay file:\n{text}"
        );
        assert!(text.contains("= help: "), "{case}: no help:\n{text}");
        assert_golden("overlays/errors", &case, &text);
    }
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
    let text = render_error("default", &project, &[project.join("ha.yaml")]);
    assert_golden(
        "overlays/errors",
        "symlink-outside-root",
        &redact(&text, dir.path()),
    );
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
    let text = render_error("default", &dir.path().join("project"), &[overlays]);
    assert!(
        text.contains("20-link.yaml") && text.contains("outside the project root"),
        "{text}"
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
    let text = render_error(
        &profile.display().to_string(),
        &dir.path().join("project"),
        &[],
    );
    assert!(text.contains("meshgen.yaml:5:3"), "{text}");
    assert_golden(
        "overlays/errors",
        "profile-overlay-outside-root",
        &redact(&text, dir.path()),
    );
}

#[test]
fn missing_overlay_is_an_error() {
    let text = render_error(
        "default",
        Path::new("."),
        &[PathBuf::from("tests/fixtures/overlays/does-not-exist.yaml")],
    );
    assert_golden("overlays/errors", "missing-overlay", &text);
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
    .unwrap_or_else(|e| panic!("{e:?}"));
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
    assert_eq!(extra.component, Component::Overlay);
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
        render("default", &project, &[project.join("o.yaml")]).unwrap_or_else(|e| panic!("{e:?}"));
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
        render("default", &project, &[project.join("o.yaml")]).unwrap_or_else(|e| panic!("{e:?}"));
    let values = rendered
        .resources
        .iter()
        .find(|r| r.identity().name == "values")
        .unwrap();
    let text = values.object["data"]["original-values"].as_str().unwrap();
    let parsed: serde_json::Value = serde_json::from_str(text).expect("still JSON");
    assert_eq!(parsed["example"], true);
}

#[test]
fn a_failing_overlay_writes_nothing_and_exits_2() {
    let previous = Test::new()
        .args(["render", "default", "--out", "manifests"])
        .run();
    Test::with_tempdir(previous.tempdir)
        .write(
            "bad.yaml",
            "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\npatches:\n- target: {kind: Deployment, name: istiod}\n  jsonPatch:\n  - {op: test, path: /spec/replicas, value: 7}\n",
        )
        .args([
            "render",
            "default",
            "--overlay",
            "bad.yaml",
            "--out",
            "manifests",
        ])
        .status(2)
        .stderr_contains(" --> bad.yaml:6:")
        .expect_unchanged("manifests")
        .run();
}

/// The overlay file format is typed: an unknown key is an error at its line and column, with
/// the closest valid key.
#[test]
fn an_unknown_overlay_key_is_positioned_with_a_suggestion() {
    Test::new()
        .write(
            "o.yaml",
            "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\npatches:\n- target: {kind: Deployment, name: istiod}\n  mergePatch: {spec: {revisionHistoryLimit: 3}}\n  mergPatch: {}\n",
        )
        .args(["render", "default", "--overlay", "o.yaml"])
        .status(2)
        .stderr_contains("unknown key `mergPatch`")
        .stderr_contains(" --> o.yaml:6:3\n")
        .stderr_contains("did you mean `mergePatch`?")
        .run();
}

const VIRTUAL_SERVICE: &str = "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\nresources:\n- apiVersion: networking.istio.io/v1\n  kind: VirtualService\n  metadata: {name: shop, namespace: istio-system}\n  spec:\n    hosts: [shop.example.com]\n    http:\n    - route:\n      - destination: {host: shop.shop.svc.cluster.local}\n";

/// Typed validation fails the render on a field the API server would drop: a Kubernetes kind
/// through its type, a custom resource (a VirtualService) through its CRD's schema, the same
/// way: exit 2, the object, the field's pointer and the closest field name.
#[test]
fn an_overlay_that_misspells_a_field_fails_render() {
    let run = Test::new()
        .write(
            "typo.yaml",
            "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: typo\npatches:\n- target:\n    kind: Deployment\n    name: istiod\n  mergePatch:\n    spec:\n      replcias: 3\n",
        )
        .args(["render", "default", "--overlay", "typo.yaml"])
        .status(2)
        .stderr_contains("`apps/Deployment/istio-system/istiod`")
        .stderr_contains("at `/spec/replcias`")
        .stderr_contains("did you mean `replicas`?")
        .run();
    assert_golden("cli", "overlay-typo", &run.stderr);

    // Without the typo the VirtualService renders; with it (in a patch, as above), it fails.
    Test::new()
        .write("vs.yaml", VIRTUAL_SERVICE)
        .args(["render", "default", "--overlay", "vs.yaml"])
        .stdout_contains("kind: VirtualService\n")
        .run();
    let run = Test::new()
        .write("vs.yaml", VIRTUAL_SERVICE)
        .write(
            "typo.yaml",
            "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\npatches:\n- target: {kind: VirtualService, name: shop}\n  mergePatch:\n    spec:\n      gateway: [mesh]\n",
        )
        .args([
            "render",
            "default",
            "--overlay",
            "vs.yaml",
            "--overlay",
            "typo.yaml",
        ])
        .status(2)
        .stderr_contains("`networking.istio.io/VirtualService/istio-system/shop`")
        .stderr_contains("at `/spec/gateway`")
        .stderr_contains("did you mean `gateways`?")
        .run();
    assert_golden("cli", "overlay-typo-virtualservice", &run.stderr);
}

#[test]
fn example_overlays_render_as_committed() {
    let cases = fixture_cases("overlays/examples");
    assert!(cases.len() >= 3, "{cases:?}");
    for (case, path) in cases {
        let root = ProjectRoot::new(Path::new(".")).unwrap();
        let loaded = pipeline::load_profile(&ProfileSource::Path(path), &root).unwrap();
        assert!(
            !loaded.profile.overlays.is_empty(),
            "{case}: the case lists its overlay"
        );
        let mut base = loaded.clone();
        base.profile.overlays.clear();
        let with = pipeline::render(loaded, &root, &[])
            .and_then(Rendered::lint_errors)
            .unwrap_or_else(|e| panic!("{case}: {e:?}"));
        let without = pipeline::render(base, &root, &[]).unwrap();
        let stream = emit::stream(&with.resources);
        assert_golden("overlays/examples", &case, &stream);
        let changes = diff_objects(
            &Manifests::from_stream("without", &emit::stream(&without.resources)).unwrap(),
            &Manifests::from_stream("with", &stream).unwrap(),
        )
        .unwrap();
        assert!(!changes.is_empty(), "{case}: the overlay changes something");
        assert_golden(
            "overlays/examples",
            &format!("{case}.diff"),
            &changes.report(),
        );
    }
}

/// The profile knobs the `ha` overlay relies on (see its header): replicas above one with
/// autoscaling off render a PodDisruptionBudget, and no HorizontalPodAutoscaler.
#[test]
fn ha_profile_settings_render_a_pdb_instead_of_an_hpa() {
    let rendered = render(
        "tests/fixtures/overlays/examples/ha.yaml",
        Path::new("."),
        &[],
    )
    .unwrap();
    let kinds: Vec<String> = rendered
        .resources
        .iter()
        .map(|r| r.identity().kind)
        .collect();
    assert!(kinds.iter().any(|k| k == "PodDisruptionBudget"));
    assert!(!kinds.iter().any(|k| k == "HorizontalPodAutoscaler"));
    let deployment = rendered
        .resources
        .iter()
        .find(|r| r.identity().kind == "Deployment")
        .unwrap();
    assert_eq!(deployment.object["spec"]["replicas"], 3);
    let pdb = rendered
        .resources
        .iter()
        .find(|r| r.identity().kind == "PodDisruptionBudget")
        .unwrap();
    assert_eq!(pdb.object["spec"]["minAvailable"], 2);
}
