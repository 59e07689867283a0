//! Golden renders of the example overlays in `overlays/`. Each case is a profile in
//! `tests/fixtures/overlays/examples/NAME.yaml` that lists the example overlay; its full render
//! is `golden/overlays/example@NAME.yaml.snap`, and what the overlay changes (a `meshgen diff`
//! against the same profile without overlays) is `golden/overlays/example-diff@NAME.yaml.snap`,
//! the part a reviewer reads. `ci/overlay-examples-test.sh` validates the same renders with
//! `validate-manifests --strict`.

use std::path::Path;

use meshgen::diff::{ObjectSet, diff_objects};
use meshgen::emit;
use meshgen::paths::ProjectRoot;
use meshgen::pipeline;
use meshgen::profile::ProfileSource;

#[test]
fn example_overlays_render_as_committed() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../golden/overlays");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::glob!("fixtures/overlays/examples/*.yaml", |path| {
            let relative = path
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .expect("fixture inside the package");
            let root = ProjectRoot::new(Path::new(".")).unwrap();
            let source = ProfileSource::Path(relative.to_path_buf());
            let loaded = pipeline::load_profile(&source, &root).unwrap();
            assert!(
                !loaded.profile.overlays.is_empty(),
                "the case lists its overlay"
            );
            let mut base = loaded.clone();
            base.profile.overlays.clear();
            let with =
                pipeline::render_profile(loaded, &root, &[]).unwrap_or_else(|e| panic!("{e}"));
            let without = pipeline::render_profile(base, &root, &[]).unwrap();
            let stream = emit::stream(&with.resources);
            insta::assert_snapshot!("example", stream);
            let changes = diff_objects(
                &ObjectSet::from_stream("without", &emit::stream(&without.resources)).unwrap(),
                &ObjectSet::from_stream("with", &stream).unwrap(),
            );
            assert!(!changes.is_empty(), "the overlay changes something");
            insta::assert_snapshot!("example-diff", changes.report());
        });
    });
}

/// The profile knobs the `ha` overlay relies on (see its header): replicas above one with
/// autoscaling off render a PodDisruptionBudget, and no HorizontalPodAutoscaler.
#[test]
fn ha_profile_settings_render_a_pdb_instead_of_an_hpa() {
    let root = ProjectRoot::new(Path::new(".")).unwrap();
    let source = ProfileSource::Path("tests/fixtures/overlays/examples/ha.yaml".into());
    let rendered = pipeline::render(&source, &root).unwrap();
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
