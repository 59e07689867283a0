//! The report and its renderers: acknowledged findings stay apart and never count as errors,
//! stale acknowledgements are pointed out, and text and JSON say the same thing in a stable
//! shape (committed as `tests/fixtures/lint/output/report.{txt,json}`; `MESHGEN_BLESS=1`
//! rewrites them).

use std::path::{Path, PathBuf};

use meshgen::lint::{
    Ignore, KnativeNamespaces, LintOptions, Severity, TypeProblem, check_types, lint, lint_with,
    to_json, to_text,
};
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

fn fixture(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join(name)).expect("fixture");
    let documents: Vec<Value> = serde_saphyr::from_multiple(&text).expect("fixture parses");
    documents
        .into_iter()
        .filter(|document| !document.is_null())
        .collect()
}

fn assert_snapshot(path: &Path, actual: &str) {
    if std::env::var_os("MESHGEN_BLESS").is_some() {
        std::fs::write(path, actual).expect("write snapshot");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        committed,
        actual,
        "{} differs; MESHGEN_BLESS=1 rewrites it",
        path.display()
    );
}

fn mixed_options() -> LintOptions {
    LintOptions {
        ignore: vec![
            Ignore {
                code: "MG0004".into(),
                reason: "evaluating ambient on a test cluster".into(),
            },
            Ignore {
                code: "MG0009".into(),
                reason: "left over from an old setup".into(),
            },
        ],
    }
}

fn mixed_objects() -> Vec<Value> {
    let mut objects = fixture("MG0004.trigger.yaml");
    objects.extend(fixture("MG0014.trigger.yaml"));
    objects.extend(fixture("MG0006.trigger.yaml"));
    objects
}

#[test]
fn acknowledged_findings_are_kept_apart() {
    let report = lint(&mixed_objects(), &mixed_options());
    assert!(
        report
            .findings
            .iter()
            .all(|finding| finding.code != "MG0004")
    );
    assert_eq!(report.acknowledged.len(), 1);
    assert_eq!(report.acknowledged[0].finding.code, "MG0004");
    assert_eq!(
        report.acknowledged[0].reason,
        "evaluating ambient on a test cluster"
    );
    assert_eq!(report.unused_ignores.len(), 1);
    assert_eq!(report.unused_ignores[0].code, "MG0009");
    assert!(report.has_errors()); // MG0006 is an error
    assert_eq!(report.count(Severity::Warning), 2);

    // Only acknowledged errors and warnings left: no errors.
    let only_ambient = lint(&fixture("MG0004.trigger.yaml"), &mixed_options());
    assert!(only_ambient.findings.is_empty() && !only_ambient.has_errors());
    let only_warnings = lint(&fixture("MG0014.trigger.yaml"), &LintOptions::default());
    assert!(!only_warnings.findings.is_empty() && !only_warnings.has_errors());
}

#[test]
fn findings_are_sorted_and_independent_of_input_order() {
    let objects = mixed_objects();
    let report = lint(&objects, &mixed_options());
    let mut sorted = report.findings.clone();
    sorted.sort();
    assert_eq!(report.findings, sorted);
    let mut reversed = objects.clone();
    reversed.reverse();
    assert_eq!(lint(&reversed, &mixed_options()), report);
}

#[test]
fn text_and_json_reports() {
    let report = lint(&mixed_objects(), &mixed_options());
    let text = to_text(&report);
    assert_snapshot(&fixtures().join("output/report.txt"), &text);
    let json_text = to_json(&report);
    assert_snapshot(&fixtures().join("output/report.json"), &json_text);

    let parsed: Value = serde_json::from_str(&json_text).expect("JSON");
    assert_eq!(
        parsed["summary"],
        json!({"errors": 2, "warnings": 2, "acknowledged": 1})
    );
    assert_eq!(
        parsed["acknowledged"][0]["reason"],
        "evaluating ambient on a test cluster"
    );
    assert_eq!(parsed["findings"][0]["object"]["kind"], "Namespace");

    let clean = lint(&[], &LintOptions::default());
    assert_eq!(to_text(&clean), "No problems found.\n");
}

#[test]
fn type_errors_become_mg0100_findings() {
    let objects = vec![json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "istiod", "namespace": "istio-system"},
        "spec": {"replcias": 2, "revisionHistoryLimit": "ten"}
    })];
    let errors = check_types(&objects);
    assert_eq!(
        errors.len(),
        1,
        "the wrong type stops the round trip: {errors:?}"
    );
    assert_eq!(errors[0].pointer, "/spec/revisionHistoryLimit");
    assert!(matches!(errors[0].problem, TypeProblem::Invalid(_)));

    let errors = check_types(&[json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "istiod", "namespace": "istio-system"},
        "spec": {"replcias": 2}
    })]);
    assert_eq!(
        errors[0].to_string(),
        "apps/Deployment/istio-system/istiod: unknown field (did you mean `replicas`?) at `/spec/replcias`"
    );
    let finding = errors[0].to_finding();
    assert_eq!(
        (finding.code, finding.severity),
        ("MG0100", Severity::Error)
    );
    assert_eq!(finding.pointer, "/spec/replcias");
    assert_eq!(
        finding.message,
        "Deployment `istio-system/istiod` has field `/spec/replcias`, which its type does not know (the \
         API server drops it); did you mean `replicas`?"
    );

    // Gateway API kinds suggest from their own schema; nothing close, no suggestion.
    let errors = check_types(&[json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "g", "namespace": "istio-system"},
        "spec": {"gatewayClassName": "istio", "listeners": [
            {"name": "http", "port": 80, "protocol": "HTTP", "alowedRoutes": {}, "zzz": 1}
        ]}
    })]);
    let problems: Vec<(&str, &TypeProblem)> = errors
        .iter()
        .map(|error| (error.pointer.as_str(), &error.problem))
        .collect();
    assert_eq!(
        problems,
        [
            (
                "/spec/listeners/0/alowedRoutes",
                &TypeProblem::UnknownField {
                    suggestion: Some("allowedRoutes".into())
                }
            ),
            (
                "/spec/listeners/0/zzz",
                &TypeProblem::UnknownField { suggestion: None }
            ),
        ]
    );
}

#[test]
fn knative_can_live_in_other_namespaces() {
    let objects = |admitted: &str| {
        vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kn-serving", "labels": {"istio-injection": "enabled"}}}),
            json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                "metadata": {"name": "allow", "namespace": "shop"},
                "spec": {"rules": [{"from": [{"source": {"namespaces": ["shop", admitted]}}]}]}}),
        ]
    };
    let knative = KnativeNamespaces {
        serving: "kn-serving".into(),
        eventing: "kn-eventing".into(),
    };
    let options = LintOptions::default();
    assert!(
        lint_with(&objects("kn-serving"), &options, &knative)
            .findings
            .is_empty()
    );
    let report = lint_with(&objects("knative-serving"), &options, &knative);
    assert_eq!(report.findings.len(), 1, "{}", to_text(&report));
    assert_eq!(report.findings[0].code, "MG0001");
    assert!(report.findings[0].message.contains("add `kn-serving` to"));
    // With the default namespaces, nothing here is Knative.
    assert!(
        lint(&objects("knative-serving"), &options)
            .findings
            .is_empty()
    );
}
