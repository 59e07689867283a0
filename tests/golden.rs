//! Golden renders: the committed output of every built-in profile and every fixture profile in
//! `tests/fixtures/profiles/`. `golden/builtin-NAME.snap` is the render of built-in `NAME`;
//! `golden/fixture-NAME.snap` the render of `tests/fixtures/profiles/NAME.yaml`.
//! After an intended change: `cargo insta test --review` (or `cargo insta review`).

use std::path::Path;

use meshgen::emit;
use meshgen::paths::ProjectRoot;
use meshgen::pipeline;
use meshgen::profile::ProfileSource;

fn render(source: &ProfileSource) -> String {
    let root = ProjectRoot::new(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let rendered =
        pipeline::render(source, &root).unwrap_or_else(|e| panic!("{source:?} renders: {e}"));
    emit::stream(&rendered.resources)
}

fn assert_golden(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "../golden",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn builtin_profiles() {
    for (name, _) in meshgen::profile::load::BUILTIN_PROFILES {
        assert_golden(
            &format!("builtin-{name}"),
            &render(&ProfileSource::Builtin((*name).to_owned())),
        );
    }
}

#[test]
fn fixture_profiles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profiles");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "fixture profiles are missing: {names:?}");
    for name in names {
        let stem = name.trim_end_matches(".yaml");
        let source = ProfileSource::Path(Path::new("tests/fixtures/profiles").join(&name));
        assert_golden(&format!("fixture-{stem}"), &render(&source));
    }
}
