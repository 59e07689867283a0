//! The analyzers and `meshgen lint`.
//!
//! Suite `lint`: one positive and one negative case per rule of the table, hand-written
//! manifest sets in `tests/fixtures/lint/`. `CODE.trigger*.yaml` must produce findings of code
//! CODE and no other, and its text report (what `meshgen lint --manifests` prints) is
//! `golden/lint/CODE.trigger*.snap`; `CODE.pass*.yaml`, the fixed set, must produce no finding.
//! Every fixture passes typed validation (but MG0100's triggers, whose point is not to). A
//! fixture whose set also trips another analyzer on purpose (an ambient set and MG0004, istiod
//! with Gateways but no CRDs and MG0021) says so on its first lines, `# lint-ignore: CODE reason`:
//! the run acknowledges CODE, as `spec.lint.ignore` or `--ignore` would. The
//! mixed report (acknowledged findings, a stale acknowledgement) is `golden/lint/report-text`
//! and `golden/lint/report-json`.
//!
//! Beside them: `meshgen lint` on profiles and on the golden renders, its formats and exit
//! codes, analyzer errors stopping `render`, and malformed objects never panicking.

use std::fs;
use std::path::Path;

use annotate_snippets::Renderer;
use meshgen::cli::report::lint_text;
use meshgen::compare::Manifests;
use meshgen::lint::output::{to_json, to_sarif};
use meshgen::lint::rules::types::to_finding;
use meshgen::lint::{
    Ignore, KnativeNamespaces, LintOptions, RULES, Report, Severity, catalogue_markdown, explain,
    lint, rule,
};
use meshgen::validate::{TypeProblem, check};
use serde_json::{Value, json};

use crate::harness::{Test, assert_golden, fixtures, golden, golden_renders, repo, snapshot_body};

/// The objects of a fixture file (`tests/fixtures/lint/NAME`).
pub fn fixture(name: &str) -> Vec<Value> {
    manifests(&[name])
        .objects
        .into_iter()
        .map(|object| object.object)
        .collect()
}

/// The fixture files read as one manifest set, each object placed at its file and line (the
/// files named as from the repository).
pub fn manifests(names: &[&str]) -> Manifests {
    let mut set = Manifests::default();
    for name in names {
        let relative = Path::new("tests/fixtures/lint").join(name);
        let text = fs::read_to_string(repo().join(&relative))
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        set.add_stream(&relative.display().to_string(), &text)
            .unwrap_or_else(|error| panic!("{name}: {error:?}"));
    }
    set
}

/// The `# lint-ignore: CODE reason` lines a fixture starts with.
fn fixture_ignores(name: &str) -> Vec<Ignore> {
    let text = fs::read_to_string(fixtures().join("lint").join(name)).unwrap();
    text.lines()
        .map_while(|line| line.strip_prefix("# lint-ignore: "))
        .map(|rest| {
            let (code, reason) = rest.split_once(' ').expect("CODE reason");
            Ignore {
                code: code.to_owned(),
                reason: reason.to_owned(),
            }
        })
        .collect()
}

/// The options a fixture is linted with.
fn fixture_options(name: &str) -> LintOptions {
    LintOptions {
        ignore: fixture_ignores(name),
        ..LintOptions::default()
    }
}

/// `--ignore CODE=REASON` for each acknowledgement of a fixture.
fn ignore_args(name: &str) -> Vec<String> {
    fixture_ignores(name)
        .into_iter()
        .flat_map(|ignore| {
            [
                "--ignore".to_owned(),
                format!("{}={}", ignore.code, ignore.reason),
            ]
        })
        .collect()
}

fn text(report: &Report) -> String {
    lint_text(report, Renderer::plain())
}

/// Fixture files of `code` whose name continues with `.{role}`, sorted.
fn files(code: &str, role: &str) -> Vec<String> {
    let prefix = format!("{code}.{role}");
    let mut found: Vec<String> = fs::read_dir(fixtures().join("lint"))
        .expect("fixtures directory")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix) && name.ends_with(".yaml"))
        .collect();
    found.sort();
    found
}

fn check_rule(code: &str) {
    let triggers = files(code, "trigger");
    let passes = files(code, "pass");
    assert!(
        !triggers.is_empty() && !passes.is_empty(),
        "{code} needs a trigger and a pass fixture"
    );
    for name in triggers.iter().chain(&passes) {
        if code == "MG0100" && name.contains(".trigger") {
            continue;
        }
        let objects = fixture(name);
        let refs: Vec<&Value> = objects.iter().collect();
        let type_errors: Vec<String> = check(&refs).iter().map(ToString::to_string).collect();
        assert!(type_errors.is_empty(), "{name}: {type_errors:?}");
    }
    for name in &triggers {
        let report = manifests(&[name]).lint(&fixture_options(name)).unwrap();
        let text = text(&report);
        assert!(
            !report.findings.is_empty(),
            "{name}: expected {code}, found nothing"
        );
        assert!(
            report.findings.iter().all(|finding| finding.code == code),
            "{name}: expected only {code}:\n{text}"
        );
        assert!(
            report
                .findings
                .iter()
                .all(|finding| finding.location.is_some()),
            "{name}: every finding is placed in the file"
        );
        assert_golden("lint", name.trim_end_matches(".yaml"), &text);
    }
    for name in &passes {
        let report = manifests(&[name]).lint(&fixture_options(name)).unwrap();
        assert!(
            report.findings.is_empty(),
            "{name}: expected nothing:\n{}",
            text(&report)
        );
    }
}

macro_rules! rule_tests {
    ($($name:ident => $code:literal),* $(,)?) => {
        $(#[test] fn $name() { check_rule($code); })*

        #[test]
        fn every_rule_has_its_test() {
            let tested = [$($code),*];
            let codes: Vec<&str> = RULES.iter().map(|rule| rule.code).collect();
            assert_eq!(codes, tested, "add a test (and fixtures) for each rule");
        }
    };
}

rule_tests! {
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
    mg0016_shared_object_prunable => "MG0016",
    mg0017_identity_policy_without_mtls => "MG0017",
    mg0018_gateway_class_unprovided => "MG0018",
    mg0019_gateway_tls_secret_missing => "MG0019",
    mg0020_wave_waits_on_external_health => "MG0020",
    mg0021_custom_resource_without_crd => "MG0021",
    mg0022_knative_probe_policy_too_broad => "MG0022",
    mg0023_argocd_application_settings => "MG0023",
    mg0030_dangling_revision_tag => "MG0030",
    mg0031_tag_shadows_revision => "MG0031",
    mg0032_no_default_revision => "MG0032",
    mg0033_namespace_tag_and_revision => "MG0033",
    mg0034_duplicate_env => "MG0034",
    mg0035_no_default_metrics => "MG0035",
    mg0036_unknown_tracing_provider => "MG0036",
    mg0100_unknown_field => "MG0100",
}

#[test]
fn every_fixture_belongs_to_a_rule() {
    for entry in fs::read_dir(fixtures().join("lint")).expect("fixtures directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            continue; // sarif/: the vendored schema
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let code = name.split('.').next().unwrap_or_default();
        assert!(rule(code).is_some(), "{name}: no analyzer {code}");
        assert!(
            name.ends_with(".yaml") && (name.contains(".trigger") || name.contains(".pass")),
            "{name}: neither a trigger nor a pass fixture"
        );
    }
}

#[test]
fn every_rule_is_documented_and_explained() {
    let docs = catalogue_markdown();
    for rule in RULES {
        assert!(
            docs.contains(&format!("\n## {}\n", rule.code)),
            "{}",
            rule.code
        );
        let text = explain(rule.code).expect("explain knows every code");
        assert!(
            text.contains(rule.fix) && text.contains(rule.why),
            "{}",
            rule.code
        );
    }
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
        ..LintOptions::default()
    }
}

const MIXED: [&str; 3] = [
    "MG0004.trigger.yaml",
    "MG0014.trigger.yaml",
    "MG0006.trigger.yaml",
];

fn mixed_objects() -> Vec<Value> {
    MIXED.iter().flat_map(|name| fixture(name)).collect()
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

/// The text report places each finding in its file (as `meshgen lint --manifests` does); the
/// JSON report is the same report's findings, of objects read from nowhere in particular.
#[test]
fn text_and_json_reports() {
    let report = manifests(&MIXED).lint(&mixed_options()).unwrap();
    assert_golden("lint", "report-text", &text(&report));
    let unplaced = lint(&mixed_objects(), &mixed_options());
    let json_text = to_json(&unplaced);
    assert_golden("lint", "report-json", &json_text);

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
    assert_eq!(text(&clean), "No problems found.\n");
}

#[test]
fn type_errors_become_mg0100_findings() {
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "istiod", "namespace": "istio-system"},
        "spec": {"replcias": 2, "revisionHistoryLimit": "ten"}
    });
    let errors = check(&[&deployment]);
    assert_eq!(
        errors.len(),
        1,
        "the wrong type stops the round trip: {errors:?}"
    );
    assert_eq!(errors[0].pointer, "/spec/revisionHistoryLimit");
    assert!(matches!(errors[0].problem, TypeProblem::Invalid(_)));

    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "istiod", "namespace": "istio-system"},
        "spec": {"replcias": 2}
    });
    let errors = check(&[&deployment]);
    assert_eq!(
        errors[0].to_string(),
        "apps/Deployment/istio-system/istiod: unknown field (did you mean `replicas`?) at `/spec/replcias`"
    );
    let finding = to_finding(&errors[0]);
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
    let gateway = json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "g", "namespace": "istio-system"},
        "spec": {"gatewayClassName": "istio", "listeners": [
            {"name": "http", "port": 80, "protocol": "HTTP", "alowedRoutes": {}, "zzz": 1}
        ]}
    });
    let errors = check(&[&gateway]);
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
    let options = LintOptions {
        knative: KnativeNamespaces {
            serving: "kn-serving".into(),
            eventing: "kn-eventing".into(),
        },
        ..LintOptions::default()
    };
    assert!(lint(&objects("kn-serving"), &options).findings.is_empty());
    let report = lint(&objects("knative-serving"), &options);
    assert_eq!(report.findings.len(), 1, "{}", text(&report));
    assert_eq!(report.findings[0].code, "MG0001");
    assert!(report.findings[0].message.contains("add `kn-serving` to"));
    // With the default namespaces, nothing here is Knative.
    assert!(
        lint(&objects("knative-serving"), &LintOptions::default())
            .findings
            .is_empty()
    );
}

/// Malformed input never panics the analyzers, typed validation or the renderers: every field
/// an analyzer reads is given the wrong shape somewhere below.
fn malformed() -> Vec<Value> {
    vec![
        json!(null),
        json!("a string"),
        json!([1, 2]),
        json!({}),
        json!({"apiVersion": 1, "kind": ["Namespace"]}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "knative-serving", "labels": ["istio-injection"]}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"istio-injection": true, "istio.io/rev": 3}}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": "shop"}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "istio-system"}, "spec": "STRICT"}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "p", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "LOOSE"}, "portLevelMtls": []}}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "a", "namespace": "shop"}, "spec": {"rules": {"from": []}}}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "b", "namespace": "shop"}, "spec": {"rules": [{"from": [{"source": {"namespaces": "knative-serving"}}]}]}}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "c", "namespace": "shop"}, "spec": {"rules": [null, {"to": [{}], "when": [{}]}]}}),
        json!({"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": {"namespace": "istio-system"}, "spec": []}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "discoverySelectors: {matchLabels: [x]}\nrootNamespace: [1]"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-canary", "namespace": "istio-system"}, "data": {"mesh": ": : not yaml ["}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-gateway", "namespace": "knative-serving"}, "data": {"external-gateways": 7, "local-gateways": "- [a, b]\n- 3"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-gateway", "namespace": "knative-serving"}, "data": {"external-gateways": "- class: 1\n  gateway: [x]\n  service: {a: b}", "local-gateways": "{x: 1}"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-network", "namespace": "knative-serving"}, "data": {"ingress-class": ""}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "knative-gateway", "namespace": "istio-system", "annotations": []}, "spec": {"gatewayClassName": 5, "addresses": {}, "listeners": [null, {"name": 1}]}}),
        json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "v", "namespace": "shop"}, "spec": {"hosts": "x", "http": [{"route": {"destination": 1}}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "istiod", "namespace": "istio-system", "labels": null}, "spec": null}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "webhook", "namespace": "knative-serving"}, "spec": {"template": {"spec": {"containers": [{"ports": [{"name": "https-webhook", "containerPort": 99999999}]}]}}}}),
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ztunnel"}}),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration", "metadata": {"name": "v"}, "webhooks": {"name": "validation.istio.io"}}),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration", "metadata": {"name": "m", "labels": {"istio.io/tag": ["x"]}}}),
    ]
}

#[test]
fn malformed_objects_do_not_panic() {
    let objects = malformed();
    let report = lint(&objects, &LintOptions::default());
    let _ = (text(&report), to_json(&report), to_sarif(&report));
    let refs: Vec<&Value> = objects.iter().collect();
    let errors = check(&refs);
    assert!(!errors.is_empty());
    for error in &errors {
        let _ = to_finding(error);
    }
    // Every prefix and every single object, too: analyzers see many partial pictures.
    for end in 0..=objects.len() {
        let _ = lint(&objects[..end], &LintOptions::default());
    }
    for object in &objects {
        let _ = lint(std::slice::from_ref(object), &LintOptions::default());
        let _ = check(&[object]);
    }
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

#[test]
fn golden_renders_have_no_errors() {
    let renders = golden_renders();
    assert!(renders.len() >= 14, "{}", renders.len());
    for (_, body) in renders {
        let ambient = body.contains("kind: DaemonSet\nmetadata:\n  name: ztunnel");
        let mut test =
            Test::new()
                .write("render.yaml", body)
                .args(["lint", "--manifests", "render.yaml"]);
        if ambient {
            // Ambient profiles acknowledge MG0004 in the profile; --manifests has no profile.
            test = test.args(["--ignore", "MG0004=ambient under Knative, on purpose"]);
        }
        test.run();
    }
}

/// `meshgen lint --manifests` on each fixture: the committed report on stdout, its rule's code
/// in the JSON report, exit 1 exactly when the rule is an error; nothing of the rule for its
/// pass fixtures.
#[test]
fn each_broken_set_reports_its_code_with_the_right_exit_code() {
    for rule in RULES {
        let status = if rule.severity == Severity::Error {
            1
        } else {
            0
        };
        for trigger in files(rule.code, "trigger") {
            let path = format!("tests/fixtures/lint/{trigger}");
            let committed = snapshot_body(
                &golden()
                    .join("lint")
                    .join(trigger.replace(".yaml", ".snap")),
            );
            Test::new()
                .copy_fixture(&format!("lint/{trigger}"), &path)
                .args(["lint", "--manifests", &path])
                .args(ignore_args(&trigger))
                .status(status)
                .stdout(committed)
                .run();
            let run = Test::new()
                .copy_fixture(&format!("lint/{trigger}"), &trigger)
                .args(["lint", "--format", "json", "--manifests", &trigger])
                .args(ignore_args(&trigger))
                .status(status)
                .run();
            let report: Value =
                serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{trigger}: {e}"));
            let codes: Vec<&str> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|f| f["code"].as_str())
                .collect();
            assert!(codes.contains(&rule.code), "{trigger}: {codes:?}");
        }
        for pass in files(rule.code, "pass") {
            let run = Test::new()
                .copy_fixture(&format!("lint/{pass}"), &pass)
                .args(["lint", "--format", "json", "--manifests", &pass])
                .args(ignore_args(&pass))
                .run();
            assert!(
                !run.stdout.contains(&format!("\"{}\"", rule.code)),
                "{pass}: {}",
                run.stdout
            );
        }
    }
}

#[test]
fn formats_explain_and_ignore() {
    let trigger = "lint/MG0013.trigger.yaml";
    let sarif = Test::new()
        .copy_fixture(trigger, "set.yaml")
        .args(["lint", "--format", "sarif", "--manifests", "set.yaml"])
        .status(1)
        .run();
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "MG0013");
    Test::new()
        .args(["lint", "--explain", "MG0004"])
        .stdout(explain("MG0004").unwrap())
        .run();
    let unknown = Test::new()
        .args(["lint", "--explain", "MG9999"])
        .status(2)
        .stderr_contains("there is no analyzer `MG9999`")
        .run();
    assert!(unknown.stderr.contains("= help: "), "{}", unknown.stderr);
    // A reason is required.
    Test::new()
        .copy_fixture(trigger, "set.yaml")
        .args(["lint", "--manifests", "set.yaml", "--ignore", "MG0013"])
        .status(2)
        .stderr_contains("is not CODE=REASON")
        .run();
    Test::new()
        .copy_fixture(trigger, "set.yaml")
        .args([
            "lint",
            "--manifests",
            "set.yaml",
            "--ignore",
            "MG0013=on purpose",
        ])
        // MG0013's trigger lacks three exceptions: Eventing's two webhooks and net-gateway-api's.
        .stdout_contains("0 errors, 0 warnings, 3 acknowledged.\n")
        .run();
}

#[test]
fn lint_of_a_profile_uses_its_acknowledgements() {
    // MG0004 twice (the profile's), MG0021 (a built-in rendered as it is cannot pin CRDs).
    Test::new()
        .args(["lint", "ambient"])
        .stdout_contains("3 acknowledged")
        .run();
    Test::new()
        .args(["lint", "default"])
        .stdout_contains("acknowledged[MG0021]")
        .stdout_contains("Gateway API v1.5.1 standard-install.yaml (sha256 751002b3b91a87f7ae3bd2517c79a47a8d7ed6702901808a1cf9bd97d284f9b8)")
        .stdout_contains("0 errors, 0 warnings, 1 acknowledged.\n")
        .run();
}

#[test]
fn analyzer_errors_stop_render_and_write_nothing() {
    // Ambient under Knative without the acknowledgement the built-in profile carries.
    Test::new()
        .write(
            "meshgen.yaml",
            "apiVersion: meshgen.dev/v1alpha1\nkind: MeshProfile\nspec:\n  dataplane:\n    mode: ambient\n",
        )
        .args(["render", "--out", "out"])
        .status(1)
        .stdout("")
        .stderr_contains("error[MG0004]")
        .expect_absent("out")
        .run();
}

#[test]
fn warnings_of_a_render_go_to_stderr() {
    let run = Test::new()
        .write(
            "o.yaml",
            "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\npatches:\n- target: {kind: ValidatingWebhookConfiguration, name: istio-validator-istio-system}\n  jsonPatch:\n  - {op: replace, path: /webhooks/0/failurePolicy, value: Ignore}\n",
        )
        .args(["render", "default", "--overlay", "o.yaml"])
        .stderr_contains("warning[MG0014]")
        .run();
    assert!(run.stdout.starts_with("---\napiVersion: v1\n"));
}
