//! Golden renders: the committed output of every built-in profile (suite `builtin`:
//! `profiles/NAME.yaml` ↔ `golden/builtin/NAME.snap`) and of every fixture profile (suite
//! `profiles`: `tests/fixtures/profiles/NAME.yaml` ↔ `golden/profiles/NAME.snap`), what
//! `meshgen render` prints for them; the key order of RBAC bindings in all of them; and the
//! naming rule itself: every snapshot under `golden/` belongs to a case.

use std::path::{Path, PathBuf};

use meshgen::core::paths::ProjectRoot;
use meshgen::emit;
use meshgen::pipeline;
use meshgen::profile::ProfileSource;

use crate::harness::{
    CASES_WITHOUT_FIXTURE, assert_golden, fixture_cases, fixture_of, golden, golden_renders, repo,
};
use crate::upstream;

/// What `meshgen render SOURCE` prints, rendered in process from the repository.
pub fn render(source: &ProfileSource) -> String {
    let root = ProjectRoot::new(repo()).unwrap();
    let loaded =
        pipeline::load_profile(source, &root).unwrap_or_else(|e| panic!("{source:?} loads: {e:?}"));
    let rendered = pipeline::render(loaded, &root, &[])
        .and_then(pipeline::Rendered::lint_errors)
        .unwrap_or_else(|e| panic!("{source:?} renders: {e:?}"));
    emit::stream(&rendered.resources)
}

#[test]
fn builtin_profiles() {
    let names: Vec<&str> = meshgen::profile::builtin::names().collect();
    assert!(names.len() >= 3, "{names:?}");
    for name in names {
        let text = render(&ProfileSource::Builtin(name.to_owned()));
        assert_golden("builtin", name, &text);
    }
}

#[test]
fn fixture_profiles() {
    let cases = fixture_cases("profiles");
    assert!(cases.len() >= 8, "fixture profiles are missing: {cases:?}");
    for (case, path) in cases {
        assert_golden("profiles", &case, &render(&ProfileSource::Path(path)));
    }
}

/// Bindings the template writes, as upstream's istio-cni chart does, with `subjects` first.
const SUBJECTS_FIRST: &[&str] = &["istio-cni-ambient", "istio-cni-repair-rolebinding"];

/// `finish` keeps the key order the templates (and upstream) give: `roleRef` before `subjects`
/// in every ClusterRoleBinding and RoleBinding, save the two istio-cni bindings upstream writes
/// the other way round. (The old `finish::reorder` swap-removed keys and put `subjects` first
/// everywhere.)
#[test]
fn bindings_keep_roleref_before_subjects() {
    let mut bindings = 0;
    let mut subjects_first = std::collections::BTreeSet::new();
    for (path, render) in golden_renders() {
        let objects = meshgen::core::yaml::parse_manifests(&render)
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        for object in objects {
            let kind = object["kind"].as_str().unwrap_or_default();
            if kind != "ClusterRoleBinding" && kind != "RoleBinding" {
                continue;
            }
            bindings += 1;
            let keys: Vec<&str> = object
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let at = |key: &str| keys.iter().position(|k| *k == key);
            let name = object["metadata"]["name"].as_str().unwrap().to_owned();
            let (Some(role_ref), Some(subjects)) = (at("roleRef"), at("subjects")) else {
                panic!(
                    "{}: {kind} {name} lacks roleRef or subjects",
                    path.display()
                );
            };
            if SUBJECTS_FIRST.contains(&name.as_str()) {
                assert!(subjects < role_ref, "{}: {name}: {keys:?}", path.display());
                subjects_first.insert(name);
            } else {
                assert!(
                    role_ref < subjects,
                    "{}: {kind} {name}: roleRef must come before subjects: {keys:?}",
                    path.display()
                );
            }
        }
    }
    assert!(
        bindings >= 40,
        "only {bindings} bindings in the golden renders"
    );
    assert_eq!(
        subjects_first
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        SUBJECTS_FIRST,
        "every exception is still rendered (ambient)"
    );
    // The exceptions are upstream's own order.
    if let Some(objects) = upstream::objects("upstream/istio-1.30.3/ambient.yaml") {
        for name in SUBJECTS_FIRST {
            let binding = objects
                .iter()
                .find(|o| o["kind"] == "ClusterRoleBinding" && o["metadata"]["name"] == *name)
                .unwrap_or_else(|| panic!("upstream has no ClusterRoleBinding {name}"));
            let keys: Vec<&String> = binding.as_object().unwrap().keys().collect();
            let at = |key: &str| keys.iter().position(|k| *k == key).unwrap();
            assert!(at("subjects") < at("roleRef"), "upstream {name}: {keys:?}");
        }
    }
}

/// Every `*.snap` under `golden/`, as (suite, case).
fn snapshots() -> Vec<(String, String, PathBuf)> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(golden()).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy();
        if !entry.file_type().is_file() || name.ends_with(".snap.new") {
            continue;
        }
        assert!(
            name.ends_with(".snap") || name.ends_with(".pending-snap"),
            "{}: only snapshots live in golden/",
            path.display()
        );
        let Some(case) = name.strip_suffix(".snap") else {
            continue;
        };
        let suite = path
            .parent()
            .unwrap()
            .strip_prefix(golden())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        found.push((suite, case.to_owned(), path.to_path_buf()));
    }
    found
}

#[test]
fn every_snapshot_belongs_to_a_case() {
    let snapshots = snapshots();
    let mut orphans = Vec::new();
    for (suite, case, path) in &snapshots {
        let listed = CASES_WITHOUT_FIXTURE.contains(&format!("{suite}/{case}").as_str());
        match (fixture_of(suite, case), listed) {
            (Some(_), false) | (None, true) => {}
            (Some(fixture), true) => orphans.push(format!(
                "{suite}/{case} is in CASES_WITHOUT_FIXTURE but has {}",
                fixture.display()
            )),
            (None, false) => orphans.push(format!(
                "{}: no fixture tests/fixtures/{suite}/{case}.yaml (delete it, or list the case in CASES_WITHOUT_FIXTURE)",
                path.display()
            )),
        }
    }
    for listed in CASES_WITHOUT_FIXTURE {
        if !snapshots
            .iter()
            .any(|(suite, case, _)| format!("{suite}/{case}") == *listed)
        {
            orphans.push(format!(
                "{listed}: listed, but golden/{listed}.snap is missing"
            ));
        }
    }
    assert!(orphans.is_empty(), "{}", orphans.join("\n"));
    let mut sorted = CASES_WITHOUT_FIXTURE.to_vec();
    sorted.sort_unstable();
    assert_eq!(sorted, CASES_WITHOUT_FIXTURE, "keep the list sorted");
    assert!(Path::new(&golden().join("builtin")).is_dir());
}
