//! Security analyzers for Knative on Istio: ALLOW policies that shut out Knative's activator
//! and autoscaler (MG0001, MG0002), namespaces left outside a STRICT mesh (MG0003), deny-all
//! policies (MG0010), Knative webhooks that STRICT mTLS hides from the API server (MG0013),
//! identity-based ALLOW policies where callers arrive without mTLS (MG0017), and path-only
//! rules that admit every caller to Knative's probe paths (MG0022).
//! Policy matching is conservative: an attribute this module cannot evaluate from the objects
//! alone (IP blocks, ports, conditions) counts as admitting, so findings are never guesses.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::core::wellknown::{
    IMC_CHANNEL, IMC_ROLE_CONTROLLER, LABEL_IMC_CHANNEL, LABEL_IMC_ROLE, MESH_COMPAT_ENABLED,
};
use crate::lint::Finding;
use crate::lint::istio_types::{MtlsMode, Rule as PolicyRule, Source};
use crate::lint::mesh::{
    Authz, LABEL_DATAPLANE, LABEL_INJECTION, Mesh, in_mesh, is_injected, istio_match, items_at,
    str_at,
};

/// The Deployment of Eventing's in-memory channel controller, and the webhook it serves.
const IMC_CONTROLLER: &str = "imc-controller";
const IMC_WEBHOOK: &str = "inmemorychannel-webhook";
use crate::lint::rule::{Rule, Severity};

pub(crate) static MG0001: Rule = Rule {
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
    check: knative_serving_denied,
};

pub(crate) static MG0002: Rule = Rule {
    code: "MG0002",
    name: "knative-probe-paths-denied",
    severity: Severity::Error,
    summary: "ALLOW policies in an app namespace do not admit `/metrics` and `/healthz` from `knative-serving`.",
    why: "The autoscaler scrapes the queue-proxy's `/metrics` on pod IPs and the activator probes `/healthz` \
          before it forwards. When the ALLOW policies covering a workload admit `knative-serving` only on other \
          paths (or methods), both calls are denied: no metrics, no scale-up, and the activator never sees the \
          revision ready.",
    fix: "Admit `knative-serving` on those paths: add it to `from[].source.namespaces` of a rule without \
          path restrictions, or add an ALLOW rule `{from: [{source: {namespaces: [knative-serving]}}], to: \
          [{operation: {paths: [/metrics, /healthz]}}]}`. (Knative's documented `allowlist-by-paths`, with no \
          `from`, works too but admits every caller; see MG0022.)",
    scope: "Runs when Knative objects are in the set, on the same policies as MG0001, and only where \
            `knative-serving` is admitted at all (otherwise MG0001 reports it).",
    check: knative_probe_paths_denied,
};

pub(crate) static MG0003: Rule = Rule {
    code: "MG0003",
    name: "namespace-outside-mesh",
    severity: Severity::Error,
    summary: "A Knative system or app namespace under STRICT mTLS is not in the mesh: its calls are rejected.",
    why: "A namespace without `istio-injection=enabled`, `istio.io/rev` or `istio.io/dataplane-mode=ambient` \
          has no proxies, so its pods send plaintext, which STRICT peers reject. For `knative-serving` that is \
          the activator and the autoscaler: scale-from-zero breaks. The Knative docs require the activator to \
          be in the mesh.",
    fix: "Label the namespace `istio-injection=enabled` (or `istio.io/rev=<revision>`; ambient: \
          `istio.io/dataplane-mode=ambient`) and restart its pods. On a cluster already running, go through \
          PERMISSIVE first and restart the pods before STRICT (meshgen's docs/migration.md).",
    scope: "Runs when a selector-less STRICT PeerAuthentication covers the namespace (mesh-wide in the root \
            namespace, or in the namespace itself). Only rendered Namespace objects are checked; istiod's and \
            the root namespace, `kube-*` namespaces and app namespaces that opt out explicitly \
            (`istio-injection=disabled`, `istio.io/dataplane-mode=none`) are skipped.",
    check: namespace_outside_mesh,
};

pub(crate) static MG0010: Rule = Rule {
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
    check: deny_all_policy,
};

pub(crate) static MG0013: Rule = Rule {
    code: "MG0013",
    name: "knative-webhook-strict",
    severity: Severity::Error,
    summary: "A Knative webhook in a STRICT namespace in the mesh (sidecar or ambient) without a PERMISSIVE exception for its port.",
    why: "The API server calls admission webhooks without a mesh identity. In a namespace in the mesh under \
          STRICT the webhook's sidecar (or ztunnel) rejects those calls, and with `failurePolicy: Fail` every \
          Knative object (and the `config-*` ConfigMaps) is rejected. Eventing's in-memory channel serves a \
          second webhook (`inmemorychannel-webhook` on `imc-controller`, pods labelled \
          `messaging.knative.dev/channel: in-memory-channel` and `messaging.knative.dev/role: controller`, no \
          `app` label): without its exception every InMemoryChannel, hence every channel-based Broker, fails \
          admission.",
    fix: "Add a PeerAuthentication in the namespace whose `selector.matchLabels` select the webhook's pods \
          (`{app: <webhook>}`; for the in-memory channel `{messaging.knative.dev/channel: in-memory-channel, \
          messaging.knative.dev/role: controller}`) with `portLevelMtls: {\"8443\": {mode: PERMISSIVE}}` (as \
          net-istio ships for its webhooks).",
    scope: "Runs on rendered Knative system Namespaces in the mesh (injected or ambient) under STRICT. Webhooks \
            checked: rendered webhook Deployments (`*webhook`, `imc-controller`), plus Serving's `webhook` and \
            Eventing's `eventing-webhook` and `inmemorychannel-webhook` when their namespace is rendered \
            (the in-memory channel's not when the set holds Eventing's Deployments without `imc-controller`), \
            and `net-gateway-api-webhook` when `config-network` selects net-gateway-api.",
    check: knative_webhook_strict,
};

pub(crate) static MG0017: Rule = Rule {
    code: "MG0017",
    name: "identity-policy-without-mtls",
    severity: Severity::Error,
    summary: "An ALLOW policy matches callers by identity where they arrive without mTLS: their requests are denied.",
    why: "`source.namespaces`, `principals` and `serviceAccounts` match the peer identity of an mTLS connection; a \
          plain-text request never matches them. Under DISABLE a sidecar sends and accepts only plain text, so \
          every request to the workloads is denied. Under PERMISSIVE, Knative's activator and autoscaler call \
          revision pods by pod IP while `config-network` leaves `mesh-compatibility-mode` at `auto`, and a \
          sidecar sends pod-IP traffic as plain text, so requests forwarded by the activator (scale from zero) \
          get `403 RBAC: access denied`; a Knative system namespace outside the mesh sends plain text in any mode.",
    fix: "Under DISABLE remove the identity-based ALLOW policies (the namespace is then open to every caller), or \
          use PERMISSIVE or STRICT. Under PERMISSIVE set `mesh-compatibility-mode: enabled` in `config-network`, \
          and label the Knative namespaces for injection and restart their pods (meshgen's docs/migration.md).",
    scope: "Runs on ALLOW AuthorizationPolicies bound to workloads (no `targetRefs`) with rules, in rendered \
            Namespaces labelled for sidecar injection, whose mTLS mode a selector-less PeerAuthentication in the \
            set decides. A policy is judged only when no rule covering its workloads admits plain text (a rule \
            without `from`, or whose sources set no namespaces, principals or service accounts, and without \
            `to`). The PERMISSIVE checks run when Knative is in the set: `config-network` in the set without \
            `mesh-compatibility-mode: enabled`, or an admitted Knative system Namespace rendered outside the mesh.",
    check: identity_policy_without_mtls,
};

pub(crate) static MG0022: Rule = Rule {
    code: "MG0022",
    name: "knative-probe-policy-too-broad",
    severity: Severity::Warning,
    summary: "An ALLOW rule in an app namespace admits every caller to `/metrics` or `/healthz` on every port.",
    why: "Knative's autoscaler and activator, the callers of these paths, run in `knative-serving`. A rule that \
          matches only the paths admits any mesh identity of any namespace (and, under PERMISSIVE, plain text) to \
          those paths on every container of every workload, the application's own included. It is Knative's \
          documented `allowlist-by-paths`, needed only when no other rule admits `knative-serving`; under \
          STRICT it adds nothing for callers without a sidecar (the kubelet's probes are rewritten to the \
          sidecar's port).",
    fix: "Delete it when another ALLOW rule admits `knative-serving` on every path (meshgen's \
          `allow-knative-system` does); otherwise add `from: [{source: {namespaces: [knative-serving]}}]` (and \
          `ports`, and other callers such as an in-mesh Prometheus, if they need the paths).",
    scope: "Runs when Knative is in the set, on the policies MG0001 checks: rules whose `to` paths match \
            `/metrics` or `/healthz`, with no `ports`, and no `from` (or sources that set no namespaces, \
            principals, service accounts or IP blocks).",
    check: knative_probe_policy_too_broad,
};

/// The paths Knative's autoscaler and activator call on every revision pod.
const KNATIVE_PATHS: [&str; 2] = ["/metrics", "/healthz"];

/// `source` may admit a peer from `namespace` (every field that is set must admit it).
fn source_admits(source: &Source, namespace: &str) -> bool {
    let namespaces_ok = source.namespaces.as_ref().is_none_or(|patterns| {
        patterns
            .iter()
            .any(|pattern| istio_match(pattern, namespace))
    });
    let not_namespaces_ok = source.not_namespaces.as_ref().is_none_or(|patterns| {
        !patterns
            .iter()
            .any(|pattern| istio_match(pattern, namespace))
    });
    let principals_ok = source.principals.as_ref().is_none_or(|patterns| {
        patterns
            .iter()
            .any(|pattern| principal_may_be_in(pattern, namespace))
    });
    let service_accounts_ok = source.service_accounts.as_ref().is_none_or(|accounts| {
        accounts
            .iter()
            .any(|account| account.contains('*') || account.starts_with(&format!("{namespace}/")))
    });
    namespaces_ok && not_namespaces_ok && principals_ok && service_accounts_ok
}

/// A principal pattern (`<trust-domain>/ns/<namespace>/sa/<account>`, with one `*`) may match a
/// workload of `namespace`.
fn principal_may_be_in(pattern: &str, namespace: &str) -> bool {
    if pattern.contains(&format!("/ns/{namespace}/")) || pattern == "*" || pattern.starts_with('*')
    {
        return true;
    }
    let Some(prefix) = pattern.strip_suffix('*') else {
        return false;
    };
    match prefix.split_once("/ns/") {
        // `td/ns/knat*` may match; `td/ns/shop/*` may not.
        Some((_, rest)) => format!("{namespace}/sa/").starts_with(rest),
        // `td/*`, `td/n*`
        None => true,
    }
}

/// The rule's `from` admits a peer from `namespace`.
fn from_admits(rule: &PolicyRule, namespace: &str) -> bool {
    from_lets_in(rule, |source| source_admits(source, namespace))
}

/// The rule's `from` lets in a peer whose source `fits`: there is no `from`, or one of its
/// entries has no source or a source that fits.
fn from_lets_in(rule: &PolicyRule, fits: impl Fn(&Source) -> bool) -> bool {
    match rule.from.as_deref() {
        None | Some([]) => true,
        Some(froms) => froms
            .iter()
            .any(|from| from.source.as_ref().is_none_or(&fits)),
    }
}

/// The source sets none of the attributes that match a peer's mTLS identity.
fn names_no_identity(source: &Source) -> bool {
    source.namespaces.is_none() && source.principals.is_none() && source.service_accounts.is_none()
}

/// The rule's `to` admits `GET path`.
fn to_admits_get(rule: &PolicyRule, path: &str) -> bool {
    match rule.to.as_deref() {
        None | Some([]) => true,
        Some(tos) => tos.iter().any(|to| {
            to.operation.as_ref().is_none_or(|operation| {
                let any = |patterns: &Option<Vec<String>>, value: &str| {
                    patterns
                        .as_ref()
                        .map(|patterns| patterns.iter().any(|pattern| istio_match(pattern, value)))
                };
                any(&operation.paths, path).unwrap_or(true)
                    && !any(&operation.not_paths, path).unwrap_or(false)
                    && any(&operation.methods, "GET").unwrap_or(true)
                    && !any(&operation.not_methods, "GET").unwrap_or(false)
            })
        }),
    }
}

/// ALLOW policies bound to workloads (not `targetRefs`) with at least one rule: the ones MG0001
/// and MG0002 check.
fn checked_allow(policy: &Authz<'_>) -> bool {
    policy
        .policy
        .spec
        .as_ref()
        .is_some_and(|spec| spec.is_allow() && !spec.has_target_refs() && !spec.rules().is_empty())
}

fn match_labels<'p>(policy: &'p Authz<'_>) -> Option<&'p BTreeMap<String, String>> {
    policy
        .policy
        .spec
        .as_ref()
        .and_then(|spec| spec.match_labels())
}

/// ALLOW policies that apply to every workload `policy` applies to: in its namespace or the
/// root namespace, with a selector that is a subset of its selector (none is the empty set).
/// `by_namespace` holds the checked ALLOW policies by namespace, so each policy looks only at
/// its own namespace's and the root's (the whole list per policy would be quadratic).
fn covering<'m>(
    mesh: &Mesh<'_>,
    by_namespace: &HashMap<&str, Vec<&'m Authz<'m>>>,
    policy: &Authz<'_>,
) -> Vec<&'m Authz<'m>> {
    let labels = match_labels(policy);
    let namespace = policy.object.id.namespace.as_str();
    let mut scopes = vec![namespace];
    if mesh.root != namespace {
        scopes.push(&mesh.root);
    }
    scopes
        .into_iter()
        .filter_map(|scope| by_namespace.get(scope))
        .flatten()
        .copied()
        .filter(|other| match (match_labels(other), labels) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(wanted), Some(have)) => wanted
                .iter()
                .all(|(key, value)| have.get(key) == Some(value)),
        })
        .collect()
}

/// Every rule of these policies.
fn rules<'p>(policies: &[&'p Authz<'p>]) -> Vec<&'p PolicyRule> {
    policies
        .iter()
        .filter_map(|policy| policy.policy.spec.as_ref())
        .flat_map(|spec| spec.rules())
        .collect()
}

/// The checked ALLOW policies by namespace, for [`covering`].
fn allow_by_namespace<'m>(policies: &'m [Authz<'m>]) -> HashMap<&'m str, Vec<&'m Authz<'m>>> {
    let mut by_namespace: HashMap<&str, Vec<&'m Authz<'m>>> = HashMap::new();
    for policy in policies.iter().filter(|policy| checked_allow(policy)) {
        by_namespace
            .entry(policy.object.id.namespace.as_str())
            .or_default()
            .push(policy);
    }
    by_namespace
}

/// App-namespace ALLOW policies that MG0001/MG0002 judge, with their covering policies.
fn app_policies<'m>(
    mesh: &Mesh<'_>,
    policies: &'m [Authz<'m>],
) -> Vec<(&'m Authz<'m>, Vec<&'m Authz<'m>>)> {
    if !mesh.knative_present() {
        return Vec::new();
    }
    let by_namespace = allow_by_namespace(policies);
    policies
        .iter()
        .filter(|policy| {
            checked_allow(policy) && !mesh.is_system_namespace(&policy.object.id.namespace)
        })
        .map(|policy| (policy, covering(mesh, &by_namespace, policy)))
        .collect()
}

/// MG0001: no ALLOW policy covering an app workload admits `knative-serving`.
pub(crate) fn knative_serving_denied(mesh: &Mesh<'_>) -> Vec<Finding> {
    let serving = mesh.serving();
    let policies = mesh.authorization_policies();
    app_policies(mesh, &policies)
        .into_iter()
        .filter(|(_, covering)| !rules(covering).iter().any(|rule| from_admits(rule, serving)))
        .map(|(policy, _)| {
            MG0001.finding(
                &policy.object.id,
                "/spec/rules",
                format!(
                    "AuthorizationPolicy `{}`: no ALLOW rule for its workloads admits namespace `{serving}`, \
                     so the activator is denied; add `{serving}` to `from[].source.namespaces`",
                    policy.object.name()
                ),
            )
        })
        .collect()
}

/// MG0002: `knative-serving` is admitted, but not on `/metrics` and `/healthz`.
pub(crate) fn knative_probe_paths_denied(mesh: &Mesh<'_>) -> Vec<Finding> {
    let serving = mesh.serving();
    let policies = mesh.authorization_policies();
    app_policies(mesh, &policies)
        .into_iter()
        .filter_map(|(policy, covering)| {
            let rules = rules(&covering);
            if !rules.iter().any(|rule| from_admits(rule, serving)) {
                return None; // MG0001
            }
            let denied: Vec<&str> = KNATIVE_PATHS
                .into_iter()
                .filter(|path| !rules.iter().any(|rule| from_admits(rule, serving) && to_admits_get(rule, path)))
                .collect();
            (!denied.is_empty()).then(|| {
                MG0002.finding(
                    &policy.object.id,
                    "/spec/rules",
                    format!(
                        "AuthorizationPolicy `{}`: no ALLOW rule for its workloads admits `{serving}` on {}; \
                         add an ALLOW rule with `to: [{{operation: {{paths: [/metrics, /healthz]}}}}]`",
                        policy.object.name(),
                        denied.iter().map(|path| format!("`{path}`")).collect::<Vec<_>>().join(" and ")
                    ),
                )
            })
        })
        .collect()
}

/// MG0003: a namespace under STRICT that is not in the mesh.
pub(crate) fn namespace_outside_mesh(mesh: &Mesh<'_>) -> Vec<Finding> {
    let mesh_wide = mesh
        .mesh_mtls_mode()
        .filter(|(mode, _)| *mode == MtlsMode::Strict);
    let mut findings = Vec::new();
    for (name, namespace) in mesh.namespaces() {
        let knative = mesh.is_knative_namespace(name);
        if !knative && mesh.is_system_namespace(name) {
            continue;
        }
        let opted_out = namespace.label(LABEL_INJECTION) == Some("disabled")
            || namespace.label(LABEL_DATAPLANE) == Some("none");
        if in_mesh(namespace) || (opted_out && !knative) {
            continue;
        }
        let strict = mesh
            .mtls_mode(name)
            .filter(|(mode, _)| *mode == MtlsMode::Strict)
            .or_else(|| mesh_wide.clone());
        let Some((_, policy)) = strict else { continue };
        let consequence = if name == mesh.serving() {
            "the activator and autoscaler are rejected and scale-from-zero breaks"
        } else {
            "its pods' calls to STRICT workloads are rejected"
        };
        findings.push(MG0003.finding(
            &namespace.id,
            "/metadata/labels",
            format!(
                "namespace `{name}` is not in the mesh but STRICT mTLS applies (PeerAuthentication `{}/{}`): {consequence}; \
                 label it `istio-injection=enabled` or `istio.io/rev=<revision>`",
                policy.namespace, policy.name
            ),
        ));
    }
    findings
}

/// MG0010: an ALLOW policy without rules (deny-all).
pub(crate) fn deny_all_policy(mesh: &Mesh<'_>) -> Vec<Finding> {
    let knative = mesh.knative_present();
    mesh.authorization_policies()
        .iter()
        .filter(|policy| {
            let spec = policy.policy.spec.clone().unwrap_or_default();
            spec.is_allow() && spec.provider.is_none() && spec.rules().is_empty()
        })
        .map(|policy| {
            let spec = policy.policy.spec.clone().unwrap_or_default();
            let namespace = &policy.object.id.namespace;
            let scope = if let Some(labels) = spec.match_labels() {
                let selector = labels.iter().map(|(key, value)| format!("{key}={value}")).collect::<Vec<_>>().join(",");
                if *namespace == mesh.root {
                    format!("workloads labelled `{selector}` in every namespace")
                } else {
                    format!("workloads labelled `{selector}` in namespace `{namespace}`")
                }
            } else if spec.has_target_refs() {
                let targets = spec
                    .target_ref
                    .iter()
                    .chain(spec.target_refs.iter().flatten())
                    .map(|target| {
                        format!("{} `{}`", target.kind.as_deref().unwrap_or("target"), target.name.as_deref().unwrap_or(""))
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("traffic through {targets}")
            } else if *namespace == mesh.root {
                "every workload in the mesh".to_owned()
            } else {
                format!("every workload in namespace `{namespace}`")
            };
            let knative_note = if knative && !spec.has_target_refs() { ", Knative's activator and autoscaler included" } else { "" };
            MG0010.finding(
                &policy.object.id,
                "/spec",
                format!(
                    "AuthorizationPolicy `{}` has no rules: it denies every request to {scope}{knative_note}; \
                     add ALLOW rules for what must pass, or delete it",
                    policy.object.name()
                ),
            )
        })
        .collect()
}

/// A Knative webhook workload: name, pod labels, webhook port.
struct Webhook {
    name: String,
    labels: BTreeMap<String, String>,
    port: u16,
}

/// The webhook workloads of a Knative system namespace: rendered `*webhook` Deployments, plus
/// the ones a Knative install always has there (Serving's `webhook`, Eventing's
/// `eventing-webhook`) and net-gateway-api's when `config-network` selects it.
fn webhooks(mesh: &Mesh<'_>, namespace: &str) -> Vec<Webhook> {
    let mut found: Vec<Webhook> = mesh
        .of_kind("apps", "Deployment")
        .filter(|object| {
            object.id.namespace == namespace
                && (object.id.name.ends_with("webhook") || object.id.name == IMC_CONTROLLER)
        })
        .map(|object| {
            let labels: BTreeMap<String, String> = object
                .value
                .pointer("/spec/template/metadata/labels")
                .and_then(Value::as_object)
                .map(|labels| {
                    labels
                        .iter()
                        .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            // The in-memory channel's webhook is served by `imc-controller`: match only the
            // labels that select it (its pods carry more, e.g. version labels).
            let labels = if object.id.name == IMC_CONTROLLER {
                labels
                    .into_iter()
                    .filter(|(key, _)| key == LABEL_IMC_CHANNEL || key == LABEL_IMC_ROLE)
                    .collect()
            } else {
                labels
            };
            let port = object
                .items_at("/spec/template/spec/containers")
                .flat_map(|container| items_at(container, "/ports"))
                .find(|port| str_at(port, "/name") == Some("https-webhook"))
                .and_then(|port| port.get("containerPort").and_then(Value::as_u64))
                .and_then(|port| u16::try_from(port).ok())
                .unwrap_or(8443);
            Webhook {
                name: if object.id.name == IMC_CONTROLLER {
                    IMC_WEBHOOK.to_owned()
                } else {
                    object.id.name.clone()
                },
                labels,
                port,
            }
        })
        .collect();
    let net_gateway_api = mesh
        .of_kind("", "ConfigMap")
        .any(|object| object.id.namespace == mesh.serving() && object.id.name == "config-gateway")
        || mesh.of_kind("", "ConfigMap").any(|object| {
            object.id.namespace == mesh.serving()
                && object.id.name == "config-network"
                && object.str_at("/data/ingress-class")
                    == Some(crate::core::wellknown::GATEWAY_API_INGRESS_CLASS)
        });
    let app =
        |name: &str| -> BTreeMap<String, String> { [("app".to_owned(), name.to_owned())].into() };
    let mut expected: Vec<(&str, BTreeMap<String, String>)> = Vec::new();
    if namespace == mesh.serving() {
        expected.push(("webhook", app("webhook")));
        if net_gateway_api {
            expected.push(("net-gateway-api-webhook", app("net-gateway-api-webhook")));
        }
    } else if namespace == mesh.eventing() {
        expected.push(("eventing-webhook", app("eventing-webhook")));
        // Eventing's default channel: expected unless the set shows Eventing's Deployments
        // without `imc-controller` (installed without the in-memory channel).
        let deployments: Vec<&str> = mesh
            .of_kind("apps", "Deployment")
            .filter(|object| object.id.namespace == namespace)
            .map(|object| object.id.name.as_str())
            .collect();
        if deployments.is_empty() || deployments.contains(&IMC_CONTROLLER) {
            expected.push((
                IMC_WEBHOOK,
                [
                    (LABEL_IMC_CHANNEL.to_owned(), IMC_CHANNEL.to_owned()),
                    (LABEL_IMC_ROLE.to_owned(), IMC_ROLE_CONTROLLER.to_owned()),
                ]
                .into(),
            ));
        }
    }
    for (name, labels) in expected {
        if !found.iter().any(|webhook| webhook.name == name) {
            found.push(Webhook {
                name: name.to_owned(),
                labels,
                port: 8443,
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// MG0013: a Knative webhook under STRICT without a port-level PERMISSIVE exception.
pub(crate) fn knative_webhook_strict(mesh: &Mesh<'_>) -> Vec<Finding> {
    let peer_auths = mesh.peer_authentications();
    let mut findings = Vec::new();
    for name in mesh.knative_namespaces() {
        let Some(namespace) = mesh.namespace(name) else {
            continue;
        };
        if !in_mesh(namespace) {
            continue;
        }
        let Some((MtlsMode::Strict, strict_policy)) = mesh.mtls_mode(name) else {
            continue;
        };
        for webhook in webhooks(mesh, name) {
            let exempt = peer_auths.iter().any(|policy| {
                let Some(spec) = policy.policy.spec.as_ref() else {
                    return false;
                };
                let Some(wanted) = spec
                    .selector
                    .as_ref()
                    .and_then(|selector| selector.match_labels.as_ref())
                else {
                    return false;
                };
                let relaxed = |mode: Option<MtlsMode>| {
                    matches!(mode, Some(MtlsMode::Permissive | MtlsMode::Disable))
                };
                policy.object.id.namespace == name
                    && !wanted.is_empty()
                    && wanted
                        .iter()
                        .all(|(key, value)| webhook.labels.get(key) == Some(value))
                    && (relaxed(spec.mtls.as_ref().and_then(|mtls| mtls.mode))
                        || spec
                            .port_level_mtls
                            .as_ref()
                            .and_then(|ports| ports.get(&webhook.port.to_string()))
                            .is_some_and(|mtls| relaxed(mtls.mode)))
            });
            if exempt {
                continue;
            }
            findings.push(MG0013.finding(
                &namespace.id,
                "",
                format!(
                    "Knative webhook `{name}/{webhook}` (port {port}) runs in the mesh under STRICT mTLS \
                     (PeerAuthentication `{policy_ns}/{policy_name}`), so the API server cannot call it; add a \
                     PeerAuthentication with `selector.matchLabels` {selector} and `portLevelMtls` \"{port}\" PERMISSIVE",
                    webhook = webhook.name,
                    port = webhook.port,
                    policy_ns = strict_policy.namespace,
                    policy_name = strict_policy.name,
                    selector = if webhook.labels.is_empty() {
                        "matching its pods".to_owned()
                    } else {
                        format!(
                            "`{{{}}}`",
                            webhook
                                .labels
                                .iter()
                                .map(|(key, value)| format!("{key}: {value}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                ),
            ));
        }
    }
    findings
}

/// The rule admits callers without a mesh identity on every path: no `from`, or a source that
/// sets none of the identity attributes, and no `to` (a path or port restriction is not
/// "every request"). Conditions (`when`) count as admitting: this module cannot judge them.
fn admits_plain_text(rule: &PolicyRule) -> bool {
    let from_open = from_lets_in(rule, names_no_identity);
    let to_open = rule.to.as_deref().is_none_or(<[_]>::is_empty);
    (from_open && to_open) || rule.when.as_ref().is_some_and(|when| !when.is_empty())
}

/// The rule names Knative system namespace `namespace` among its sources.
fn admits_by_namespace(rule: &PolicyRule, namespace: &str) -> bool {
    rule.from.iter().flatten().any(|from| {
        from.source.as_ref().is_some_and(|source| {
            source
                .namespaces
                .iter()
                .flatten()
                .any(|pattern| istio_match(pattern, namespace))
        })
    })
}

/// MG0017: identity-based ALLOW policies where callers arrive without mTLS.
pub(crate) fn identity_policy_without_mtls(mesh: &Mesh<'_>) -> Vec<Finding> {
    let policies = mesh.authorization_policies();
    let peer_auths = mesh.peer_authentications();
    let namespaces = mesh.namespaces();
    let knative = mesh.knative_present();
    let network = mesh
        .of_kind("", "ConfigMap")
        .find(|object| object.id.namespace == mesh.serving() && object.id.name == "config-network");
    let mesh_compat = network.map(|network| network.str_at("/data/mesh-compatibility-mode"));
    let by_namespace = allow_by_namespace(&policies);
    // Namespaces where a workload-level mode cannot be judged per workload (computed once:
    // per policy it would be quadratic in the number of namespaces).
    let workload_mode_namespaces: std::collections::HashSet<&str> = peer_auths
        .iter()
        .filter(|pa| {
            pa.has_selector()
                && pa
                    .policy
                    .spec
                    .as_ref()
                    .and_then(|s| s.mtls.as_ref())
                    .and_then(|m| m.mode)
                    .is_some()
        })
        .map(|pa| pa.object.id.namespace.as_str())
        .collect();
    let mut findings = Vec::new();
    for policy in policies.iter().filter(|policy| checked_allow(policy)) {
        let name = &policy.object.id.namespace;
        let Some(namespace) = namespaces.get(name.as_str()) else {
            continue;
        };
        if !is_injected(namespace) {
            continue;
        }
        let workload_modes = workload_mode_namespaces.contains(name.as_str());
        let Some((mode, mode_policy)) = mesh.mtls_mode(name) else {
            continue;
        };
        if workload_modes {
            continue;
        }
        let covering = covering(mesh, &by_namespace, policy);
        if rules(&covering).iter().any(|rule| admits_plain_text(rule)) {
            continue;
        }
        let what = format!(
            "AuthorizationPolicy `{}` admits callers by identity",
            policy.object.name()
        );
        let by = format!(
            "PeerAuthentication `{}/{}`",
            mode_policy.namespace, mode_policy.name
        );
        match mode {
            MtlsMode::Disable => findings.push(MG0017.finding(
                &policy.object.id,
                "/spec/rules",
                format!(
                    "{what}, but mTLS is DISABLE ({by}): no request carries an identity, so every request to its \
                     workloads is denied; remove the identity-based ALLOW policies, or use PERMISSIVE or STRICT"
                ),
            )),
            MtlsMode::Permissive if knative => {
                if let Some(compat) = mesh_compat
                    && compat != Some(MESH_COMPAT_ENABLED)
                {
                    findings.push(MG0017.finding(
                        &policy.object.id,
                        "/spec/rules",
                        format!(
                            "{what} under PERMISSIVE mTLS ({by}), while `config-network` leaves \
                             `mesh-compatibility-mode` at `{}`: the activator's pod-IP requests arrive as plain \
                             text and get 403; set `mesh-compatibility-mode: {MESH_COMPAT_ENABLED}`",
                            compat.unwrap_or("auto")
                        ),
                    ));
                }
                let covering_rules = rules(&covering);
                for system in mesh.knative_namespaces() {
                    let Some(system_namespace) = namespaces.get(system) else {
                        continue;
                    };
                    if in_mesh(system_namespace)
                        || !covering_rules.iter().any(|rule| admits_by_namespace(rule, system))
                    {
                        continue;
                    }
                    findings.push(MG0017.finding(
                        &policy.object.id,
                        "/spec/rules",
                        format!(
                            "{what} (namespace `{system}` among them) under PERMISSIVE mTLS ({by}), but namespace \
                             `{system}` is not in the mesh: its pods send plain text, which the policy denies; label \
                             it for injection and restart its pods (docs/migration.md)"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    findings
}

/// A path pattern of a rule may be one of Knative's probe paths.
fn matches_probe_path(pattern: &str) -> bool {
    KNATIVE_PATHS.iter().any(|path| istio_match(pattern, path))
}

/// MG0022: a path-only rule that admits every caller to Knative's probe paths.
pub(crate) fn knative_probe_policy_too_broad(mesh: &Mesh<'_>) -> Vec<Finding> {
    if !mesh.knative_present() {
        return Vec::new();
    }
    let policies = mesh.authorization_policies();
    let mut findings = Vec::new();
    // The policies MG0001 judges (without their covering set, which this check does not need).
    for policy in policies.iter().filter(|policy| {
        checked_allow(policy) && !mesh.is_system_namespace(&policy.object.id.namespace)
    }) {
        for (index, rule) in policy
            .policy
            .spec
            .as_ref()
            .map(|spec| spec.rules())
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let anyone = from_lets_in(rule, |source| {
                names_no_identity(source)
                    && source.ip_blocks.is_none()
                    && source.remote_ip_blocks.is_none()
            });
            let probe_paths = rule.to.iter().flatten().any(|to| {
                to.operation.as_ref().is_some_and(|operation| {
                    operation.ports.is_none()
                        && operation
                            .paths
                            .iter()
                            .flatten()
                            .any(|path| matches_probe_path(path))
                })
            });
            if anyone && probe_paths {
                findings.push(MG0022.finding(
                    &policy.object.id,
                    format!("/spec/rules/{index}"),
                    format!(
                        "AuthorizationPolicy `{}` rule {index} admits every caller to Knative's probe paths on every \
                         port of every workload in `{}`; add `from: [{{source: {{namespaces: [{}]}}}}]`, or delete it \
                         when another rule admits `{}`",
                        policy.object.name(),
                        policy.object.id.namespace,
                        mesh.serving(),
                        mesh.serving()
                    ),
                ));
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals() {
        assert!(principal_may_be_in(
            "cluster.local/ns/knative-serving/sa/controller",
            "knative-serving"
        ));
        assert!(principal_may_be_in(
            "cluster.local/ns/knative-*",
            "knative-serving"
        ));
        assert!(principal_may_be_in("*", "knative-serving"));
        assert!(!principal_may_be_in(
            "cluster.local/ns/shop/sa/web",
            "knative-serving"
        ));
        assert!(!principal_may_be_in(
            "cluster.local/ns/shop/*",
            "knative-serving"
        ));
    }
}
