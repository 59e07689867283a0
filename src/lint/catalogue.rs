//! The analyzer catalogue: every code with its severity, one-line summary and the longer
//! explanation with the fix. It is the single source for `meshgen lint --explain`, for
//! `docs/analyzers.md` ([`catalogue_markdown`]) and for the rules in SARIF output; analyzers
//! build their findings through [`Rule::finding`] so code and severity cannot drift apart.

use std::fmt::Write as _;

use super::mesh::Mesh;
use super::{Finding, Severity, ambient, gateways, injection, policies, security, webhooks};
use crate::resource::Identity;

/// One analyzer as documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        }
    }
}

pub(crate) const MG0001: Rule = Rule {
    code: "MG0001",
    name: "knative-serving-denied",
    severity: Severity::Error,
    summary: "ALLOW policies in an app namespace admit no traffic from `knative-serving`: scale-from-zero breaks.",
    why: "While a revision is scaled to zero (or below its burst capacity) its traffic goes through Knative's \
          activator, which forwards requests from namespace `knative-serving`. Once any ALLOW \
          AuthorizationPolicy applies to a workload, only requests that match an ALLOW rule pass. If none of \
          the ALLOW policies covering the workload admits `knative-serving`, every request the activator \
          forwards gets a 403 and the revision never becomes ready, under STRICT and PERMISSIVE mTLS alike.",
    fix: "Add `knative-serving` to `from[].source.namespaces` of a policy that covers the same workloads \
          (a selector-less policy in the namespace covers all of them), e.g. \
          `from: [{source: {namespaces: [<namespace>, knative-serving]}}]`.",
    scope: "Runs when Knative objects are in the set. Checks ALLOW policies with at least one rule in app \
            namespaces (not the root namespace, istiod's namespace or the Knative system namespaces); policies \
            bound with `targetRefs` are skipped. Mesh-wide ALLOW policies in the root namespace count as covering.",
};

pub(crate) const MG0002: Rule = Rule {
    code: "MG0002",
    name: "knative-probe-paths-denied",
    severity: Severity::Error,
    summary: "ALLOW policies in an app namespace do not admit `/metrics` and `/healthz` from `knative-serving`.",
    why: "The autoscaler scrapes the queue-proxy's `/metrics` on pod IPs and the activator probes `/healthz` \
          before it forwards. When the ALLOW policies covering a workload admit `knative-serving` only on other \
          paths (or methods), both calls are denied: no metrics, no scale-up, and the activator never sees the \
          revision ready.",
    fix: "Add the policy the Knative docs call `allowlist-by-paths` to the namespace: an ALLOW \
          AuthorizationPolicy with `rules: [{to: [{operation: {paths: [/metrics, /healthz]}}]}]`.",
    scope: "Runs when Knative objects are in the set, on the same policies as MG0001, and only where \
            `knative-serving` is admitted at all (otherwise MG0001 reports it).",
};

pub(crate) const MG0003: Rule = Rule {
    code: "MG0003",
    name: "namespace-outside-mesh",
    severity: Severity::Error,
    summary: "A Knative system or app namespace under STRICT mTLS is not in the mesh: its calls are rejected.",
    why: "A namespace without `istio-injection=enabled`, `istio.io/rev` or `istio.io/dataplane-mode=ambient` \
          has no proxies, so its pods send plaintext, which STRICT peers reject. For `knative-serving` that is \
          the activator and the autoscaler: scale-from-zero breaks. The Knative docs require the activator to \
          be in the mesh.",
    fix: "Label the namespace `istio-injection=enabled` (or `istio.io/rev=<revision>`; ambient: \
          `istio.io/dataplane-mode=ambient`) and restart its pods.",
    scope: "Runs when a selector-less STRICT PeerAuthentication covers the namespace (mesh-wide in the root \
            namespace, or in the namespace itself). Only rendered Namespace objects are checked; istiod's and \
            the root namespace, `kube-*` namespaces and app namespaces that opt out explicitly \
            (`istio-injection=disabled`, `istio.io/dataplane-mode=none`) are skipped.",
};

pub(crate) const MG0004: Rule = Rule {
    code: "MG0004",
    name: "ambient-with-knative",
    severity: Severity::Error,
    summary: "Ambient data plane with Knative: not supported upstream.",
    why: "Knative does not support Istio's ambient mode: net-istio's support issue is open, Serving's ambient \
          CI leg has been disabled since 2023, and nothing tests net-gateway-api with ambient. The activator \
          and autoscaler address pod IPs, which bypass service waypoints, and Knative's path-based \
          allowlists need a waypoint.",
    fix: "Use the sidecar data plane for namespaces that run Knative. If you run ambient on purpose, \
          acknowledge it in the profile: `spec.lint.ignore: [{code: MG0004, reason: ...}]`.",
    scope: "Runs when Knative objects and an ambient data plane (a ztunnel DaemonSet or a namespace labelled \
            `istio.io/dataplane-mode=ambient`) are both in the set.",
};

pub(crate) const MG0005: Rule = Rule {
    code: "MG0005",
    name: "l7-policy-without-waypoint",
    severity: Severity::Error,
    summary: "An AuthorizationPolicy with L7 attributes in an ambient namespace without a waypoint: ztunnel drops all traffic to its targets.",
    why: "ztunnel enforces only L4 attributes. A policy that ztunnel enforces (bound by `selector` or to the \
          whole namespace) but matches on paths, methods, hosts, request principals or request headers \
          cannot be evaluated there, and ztunnel denies all traffic to the workloads it covers.",
    fix: "Deploy a waypoint for the namespace (a Gateway of class `istio-waypoint` and the label \
          `istio.io/use-waypoint` on the namespace) and bind the policy to it with `targetRefs`, or remove the \
          L7 attributes.",
    scope: "Runs on policies in rendered Namespaces labelled `istio.io/dataplane-mode=ambient` that are not \
            bound with `targetRefs`; a namespace counts as having a waypoint when it carries \
            `istio.io/use-waypoint` or holds a Gateway of class `istio-waypoint`.",
};

pub(crate) const MG0006: Rule = Rule {
    code: "MG0006",
    name: "conflicting-injection-labels",
    severity: Severity::Error,
    summary: "A namespace carries two data-plane labels: `istio-injection` with `istio.io/rev`, or injection with ambient.",
    why: "`istio-injection` takes precedence over `istio.io/rev` (the revision webhooks require that \
          `istio-injection` is absent), so the revision label is silently ignored; `istioctl analyze` reports \
          this as IST0123. With `istio-injection=enabled` and `istio.io/dataplane-mode=ambient`, sidecars win \
          and the namespace is not ambient.",
    fix: "Keep exactly one: `istio-injection=enabled` for the default revision, `istio.io/rev=<revision>` for \
          a revision, or `istio.io/dataplane-mode=ambient` for ambient.",
    scope: "Runs on every rendered Namespace.",
};

pub(crate) const MG0007: Rule = Rule {
    code: "MG0007",
    name: "unknown-revision",
    severity: Severity::Error,
    summary: "An injection label names a revision no rendered istiod serves.",
    why: "`istio.io/rev=<r>` is matched only by the injector webhook of revision (or revision tag) `<r>`; \
          `istio-injection=enabled` only by the default revision's. If no istiod serves that revision, no \
          webhook matches, pods start without sidecars, and nothing reports it.",
    fix: "Point the label at a revision that is rendered (istiod Deployments carry `istio.io/rev`), add a \
          revision tag for it, or use `istio.io/rev=<revision>` instead of `istio-injection=enabled` when only \
          a non-default revision exists.",
    scope: "Runs when at least one istiod Deployment (`istiod` or `istiod-<revision>`) is in the set; \
            revision tags count when their MutatingWebhookConfiguration (label `istio.io/tag`) is rendered.",
};

pub(crate) const MG0008: Rule = Rule {
    code: "MG0008",
    name: "peer-authentication-ineffective",
    severity: Severity::Error,
    summary: "A PeerAuthentication that Istio rejects or ignores.",
    why: "`portLevelMtls` needs a `selector` (CEL validation rejects it otherwise). A policy with a selector in \
          the root namespace is ignored. Only the oldest selector-less policy of a namespace counts; the \
          others are ignored, so which one wins depends on creation order. `mtls.mode: DISABLE` is ignored \
          in ambient namespaces.",
    fix: "Give port-level policies a `selector.matchLabels`; move selector policies out of the root \
          namespace; keep one selector-less policy per namespace (the mesh-wide one is conventionally \
          `default` in the root namespace); do not rely on DISABLE under ambient.",
    scope: "Runs on every PeerAuthentication; the root namespace is `meshConfig.rootNamespace` when a mesh \
            config is rendered, `istio-system` otherwise.",
};

pub(crate) const MG0009: Rule = Rule {
    code: "MG0009",
    name: "duplicate-default-telemetry",
    severity: Severity::Error,
    summary: "More than one selector-less Telemetry in a namespace.",
    why: "Only one Telemetry without `selector` or `targetRefs` is valid per namespace (in the root namespace, \
          that is the mesh-wide one); with several, Istio's result depends on which it picks.",
    fix: "Merge them into one (the mesh-wide one is conventionally `mesh-default` in the root namespace), or \
          give the others a `selector`.",
    scope: "Runs on every Telemetry.",
};

pub(crate) const MG0010: Rule = Rule {
    code: "MG0010",
    name: "deny-all-policy",
    severity: Severity::Warning,
    summary: "An ALLOW AuthorizationPolicy without rules denies every request in its scope.",
    why: "An ALLOW policy with no rules (`spec: {}` is one) matches nothing, so every request to the \
          workloads it covers is denied, including Knative's activator and autoscaler. It is the documented \
          default-deny pattern, but easy to write by accident.",
    fix: "If default-deny is intended, add ALLOW policies for what must pass (for Knative: \
          `knative-serving` and the paths `/metrics`, `/healthz`). If not, add `rules: [{}]` to allow all or \
          delete the policy.",
    scope: "Runs on every AuthorizationPolicy.",
};

pub(crate) const MG0011: Rule = Rule {
    code: "MG0011",
    name: "config-gateway-mismatch",
    severity: Severity::Error,
    summary: "Knative's `config-gateway` or `config-network` does not match the rendered gateways.",
    why: "net-gateway-api reads exactly one entry from each of `external-gateways` and `local-gateways` \
          (more is an error, an absent key or empty list means the net-istio defaults, unknown keys are \
          ignored). `gateway` and `service` must be `namespace/name`. The class and gateway must name a \
          Gateway that exists, and for a Gateway Istio provisions itself (no address, or one IP) the Service \
          is `<gateway>-<class>`; with any other service the prober probes pods that do not exist and every \
          KIngress stays not ready. Without `ingress-class: gateway-api.ingress.networking.knative.dev` in \
          `config-network`, net-gateway-api reconciles nothing.",
    fix: "Write one entry per key, e.g. `external-gateways: [{class: istio, gateway: \
          istio-system/knative-gateway, service: istio-system/knative-gateway-istio, supported-features: \
          [HTTPRouteRequestTimeout]}]`, and set `config-network` `ingress-class` to \
          `gateway-api.ingress.networking.knative.dev`.",
    scope: "Runs when `config-gateway` (or `config-network`) is in the set; gateway and class checks need \
            Gateway objects in the set, service checks a Gateway Istio provisions.",
};

pub(crate) const MG0012: Rule = Rule {
    code: "MG0012",
    name: "knative-gateway-listener",
    severity: Severity::Warning,
    summary: "A Knative gateway that the prober cannot match by port name, or a local gateway that gets a LoadBalancer.",
    why: "Istio names each port of a provisioned gateway Service after its listener; Knative's prober picks \
          the port named `http` (or `https` when redirecting) and otherwise falls back to appProtocol or the \
          first port. A provisioned local gateway without `networking.istio.io/service-type: ClusterIP` gets \
          a LoadBalancer, which stays pending where no load balancer exists, so Argo CD shows the Gateway \
          Progressing forever and later sync waves never start.",
    fix: "Name listeners `http` (port 80) and `https` (port 443); annotate the local gateway with \
          `networking.istio.io/service-type: ClusterIP`.",
    scope: "Runs on the Gateways Knative uses (those `config-gateway` names, else the defaults \
            `istio-system/knative-gateway` and `istio-system/knative-local-gateway`) that Istio provisions.",
};

pub(crate) const MG0013: Rule = Rule {
    code: "MG0013",
    name: "knative-webhook-strict",
    severity: Severity::Error,
    summary: "A Knative webhook in a STRICT, injected namespace without a PERMISSIVE exception for its port.",
    why: "The API server calls admission webhooks without a mesh identity. In an injected namespace under \
          STRICT the webhook's sidecar rejects those calls, and with `failurePolicy: Fail` every Knative \
          object (and the `config-*` ConfigMaps) is rejected.",
    fix: "Add a PeerAuthentication in the namespace with `selector.matchLabels: {app: <webhook>}` and \
          `portLevelMtls: {\"8443\": {mode: PERMISSIVE}}` (as net-istio ships for its webhooks).",
    scope: "Runs on rendered Knative system Namespaces that are injected and STRICT. Webhooks checked: \
            rendered webhook Deployments, plus Serving's `webhook` and Eventing's `eventing-webhook` when their \
            namespace has objects, and `net-gateway-api-webhook` when `config-network` selects net-gateway-api.",
};

pub(crate) const MG0014: Rule = Rule {
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
};

pub(crate) const MG0015: Rule = Rule {
    code: "MG0015",
    name: "discovery-selectors-exclude",
    severity: Severity::Error,
    summary: "`meshConfig.discoverySelectors` exclude a namespace the mesh needs.",
    why: "istiod ignores every namespace that no discovery selector matches: its Services, policies and \
          Gateways are invisible, so routes, mTLS settings and injection config do not reach it. \
          `istio-system`, the Knative system namespaces and every app namespace must match.",
    fix: "Label the namespace so one of the selectors matches it (e.g. `istio-discovery=enabled`), or widen \
          the selectors.",
    scope: "Runs when a mesh config (ConfigMap `istio` or `istio-<revision>`, key `mesh`) sets \
            `discoverySelectors`; checks rendered Namespaces that are istiod's, Knative's or in the mesh.",
};

pub(crate) const MG0100: Rule = Rule {
    code: "MG0100",
    name: "unknown-field",
    severity: Severity::Error,
    summary: "A field the object's type does not know, or a value of the wrong type.",
    why: "The API server drops unknown fields (or rejects them under strict field validation), so a typo \
          such as `replcias` silently does nothing. Typed validation deserialises every Kubernetes, Gateway \
          API and meshgen-emitted Istio object through its real type and reports each field that does not \
          survive the round trip.",
    fix: "Fix the spelling or the indentation at the reported JSON Pointer; for overlays, fix the patch.",
    scope: "Runs through `check_types` on Kubernetes kinds (k8s-openapi, Kubernetes 1.35), Gateway API \
            v1.5 standard kinds and Istio PeerAuthentication, AuthorizationPolicy and Telemetry; other kinds \
            are skipped.",
};

/// Every rule, in code order.
pub static RULES: &[&Rule] = &[
    &MG0001, &MG0002, &MG0003, &MG0004, &MG0005, &MG0006, &MG0007, &MG0008, &MG0009, &MG0010,
    &MG0011, &MG0012, &MG0013, &MG0014, &MG0015, &MG0100,
];

/// One analyzer: looks at the mesh, returns its findings.
pub(crate) type Analyzer = fn(&Mesh<'_>) -> Vec<Finding>;

/// The analyzers `lint` runs (MG0100 is `check_types`).
pub(crate) static ANALYZERS: &[Analyzer] = &[
    security::knative_serving_denied,
    security::knative_probe_paths_denied,
    security::namespace_outside_mesh,
    ambient::ambient_with_knative,
    ambient::l7_policy_without_waypoint,
    injection::conflicting_injection_labels,
    injection::unknown_revision,
    policies::peer_authentication_ineffective,
    policies::duplicate_default_telemetry,
    security::deny_all_policy,
    gateways::config_gateway_mismatch,
    gateways::knative_gateway_listener,
    security::knative_webhook_strict,
    webhooks::istio_validation_ignore,
    injection::discovery_selectors_exclude,
];

/// The rule with this code, if any.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code))
}

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
        "<!-- Generated from src/lint/catalogue.rs by `meshgen::lint::catalogue_markdown()`; do not edit.\n     \
         Regenerate: MESHGEN_BLESS=1 cargo test --test lint_docs -->\n\n",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_every_lint_analyzer_has_a_rule() {
        let codes: Vec<&str> = RULES.iter().map(|rule| rule.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        // MG0001..MG0015 are the analyzers, in order; MG0100 is typed validation.
        assert_eq!(ANALYZERS.len(), 15);
        for rule in RULES {
            assert!(rule.summary.ends_with('.'), "{}", rule.code);
            assert!(
                !rule.summary.contains('\n') && !rule.why.contains("  "),
                "{}",
                rule.code
            );
        }
    }

    #[test]
    fn explain_knows_codes_case_insensitively() {
        assert!(
            explain("mg0004")
                .is_some_and(|text| text.starts_with("MG0004 ambient-with-knative (error)"))
        );
        assert_eq!(explain("MG9999"), None);
    }
}
