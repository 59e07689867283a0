//! One positive and one negative test per analyzer, driven by hand-written manifest sets in
//! `tests/fixtures/lint/`: `MGxxxx.trigger*.yaml` must produce findings of code MGxxxx and no
//! other, with the text report committed next to it as `MGxxxx.trigger*.txt`;
//! `MGxxxx.pass*.yaml` (the fixed set) must produce no finding at all. Every fixture must also
//! pass typed validation. `MESHGEN_BLESS=1` rewrites the `.txt` reports.

use std::path::{Path, PathBuf};

use meshgen::lint::{LintOptions, check_types, lint, to_text};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

fn load(path: &Path) -> Vec<Value> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let documents: Vec<Value> = serde_saphyr::from_multiple(&text)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    documents
        .into_iter()
        .filter(|document| !document.is_null())
        .collect()
}

/// Fixture files of `code` whose name continues with `.{role}`, sorted.
fn files(code: &str, role: &str) -> Vec<PathBuf> {
    let prefix = format!("{code}.{role}");
    let mut found: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures directory")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            name.starts_with(&prefix) && name.ends_with(".yaml")
        })
        .collect();
    found.sort();
    found
}

fn check(code: &str) {
    let triggers = files(code, "trigger");
    let passes = files(code, "pass");
    assert!(
        !triggers.is_empty() && !passes.is_empty(),
        "{code} needs a trigger and a pass fixture"
    );
    for path in triggers.iter().chain(&passes) {
        let objects = load(path);
        let type_errors: Vec<String> = check_types(&objects)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            type_errors.is_empty(),
            "{}: {type_errors:?}",
            path.display()
        );
    }
    for path in &triggers {
        let report = lint(&load(path), &LintOptions::default());
        let text = to_text(&report);
        assert!(
            !report.findings.is_empty(),
            "{}: expected {code}, found nothing",
            path.display()
        );
        assert!(
            report.findings.iter().all(|finding| finding.code == code),
            "{}: expected only {code}:\n{text}",
            path.display()
        );
        let expected = path.with_extension("txt");
        if std::env::var_os("MESHGEN_BLESS").is_some() {
            std::fs::write(&expected, &text).expect("write report");
        }
        let committed = std::fs::read_to_string(&expected).unwrap_or_default();
        assert_eq!(
            committed,
            text,
            "{} differs; MESHGEN_BLESS=1 rewrites it",
            expected.display()
        );
    }
    for path in &passes {
        let report = lint(&load(path), &LintOptions::default());
        assert!(
            report.findings.is_empty(),
            "{}: expected nothing:\n{}",
            path.display(),
            to_text(&report)
        );
    }
}

macro_rules! analyzer_tests {
    ($($name:ident => $code:literal),* $(,)?) => {
        $(#[test] fn $name() { check($code); })*
    };
}

analyzer_tests! {
    mg0001_knative_serving_denied => "MG0001",
    mg0002_knative_probe_paths_denied => "MG0002",
    mg0003_namespace_outside_mesh => "MG0003",
    mg0004_ambient_with_knative => "MG0004",
    mg0005_l7_policy_without_waypoint => "MG0005",
    mg0006_conflicting_injection_labels => "MG0006",
    mg0007_unknown_revision => "MG0007",
    mg0008_peer_authentication_ineffective => "MG0008",
    mg0009_duplicate_default_telemetry => "MG0009",
    mg0010_deny_all_policy => "MG0010",
    mg0011_config_gateway_mismatch => "MG0011",
    mg0012_knative_gateway_listener => "MG0012",
    mg0013_knative_webhook_strict => "MG0013",
    mg0014_istio_validation_ignore => "MG0014",
    mg0015_discovery_selectors_exclude => "MG0015",
}

#[test]
fn every_fixture_belongs_to_an_analyzer() {
    for entry in std::fs::read_dir(fixtures()).expect("fixtures directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            continue; // e.g. sarif/: the vendored schema
        }
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_owned();
        let code = name.split('.').next().unwrap_or_default();
        assert!(
            meshgen::lint::rule(code).is_some(),
            "{name}: no analyzer {code}"
        );
        assert!(
            name.contains(".trigger") || name.contains(".pass"),
            "{name}: neither trigger nor pass"
        );
        if name.ends_with(".txt") {
            assert!(
                path.with_extension("yaml").exists(),
                "{name}: no fixture for this report"
            );
        }
    }
}
