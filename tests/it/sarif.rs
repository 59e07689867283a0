//! SARIF output: a valid SARIF 2.1.0 log (checked against the vendored schema in
//! `tests/fixtures/lint/sarif/`, see its README for where it comes from), byte-stable, and —
//! for `meshgen lint --manifests` — placing every result in its file: one artifact per file and
//! the object's first line as `region.startLine`.

use std::collections::BTreeSet;

use meshgen::lint::output::to_sarif;
use meshgen::lint::{Ignore, LintOptions, lint};
use serde_json::Value;

use crate::harness::{Test, fixtures};
use crate::lint::{fixture, manifests};

fn schema() -> jsonschema::Validator {
    let path = fixtures().join("lint/sarif/sarif-2.1.0-rtm.5.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema"))
        .expect("schema is JSON");
    // The file's `language` pattern, `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` (on `run` and
    // `toolComponent`), has a stray `]` that the draft-04 meta-schema's `format: regex` check
    // rejects, so the schema would not compile. It only constrains `language` properties, which
    // meshgen never writes (asserted below); those two keywords are dropped in memory, the vendored
    // file stays as published.
    for definition in ["run", "toolComponent"] {
        let language = schema
            .pointer_mut(&format!("/definitions/{definition}/properties/language"))
            .and_then(Value::as_object_mut)
            .expect("language in the schema");
        assert!(
            language.shift_remove("pattern").is_some(),
            "the schema changed: revisit this workaround"
        );
    }
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, sarif: &str) -> Value {
    let log: Value = serde_json::from_str(sarif).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert_eq!(log["version"], "2.1.0");
    assert!(!sarif.contains("\"language\""));
    log
}

fn options() -> LintOptions {
    LintOptions {
        ignore: vec![Ignore {
            code: "MG0004".into(),
            reason: "ambient trial cluster".into(),
        }],
        ..LintOptions::default()
    }
}

const FILES: [&str; 3] = [
    "MG0008.trigger.yaml",
    "MG0004.trigger.yaml",
    "MG0012.trigger.yaml",
];

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let validator = schema();
    let objects: Vec<Value> = FILES.iter().flat_map(|name| fixture(name)).collect();
    let unplaced = lint(&objects, &options());
    let placed = manifests(&FILES).lint(&options()).unwrap();
    for (report, in_files) in [(unplaced, false), (placed, true)] {
        assert!(!report.findings.is_empty() && !report.acknowledged.is_empty());
        let sarif = to_sarif(&report);
        let log = assert_valid(&validator, &sarif);
        let results = log["runs"][0]["results"].as_array().expect("results");
        assert_eq!(
            results.len(),
            report.findings.len() + report.acknowledged.len()
        );
        let suppressed = results
            .iter()
            .filter(|result| result.get("suppressions").is_some())
            .count();
        assert_eq!(suppressed, report.acknowledged.len());
        for result in results {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(
                log["runs"][0]["tool"]["driver"]["rules"][index]["id"],
                result["ruleId"]
            );
            assert_eq!(
                result["locations"][0].get("physicalLocation").is_some(),
                in_files
            );
        }
    }
    // The validator does reject what is not SARIF 2.1.0.
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal"}]}]});
    assert!(!validator.is_valid(&broken));
    // An empty report is a valid log too.
    assert_valid(&validator, &to_sarif(&lint(&[], &LintOptions::default())));
}

#[test]
fn sarif_bytes_do_not_depend_on_input_order() {
    let mut objects = fixture("MG0011.trigger.yaml");
    objects.extend(fixture("MG0001.trigger.yaml"));
    let forward = to_sarif(&lint(&objects, &LintOptions::default()));
    objects.reverse();
    let backward = to_sarif(&lint(&objects, &LintOptions::default()));
    assert_eq!(forward, backward);
    assert!(forward.ends_with("}\n"));
}

/// `meshgen lint --manifests DIR --format sarif`: each result names its file (an artifact
/// listed once, referenced by index) and the line its object starts on.
#[test]
fn lint_manifests_places_results_in_their_files() {
    let run = Test::new()
        .copy_fixture("lint/MG0013.trigger.yaml", "set/webhook.yaml")
        .copy_fixture("lint/MG0001.trigger.yaml", "set/apps/policies.yaml")
        .args(["lint", "--format", "sarif", "--manifests", "set"])
        .status(1)
        .run();
    let log = assert_valid(&schema(), &run.stdout);
    let artifacts: Vec<&str> = log["runs"][0]["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|artifact| artifact["location"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(artifacts, ["set/apps/policies.yaml", "set/webhook.yaml"]);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let mut files = BTreeSet::new();
    for result in results {
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        let index = physical["artifactLocation"]["index"].as_u64().unwrap() as usize;
        assert_eq!(artifacts[index], uri, "{result}");
        let line = physical["region"]["startLine"].as_u64().unwrap() as usize;
        // The line holds the start of the object the result names.
        let text = std::fs::read_to_string(run.path().join(uri)).unwrap();
        let name = result["locations"][0]["logicalLocations"][0]["name"]
            .as_str()
            .unwrap();
        let object: String = text
            .lines()
            .skip(line - 1)
            .take_while(|l| *l != "---")
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            text.lines()
                .nth(line - 1)
                .unwrap()
                .starts_with("apiVersion: ")
                || text.lines().nth(line - 1).unwrap().starts_with("kind: "),
            "{uri}:{line} is not where an object starts"
        );
        assert!(
            object.contains(&format!("name: {name}\n"))
                || object.ends_with(&format!("name: {name}")),
            "{uri}:{line} does not start {name}:\n{object}"
        );
        files.insert(uri.to_owned());
    }
    assert_eq!(files.len(), 2, "results in both files");
}
