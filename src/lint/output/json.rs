//! The report as JSON, for scripts: `findings`, `acknowledged` (with `reason`), `unusedIgnores`,
//! `summary`. A pure function of the report, so the same findings always give the same bytes.

use serde_json::{Value, json};

use crate::core::resource::Identity;
use crate::lint::{Finding, Report, Severity};

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
    let mut value = json!({
        "code": finding.code,
        "severity": finding.severity.as_str(),
        "message": finding.message,
        "object": identity_json(&finding.object),
        "pointer": finding.pointer,
    });
    if let (Some(location), Some(map)) = (&finding.location, value.as_object_mut()) {
        map.insert(
            "location".to_owned(),
            json!({"file": location.file, "line": location.line}),
        );
    }
    value
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
