//! Typed validation as an analyzer (MG0100): for manifests meshgen did not render, where a field
//! the API server would drop is a finding to report rather than an input to reject. The checks
//! themselves are [`crate::validate`]'s.

use serde_json::Value;

use crate::lint::Finding;
use crate::lint::mesh::Mesh;
use crate::lint::rule::{Rule, Severity};
use crate::validate::{self, TypeError, TypeProblem};

pub(crate) static MG0100: Rule = Rule {
    code: "MG0100",
    name: "unknown-field",
    severity: Severity::Error,
    summary: "A field the object's type does not know, or a value of the wrong type.",
    why: "The API server drops unknown fields (or rejects them under strict field validation), so a typo \
          such as `replcias` silently does nothing. Typed validation deserialises every Kubernetes, Gateway \
          API and meshgen-emitted Istio object through its real type and reports each field that does not \
          survive the round trip.",
    fix: "Fix the spelling or the indentation at the reported JSON Pointer; for overlays, fix the patch.",
    scope: "Runs on Kubernetes kinds (through k8s-openapi, Kubernetes 1.35) and on custom resources whose \
            CRD is in the set or is one of Istio 1.30.3's and Gateway API v1.5.1's (through the CRD's \
            structural schema); other kinds are skipped. Inside `render` it is stage 6, typed validation, \
            and stops the render before the analyzers run.",
    check: unknown_field,
};

/// MG0100: every field no type or CRD schema accepts.
pub(crate) fn unknown_field(mesh: &Mesh<'_>) -> Vec<Finding> {
    let values: Vec<&Value> = mesh.objects.iter().map(|object| object.value).collect();
    validate::check(&values).iter().map(to_finding).collect()
}

/// A validation error as an MG0100 finding.
pub fn to_finding(error: &TypeError) -> Finding {
    let object = error.object.namespaced_name();
    let kind = &error.object.kind;
    let pointer = &error.pointer;
    let message = match &error.problem {
        TypeProblem::UnknownField {
            suggestion: Some(name),
        } => format!(
            "{kind} `{object}` has field `{pointer}`, which its type does not know (the API server drops it); did you \
             mean `{name}`?"
        ),
        TypeProblem::UnknownField { suggestion: None } => format!(
            "{kind} `{object}` has field `{pointer}`, which its type does not know (the API server drops it); fix the \
             spelling or indentation, or remove it"
        ),
        TypeProblem::Invalid(reason) => format!(
            "{kind} `{object}` field `{pointer}` has an invalid value ({reason}); fix the value"
        ),
    };
    MG0100.finding(&error.object, error.pointer.clone(), message)
}
