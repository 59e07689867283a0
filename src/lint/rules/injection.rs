//! Data-plane membership analyzers: namespaces with conflicting injection labels (MG0006),
//! injection labels that name a revision no rendered istiod serves (MG0007), and discovery
//! selectors that hide a namespace the mesh needs from istiod (MG0015).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::lint::Finding;
use crate::lint::mesh::{
    ISTIO_SYSTEM, LABEL_DATAPLANE, LABEL_INJECTION, LABEL_REV, Mesh, escape, in_mesh, is_ambient,
    selector_matches,
};
use crate::lint::rule::{Rule, Severity};

pub(crate) static MG0006: Rule = Rule {
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
    check: conflicting_injection_labels,
};

pub(crate) static MG0007: Rule = Rule {
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
    check: unknown_revision,
};

pub(crate) static MG0015: Rule = Rule {
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
    check: discovery_selectors_exclude,
};

/// MG0006: `istio-injection` with `istio.io/rev`, or injection with ambient.
pub(crate) fn conflicting_injection_labels(mesh: &Mesh<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, namespace) in mesh.namespaces() {
        let injection = namespace.label(LABEL_INJECTION);
        if let (Some(injection), Some(revision)) = (injection, namespace.label(LABEL_REV)) {
            findings.push(MG0006.finding(
                &namespace.id,
                format!("/metadata/labels/{}", escape(LABEL_REV)),
                format!(
                    "namespace `{name}` has both `{LABEL_INJECTION}={injection}` and `{LABEL_REV}={revision}`: \
                     `{LABEL_INJECTION}` wins and the revision is ignored; keep one"
                ),
            ));
        }
        if injection == Some("enabled") && is_ambient(namespace) {
            findings.push(MG0006.finding(
                &namespace.id,
                format!("/metadata/labels/{}", escape(LABEL_DATAPLANE)),
                format!(
                    "namespace `{name}` has both `{LABEL_INJECTION}=enabled` and `{LABEL_DATAPLANE}=ambient`: sidecars \
                     win and the namespace is not ambient; keep one"
                ),
            ));
        }
    }
    findings
}

/// MG0007: an injection label that no rendered istiod serves.
pub(crate) fn unknown_revision(mesh: &Mesh<'_>) -> Vec<Finding> {
    if mesh.istiods.is_empty() {
        return Vec::new();
    }
    let revisions: BTreeSet<&str> = mesh
        .istiods
        .iter()
        .map(|istiod| istiod.revision.as_str())
        .collect();
    let tags = mesh.revision_tags();
    let served: BTreeSet<&str> = revisions.union(&tags).copied().collect();
    let listed = served
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut findings = Vec::new();
    for (name, namespace) in mesh.namespaces() {
        match (namespace.label(LABEL_INJECTION), namespace.label(LABEL_REV)) {
            // `istio-injection` set: the revision label is ignored (MG0006).
            (None, Some(revision)) if !served.contains(revision) => findings.push(MG0007.finding(
                &namespace.id,
                format!("/metadata/labels/{}", escape(LABEL_REV)),
                format!(
                    "namespace `{name}` has `{LABEL_REV}={revision}` but no rendered istiod serves that revision \
                     (served: {listed}); pods start without sidecars; use one of the served revisions"
                ),
            )),
            (Some("enabled"), _) if !served.contains("default") => findings.push(MG0007.finding(
                &namespace.id,
                format!("/metadata/labels/{}", escape(LABEL_INJECTION)),
                format!(
                    "namespace `{name}` has `{LABEL_INJECTION}=enabled` but no default revision is rendered \
                     (served: {listed}); pods start without sidecars; use `{LABEL_REV}=<revision>` instead"
                ),
            )),
            _ => {}
        }
    }
    findings
}

/// MG0015: discovery selectors that do not match a namespace the mesh needs.
pub(crate) fn discovery_selectors_exclude(mesh: &Mesh<'_>) -> Vec<Finding> {
    let istiod_namespaces = mesh.istiod_namespaces();
    let mut findings = Vec::new();
    for config in mesh.mesh_configs() {
        let Some(selectors) = config
            .config
            .get("discoverySelectors")
            .and_then(Value::as_array)
        else {
            continue;
        };
        if selectors.is_empty() {
            continue;
        }
        for (name, namespace) in mesh.namespaces() {
            let needed = name == ISTIO_SYSTEM
                || name == mesh.root
                || istiod_namespaces.contains(name)
                || mesh.is_knative_namespace(name)
                || in_mesh(namespace);
            if !needed {
                continue;
            }
            // The API server labels every namespace with its name.
            let mut labels: BTreeMap<&str, &str> = namespace.labels();
            labels.insert("kubernetes.io/metadata.name", name);
            if selectors
                .iter()
                .any(|selector| selector_matches(selector, &labels))
            {
                continue;
            }
            findings.push(MG0015.finding(
                &config.object.id,
                "/data/mesh",
                format!(
                    "`discoverySelectors` in ConfigMap `{}` match no labels of namespace `{name}`, so istiod ignores \
                     it; label the namespace to match a selector or widen the selectors",
                    config.object.name()
                ),
            ));
        }
    }
    findings
}
