//! GitOps analyzers for admission webhooks: Istio validation webhooks rendered with
//! `failurePolicy: Ignore`, which istiod flips to Fail at runtime (MG0014).

use crate::lint::Finding;
use crate::lint::mesh::{Mesh, str_at};
use crate::lint::rule::{Rule, Severity};

pub(crate) static MG0014: Rule = Rule {
    code: "MG0014",
    name: "istio-validation-ignore",
    severity: Severity::Warning,
    summary: "An Istio validation webhook rendered with `failurePolicy: Ignore`: perpetual OutOfSync under Argo CD.",
    why: "istiod flips `failurePolicy` of its validation webhooks from Ignore to Fail once it is ready, so the \
          live object never matches the rendered one and Argo CD shows it OutOfSync forever (self-heal keeps \
          flipping it back).",
    fix: "Render `failurePolicy: Fail` (Helm value `base.validationFailurePolicy: Fail`), or tell Argo CD to \
          ignore `.webhooks[]?.failurePolicy` on ValidatingWebhookConfigurations with \
          `RespectIgnoreDifferences=true`.",
    scope: "Runs on every ValidatingWebhookConfiguration; webhooks whose name ends in `.istio.io` count.",
    check: istio_validation_ignore,
};

/// MG0014: an Istio validation webhook with `failurePolicy: Ignore`.
pub(crate) fn istio_validation_ignore(mesh: &Mesh<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for object in mesh.of_kind(
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ) {
        let webhooks = object.items_at("/webhooks");
        for (index, webhook) in webhooks.enumerate() {
            let name = str_at(webhook, "/name").unwrap_or_default();
            if !name.ends_with(".istio.io") || str_at(webhook, "/failurePolicy") != Some("Ignore") {
                continue;
            }
            findings.push(MG0014.finding(
                &object.id,
                format!("/webhooks/{index}/failurePolicy"),
                format!(
                    "ValidatingWebhookConfiguration `{}` webhook `{name}` has `failurePolicy: Ignore`; istiod flips it \
                     to Fail, so Argo CD shows it OutOfSync forever; render `Fail` (`base.validationFailurePolicy: Fail`)",
                    object.name()
                ),
            ));
        }
    }
    findings
}
