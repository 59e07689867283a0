//! What an analyzer is: a rule — code, name, severity, the text `--explain`, the docs and SARIF
//! show — together with its check. Each analyzer file under `rules/` defines its rules next to
//! their checks, and `rules::RULES` lists them, so adding an analyzer is one edit in one place.

use super::Finding;
use super::mesh::Mesh;
use crate::core::resource::Identity;

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

/// An analyzer's check: looks at the mesh, returns its findings.
pub(crate) type Check = fn(&Mesh<'_>) -> Vec<Finding>;

/// One analyzer.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, `MG0001`…
    pub code: &'static str,
    /// Short kebab-case name, e.g. `ambient-with-knative`.
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: &'static str,
    /// Why it breaks, in a paragraph.
    pub why: &'static str,
    /// What to do about it, in a paragraph.
    pub fix: &'static str,
    /// When the analyzer stays silent (what it needs to see in the objects).
    pub scope: &'static str,
    pub(crate) check: Check,
}

impl Rule {
    /// A finding of this rule about `object` at `pointer`.
    pub(crate) fn finding(
        &'static self,
        object: &Identity,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            code: self.code,
            severity: self.severity,
            message: message.into(),
            object: object.clone(),
            pointer: pointer.into(),
            location: None,
        }
    }
}
