//! Renderers of a [`Report`]: human text (the default), JSON for scripts and SARIF 2.1.0 for
//! code-scanning UIs. All three are pure functions of the report, so the same findings always
//! give the same bytes.

use std::fmt::Write as _;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::catalogue::{RULES, rule};
use super::{Finding, Report, Severity};
use crate::resource::Identity;

/// Human-readable report, one block per finding and a summary line.
pub fn to_text(report: &Report) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let _ = writeln!(
            out,
            "{}[{}]: {}",
            finding.severity.as_str(),
            finding.code,
            finding.message
        );
        let _ = writeln!(out, " --> {}", location(finding));
    }
    for acknowledged in &report.acknowledged {
        let finding = &acknowledged.finding;
        let _ = writeln!(out, "acknowledged[{}]: {}", finding.code, finding.message);
        let _ = writeln!(out, " --> {}", location(finding));
        let _ = writeln!(out, "  = reason: {}", acknowledged.reason);
    }
    for ignore in &report.unused_ignores {
        let _ = writeln!(
            out,
            "note: `spec.lint.ignore` acknowledges {}, which found nothing; remove the entry",
            ignore.code
        );
    }
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    if report.findings.is_empty() && report.acknowledged.is_empty() {
        out.push_str("No problems found.\n");
    } else {
        let _ = write!(
            out,
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        );
        if !report.acknowledged.is_empty() {
            let _ = write!(out, ", {} acknowledged", report.acknowledged.len());
        }
        out.push_str(".\n");
        if !report.findings.is_empty() {
            out.push_str("Run `meshgen lint --explain CODE` for why and how to fix.\n");
        }
    }
    out
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `group/Kind/namespace/name` plus the pointer.
fn location(finding: &Finding) -> String {
    if finding.pointer.is_empty() {
        finding.object.to_string()
    } else {
        format!("{} {}", finding.object, finding.pointer)
    }
}

fn identity_json(identity: &Identity) -> Value {
    json!({
        "group": identity.group,
        "version": identity.version,
        "kind": identity.kind,
        "namespace": identity.namespace,
        "name": identity.name,
    })
}

fn finding_json(finding: &Finding) -> Value {
    json!({
        "code": finding.code,
        "severity": finding.severity.as_str(),
        "message": finding.message,
        "object": identity_json(&finding.object),
        "pointer": finding.pointer,
    })
}

/// The report as pretty JSON: `findings`, `acknowledged` (with `reason`), `unusedIgnores`,
/// `summary`.
pub fn to_json(report: &Report) -> String {
    let acknowledged: Vec<Value> = report
        .acknowledged
        .iter()
        .map(|acknowledged| {
            let mut value = finding_json(&acknowledged.finding);
            if let Some(map) = value.as_object_mut() {
                map.insert(
                    "reason".to_owned(),
                    Value::from(acknowledged.reason.clone()),
                );
            }
            value
        })
        .collect();
    let document = json!({
        "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "acknowledged": acknowledged,
        "unusedIgnores": report.unused_ignores.iter().map(|ignore| json!({"code": ignore.code, "reason": ignore.reason})).collect::<Vec<_>>(),
        "summary": {
            "errors": report.count(Severity::Error),
            "warnings": report.count(Severity::Warning),
            "acknowledged": report.acknowledged.len(),
        },
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// A SARIF 2.1.0 log with one run. Every catalogue rule is listed; acknowledged findings appear
/// with an external suppression carrying the reason. `source_uri` (the manifest file or
/// directory) becomes each result's artifact location; the object and JSON Pointer are the
/// logical location.
pub fn to_sarif(report: &Report, source_uri: Option<&str>) -> String {
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
    let mut results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| result(finding, source_uri))
        .collect();
    results.extend(report.acknowledged.iter().map(|acknowledged| {
        let mut value = result(&acknowledged.finding, source_uri);
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
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn result(finding: &Finding, source_uri: Option<&str>) -> Value {
    let rule_index = RULES.iter().position(|rule| rule.code == finding.code);
    let object = finding.object.to_string();
    let mut location = json!({
        "logicalLocations": [{
            "name": finding.object.name,
            "fullyQualifiedName": format!("{object}{}", finding.pointer),
            "kind": "object",
        }],
    });
    if let (Some(uri), Some(map)) = (source_uri, location.as_object_mut()) {
        map.insert(
            "physicalLocation".to_owned(),
            json!({"artifactLocation": {"uri": uri}}),
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
    if let (Some(index), Some(map)) = (
        rule_index.filter(|_| rule(finding.code).is_some()),
        value.as_object_mut(),
    ) {
        map.insert("ruleIndex".to_owned(), Value::from(index));
    }
    value
}
