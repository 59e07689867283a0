//! GitOps analyzers for admission webhooks: Istio validation webhooks rendered with
//! `failurePolicy: Ignore`, which istiod flips to Fail at runtime (MG0014).

use serde_json::Value;

use super::Finding;
use super::catalogue::MG0014;
use super::mesh::Mesh;

/// MG0014: an Istio validation webhook with `failurePolicy: Ignore`.
pub(crate) fn istio_validation_ignore(mesh: &Mesh<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for object in mesh.of_kind(
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ) {
        let webhooks = object
            .value
            .get("webhooks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for (index, webhook) in webhooks.enumerate() {
            let name = webhook
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !name.ends_with(".istio.io")
                || webhook.get("failurePolicy").and_then(Value::as_str) != Some("Ignore")
            {
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
