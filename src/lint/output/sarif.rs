//! The report as SARIF 2.1.0, for code-scanning UIs. A pure function of the report.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::lint::rules::RULES;
use crate::lint::{Finding, Report};

/// A SARIF 2.1.0 log with one run. Every rule is listed; acknowledged findings appear with an
/// external suppression carrying the reason. A finding whose object was read from a file gets
/// that file as its artifact (listed once in `artifacts`) and the object's first line as its
/// region, so code-scanning UIs can place it; the object and JSON Pointer are the logical
/// location.
pub fn to_sarif(report: &Report) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.why},
                "help": {
                    "text": format!("{} {}", rule.fix, rule.scope),
                    "markdown": format!("**Fix.** {}\n\n**When it runs.** {}", rule.fix, rule.scope),
                },
                "defaultConfiguration": {"level": rule.severity.as_str()},
            })
        })
        .collect();
    // One artifact per file, in name order; results point at them by index.
    let artifacts: Vec<String> = report
        .findings
        .iter()
        .chain(report.acknowledged.iter().map(|a| &a.finding))
        .filter_map(|finding| finding.location.as_ref().map(|l| l.file.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| result(finding, &artifacts))
        .collect();
    results.extend(report.acknowledged.iter().map(|acknowledged| {
        let mut value = result(&acknowledged.finding, &artifacts);
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "suppressions".to_owned(),
                json!([{"kind": "external", "justification": acknowledged.reason}]),
            );
        }
        value
    }));
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "meshgen",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "artifacts": artifacts.iter().map(|uri| json!({"location": {"uri": uri}})).collect::<Vec<_>>(),
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn result(finding: &Finding, artifacts: &[String]) -> Value {
    let rule_index = RULES.iter().position(|rule| rule.code == finding.code);
    let object = finding.object.to_string();
    let mut location = json!({
        "logicalLocations": [{
            "name": finding.object.name,
            "fullyQualifiedName": format!("{object}{}", finding.pointer),
            "kind": "object",
        }],
    });
    if let (Some(place), Some(map)) = (&finding.location, location.as_object_mut()) {
        let index = artifacts.iter().position(|uri| *uri == place.file);
        map.insert(
            "physicalLocation".to_owned(),
            json!({
                "artifactLocation": {"uri": place.file, "index": index},
                "region": {"startLine": place.line},
            }),
        );
    }
    let fingerprint =
        Sha256::digest(format!("{}\0{object}\0{}", finding.code, finding.pointer).as_bytes());
    let mut value = json!({
        "ruleId": finding.code,
        "level": finding.severity.as_str(),
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {"meshgenFinding/v1": base16ct::lower::encode_string(&fingerprint)},
        "properties": {"jsonPointer": finding.pointer},
    });
    if let (Some(index), Some(map)) = (rule_index, value.as_object_mut()) {
        map.insert("ruleIndex".to_owned(), Value::from(index));
    }
    value
}
