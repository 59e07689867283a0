//! The analyzer catalogue in words: `meshgen lint --explain CODE` and `docs/analyzers.md`, both
//! written from the rule table, so the text a user reads is the text the analyzer carries.

use std::fmt::Write as _;

use super::rules::{RULES, rule};

/// The explanation `meshgen lint --explain CODE` prints; `None` for an unknown code.
pub fn explain(code: &str) -> Option<String> {
    let rule = rule(code)?;
    Some(format!(
        "{code} {name} ({severity})\n\n{summary}\n\nWhy: {why}\n\nFix: {fix}\n\nWhen it runs: {scope}\n",
        code = rule.code,
        name = rule.name,
        severity = rule.severity.as_str(),
        summary = rule.summary,
        why = rule.why,
        fix = rule.fix,
        scope = rule.scope,
    ))
}

/// The analyzer catalogue as Markdown: the content of `docs/analyzers.md`.
pub fn catalogue_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Analyzers\n\n");
    out.push_str(
        "<!-- Generated from the rules in src/lint/rules/ by `cargo xtask generate`; do not edit. -->\n\n",
    );
    out.push_str(
        "`meshgen lint` runs these analyzers over a manifest set: inside `render` (errors stop the render, \
         warnings go to stderr), on a profile (`meshgen lint [PROFILE]`), or on any manifests \
         (`meshgen lint --manifests PATH...`). `meshgen lint --explain CODE` prints one entry. A finding can be \
         acknowledged in the profile with `spec.lint.ignore: [{code: MG0004, reason: \"...\"}]`. The Knative \
         system namespaces are `knative-serving` and `knative-eventing` unless the profile names others \
         (`spec.knative.namespaces`).\n\n",
    );
    out.push_str("| Code | Name | Severity | Summary |\n| --- | --- | --- | --- |\n");
    for rule in RULES {
        let _ = writeln!(
            out,
            "| [{code}](#{anchor}) | `{name}` | {severity} | {summary} |",
            code = rule.code,
            anchor = rule.code.to_ascii_lowercase(),
            name = rule.name,
            severity = rule.severity.as_str(),
            summary = rule.summary,
        );
    }
    for rule in RULES {
        let _ = write!(
            out,
            "\n## {code}\n\n`{name}` · {severity}\n\n{summary}\n\n**Why.** {why}\n\n**Fix.** {fix}\n\n\
             **When it runs.** {scope}\n",
            code = rule.code,
            name = rule.name,
            severity = rule.severity.as_str(),
            summary = rule.summary,
            why = rule.why,
            fix = rule.fix,
            scope = rule.scope,
        );
    }
    out
}
