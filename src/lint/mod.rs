//! Offline analyzers for a manifest set: the mesh mistakes that break Knative on Istio (STRICT
//! mTLS without the Knative allowances, ambient under Knative, double injection labels, a
//! `config-gateway` that points nowhere, …) and typed validation of every object. This module
//! owns the public surface — [`lint`], [`check_types`], the [`Report`] and its renderers, the
//! analyzer catalogue ([`explain`], [`catalogue_markdown`]) — and hands each analyzer family
//! (one file each) a [`mesh::Mesh`] index of the objects. It works on any set of parsed
//! Kubernetes objects, whoever produced them; where the objects do not show something an
//! analyzer needs (no istiod rendered, no mesh-wide policy), that analyzer stays silent rather
//! than guess.

mod ambient;
mod catalogue;
mod gateways;
mod injection;
mod istio_types;
mod mesh;
mod output;
mod policies;
mod security;
mod types;
mod webhooks;

use serde_json::Value;

use crate::resource::Identity;

pub use catalogue::{RULES, Rule, catalogue_markdown, explain, rule};
pub use output::{to_json, to_sarif, to_text};
pub use types::{TypeError, TypeProblem, check_types};

/// How bad a finding is: errors stop a render (exit 1), warnings are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// `error` or `warning`, as printed and as SARIF's `level`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One acknowledged analyzer code (the profile's `spec.lint.ignore` entries), and where
/// Knative runs: the profile's own types.
pub use crate::profile::{KnativeNamespaces, LintIgnore as Ignore};

/// What the caller tells the analyzers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// Codes whose findings are acknowledged: reported apart, never errors.
    pub ignore: Vec<Ignore>,
}

/// One problem an analyzer found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Stable analyzer code, `MG0001`…; see [`explain`].
    pub code: &'static str,
    pub severity: Severity,
    /// One line: the object(s), the field and what to do.
    pub message: String,
    /// The object the finding is about (the first one when it names several).
    pub object: Identity,
    /// JSON Pointer of the field inside `object` (`""` for the whole object).
    pub pointer: String,
}

/// A finding whose code the profile acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    pub finding: Finding,
    /// The reason given in the profile.
    pub reason: String,
}

/// Everything the analyzers found, in a stable order (code, object, pointer, message).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Findings that count.
    pub findings: Vec<Finding>,
    /// Findings acknowledged by `LintOptions::ignore`; never errors.
    pub acknowledged: Vec<Acknowledged>,
    /// Acknowledgements that matched no finding (stale entries worth removing).
    pub unused_ignores: Vec<Ignore>,
}

impl Report {
    /// True when any unacknowledged finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|finding| finding.severity == Severity::Error)
    }

    /// Number of unacknowledged findings with this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.severity == severity)
            .count()
    }
}

/// Runs every analyzer over `objects` (any order) and sorts what they find, with Knative in
/// its default namespaces.
pub fn lint(objects: &[Value], options: &LintOptions) -> Report {
    lint_with(objects, options, &KnativeNamespaces::default())
}

/// [`lint`] for a mesh whose Knative runs in other namespaces (the profile's
/// `spec.knative.namespaces`).
pub fn lint_with(objects: &[Value], options: &LintOptions, knative: &KnativeNamespaces) -> Report {
    let mesh = mesh::Mesh::new(objects, knative);
    let mut all: Vec<Finding> = catalogue::ANALYZERS
        .iter()
        .flat_map(|analyze| analyze(&mesh))
        .collect();
    all.sort();
    all.dedup();

    let mut report = Report::default();
    for finding in all {
        match options
            .ignore
            .iter()
            .find(|ignore| ignore.code == finding.code)
        {
            Some(ignore) => report.acknowledged.push(Acknowledged {
                finding,
                reason: ignore.reason.clone(),
            }),
            None => report.findings.push(finding),
        }
    }
    report.unused_ignores = options
        .ignore
        .iter()
        .filter(|ignore| {
            !report
                .acknowledged
                .iter()
                .any(|ack| ack.finding.code == ignore.code)
        })
        .cloned()
        .collect();
    report
}
