//! Stage 7, the analyzers: the mesh mistakes that break Knative on Istio (STRICT mTLS without
//! the Knative allowances, ambient under Knative, double injection labels, a `config-gateway`
//! that points nowhere, …), run over any set of parsed Kubernetes objects, whoever produced
//! them. Where the objects do not show something an analyzer needs (no istiod rendered, no
//! mesh-wide policy), that analyzer stays silent rather than guess.
//!
//! [`rule`] defines what an analyzer is; [`rules`] holds them all, one family per file, each
//! rule next to its check; [`mesh`] is their shared index of the objects; [`catalogue`] writes
//! `--explain` and the docs; [`output`] renders a [`Report`] as text, JSON or SARIF.

pub mod catalogue;
pub mod istio_types;
pub mod mesh;
pub mod output;
pub mod rule;
pub mod rules;

use crate::core::resource::Identity;
use crate::core::wellknown::{KNATIVE_EVENTING, KNATIVE_SERVING};

pub use catalogue::{catalogue_markdown, explain};
pub use rule::{Rule, Severity};
pub use rules::{RULES, rule};

/// Where Knative runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnativeNamespaces {
    pub serving: String,
    pub eventing: String,
}

impl Default for KnativeNamespaces {
    fn default() -> Self {
        KnativeNamespaces {
            serving: KNATIVE_SERVING.to_owned(),
            eventing: KNATIVE_EVENTING.to_owned(),
        }
    }
}

/// A code whose findings are acknowledged on purpose, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    pub code: String,
    pub reason: String,
}

/// What the caller tells the analyzers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// Codes whose findings are acknowledged: reported apart, never errors.
    pub ignore: Vec<Ignore>,
    /// Where Knative runs (its default namespaces unless a profile names others).
    pub knative: KnativeNamespaces,
    /// Typed validation already ran on these objects (`render`'s stage 6, which rejects what
    /// MG0100 would report): do not run it again.
    pub validated: bool,
}

/// The file and line an object was read from, when the objects came from files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: String,
    pub line: usize,
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
    /// Where `object` was read from, for reports that point into files (SARIF).
    pub location: Option<Location>,
}

/// A finding whose code the caller acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    pub finding: Finding,
    /// The reason given.
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

    /// Sets each finding's location from `locate` (object → where it was read).
    pub fn locate(&mut self, locate: impl Fn(&Identity) -> Option<Location>) {
        for finding in &mut self.findings {
            finding.location = locate(&finding.object);
        }
        for acknowledged in &mut self.acknowledged {
            acknowledged.finding.location = locate(&acknowledged.finding.object);
        }
    }
}

/// Runs every analyzer over `objects` (any order) and sorts what they find.
pub fn lint<'a>(
    objects: impl IntoIterator<Item = &'a serde_json::Value>,
    options: &LintOptions,
) -> Report {
    let mesh = mesh::Mesh::new(objects, &options.knative);
    let mut all: Vec<Finding> = RULES
        .iter()
        .filter(|rule| !(options.validated && rule.code == rules::types::MG0100.code))
        .flat_map(|rule| (rule.check)(&mesh))
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
