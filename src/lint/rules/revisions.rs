//! Control-plane revision analyzers: revision tags and the default validator pointing at a
//! control plane that is not rendered (MG0030), a tag named like a revision (MG0031), named
//! revisions without a default one (MG0032), namespaces that name a tag and a revision at once
//! (MG0033) — and the istiod settings upstream's charts accept without a word: duplicate
//! environment variables (MG0034), a mesh config without default metrics (MG0035), and tracing
//! through a provider the mesh config does not define (MG0036).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::lint::Finding;
use crate::lint::mesh::{LABEL_REV, LABEL_TAG, Mesh, Object, escape, items_at, str_at};
use crate::lint::rule::{Rule, Severity};

pub(crate) static MG0030: Rule = Rule {
    code: "MG0030",
    name: "dangling-revision-tag",
    severity: Severity::Error,
    summary: "A revision tag or the default validator points at a control plane that is not rendered.",
    why: "A tag's webhooks (`istio-revision-tag-<tag>`, label `istio.io/tag`) call the istiod of the revision \
          in their `istio.io/rev` label; when that istiod does not exist, every pod created in a namespace \
          labelled with the tag fails admission (`failurePolicy: Fail`). `istiod-default-validator` with \
          `failurePolicy: Fail` pointing at a missing Service rejects every change to Istio config.",
    fix: "Retarget the tag (`spec.istio.revisionTags`) or `defaultRevision` at a rendered revision, or render \
          the revision it names.",
    scope: "Runs when at least one istiod Deployment is in the set; checks MutatingWebhookConfigurations labelled \
            `istio.io/tag` and `istiod-default-validator`.",
    check: dangling_revision_tag,
};

pub(crate) static MG0031: Rule = Rule {
    code: "MG0031",
    name: "tag-shadows-revision",
    severity: Severity::Warning,
    summary: "A revision tag has the name of a rendered revision.",
    why: "Namespaces labelled `istio.io/rev=<name>` then match both the revision's injector and the tag's; \
          pointing at the same revision it is redundant (istiod skips an already injected pod), but retargeting \
          the tag later splits those namespaces between two control planes. `istioctl tag set` refuses such a \
          tag.",
    fix: "Give the tag a name no revision has (`stable`, `canary`), and label namespaces with the tag.",
    scope: "Runs on MutatingWebhookConfigurations labelled `istio.io/tag` when istiod Deployments are in the set.",
    check: tag_shadows_revision,
};

pub(crate) static MG0032: Rule = Rule {
    code: "MG0032",
    name: "no-default-revision",
    severity: Severity::Warning,
    summary: "Only named revisions are rendered, and none of them is the default revision.",
    why: "Without a default revision (`istiod-default-validator` and the `default` tag), Istio config without an \
          `istio.io/rev` label is not validated, namespaces labelled `istio-injection=enabled` and pods labelled \
          `sidecar.istio.io/inject=true` are not injected, and Gateways and waypoints without `istio.io/rev` are \
          not programmed.",
    fix: "Set `spec.istio.defaultRevision` to one of the revisions (it renders the validator and the `default` \
          tag), or acknowledge the finding when another install owns the default revision.",
    scope: "Runs when every istiod Deployment in the set has a revision.",
    check: no_default_revision,
};

pub(crate) static MG0033: Rule = Rule {
    code: "MG0033",
    name: "namespace-tag-and-revision",
    severity: Severity::Error,
    summary: "A namespace names a revision tag and a revision at once.",
    why: "A namespace selects its control plane with one label, `istio.io/rev=<revision or tag>`. The \
          `istio.io/tag` label means nothing on a namespace (only the tag's own objects carry it), so a namespace \
          with it beside `istio.io/rev` says two things and is served by one of them only; and a value that is \
          both a tag and a revision of another control plane is matched by two injectors.",
    fix: "Label the namespace `istio.io/rev=<tag>` only (retargeting the tag then moves it), and give tags names \
          no revision has.",
    scope: "Runs on every rendered Namespace; the tag-and-revision case needs the tag's webhook configuration and \
            the revision's istiod in the set.",
    check: namespace_tag_and_revision,
};

pub(crate) static MG0034: Rule = Rule {
    code: "MG0034",
    name: "duplicate-env",
    severity: Severity::Warning,
    summary: "A container has two environment variables of one name.",
    why: "Kubernetes keeps the last entry (and `kubectl apply` may drop one), so the first value never takes \
          effect. Istio's chart renders this when `pilot.env` sets `PILOT_TRACE_SAMPLING`: its own entry from \
          `traceSampling` follows and wins, and istiod samples 1 % instead of what was asked.",
    fix: "Keep one entry per name; for istiod's trace sampling use `spec.istio.pilot.traceSampling`.",
    scope: "Runs on the containers and init containers of every Deployment, DaemonSet, StatefulSet and Job.",
    check: duplicate_env,
};

pub(crate) static MG0035: Rule = Rule {
    code: "MG0035",
    name: "no-default-metrics",
    severity: Severity::Warning,
    summary: "A mesh config sets `defaultProviders` without `metrics`: the mesh has no default metrics.",
    why: "istiod has no built-in default providers; Istio's chart writes `defaultProviders: {metrics: \
          [prometheus]}` only while `meshConfig.defaultProviders` is unset, so giving `defaultProviders` for \
          tracing or access logs silently turns off the Prometheus metrics every dashboard and autoscaler reads.",
    fix: "Keep `metrics: [prometheus]` in `defaultProviders` (meshgen does unless `metrics: []` is written), or \
          enable metrics with a Telemetry.",
    scope: "Runs on every mesh config (ConfigMap `istio` or `istio-<revision>`, key `mesh`).",
    check: no_default_metrics,
};

pub(crate) static MG0036: Rule = Rule {
    code: "MG0036",
    name: "unknown-tracing-provider",
    severity: Severity::Error,
    summary: "A Telemetry traces through a provider that a rendered mesh config does not define.",
    why: "istiod resolves a Telemetry's `tracing[].providers[].name` against the `extensionProviders` of its mesh \
          config; an unknown name is dropped with a log line, so no spans are sent and nothing reports it. \
          Every control plane reads the same unlabelled Telemetry, so each mesh config must define it.",
    fix: "Add the provider to `spec.istio.meshConfig.extensionProviders` (every revision's), or name one that is \
          defined.",
    scope: "Runs when a mesh config is in the set; checks every Telemetry with `tracing`.",
    check: unknown_tracing_provider,
};

/// Rendered istiod revisions by namespace, and the Services there.
fn istiod_revisions<'m>(mesh: &'m Mesh<'_>) -> BTreeSet<(&'m str, &'m str)> {
    mesh.istiods
        .iter()
        .map(|istiod| (istiod.namespace.as_str(), istiod.revision.as_str()))
        .collect()
}

/// Tag webhook configurations: (object, tag, revision label).
fn tag_webhooks<'m, 'a>(mesh: &'m Mesh<'a>) -> Vec<(&'m Object<'a>, &'a str, Option<&'a str>)> {
    mesh.of_kind(
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    )
    .filter_map(|object| Some((object, object.label(LABEL_TAG)?, object.label(LABEL_REV))))
    .collect()
}

/// The Service names of every webhook's `clientConfig`, with the webhook's index.
fn webhook_services(object: &Object<'_>) -> Vec<(usize, String, String)> {
    object
        .items_at("/webhooks")
        .enumerate()
        .filter_map(|(index, webhook)| {
            let service = webhook.pointer("/clientConfig/service")?;
            Some((
                index,
                service.get("namespace")?.as_str()?.to_owned(),
                service.get("name")?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// MG0030: tag webhooks or the default validator pointing at no rendered control plane.
pub(crate) fn dangling_revision_tag(mesh: &Mesh<'_>) -> Vec<Finding> {
    if mesh.istiods.is_empty() {
        return Vec::new();
    }
    let revisions = istiod_revisions(mesh);
    let services: BTreeSet<(&str, &str)> = mesh
        .of_kind("", "Service")
        .map(|s| (s.id.namespace.as_str(), s.id.name.as_str()))
        .collect();
    let rendered = revisions
        .iter()
        .map(|(_, revision)| format!("`{revision}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut findings = Vec::new();
    for (object, tag, revision) in tag_webhooks(mesh) {
        let target = revision.unwrap_or("default");
        let namespaces: BTreeSet<String> = webhook_services(object)
            .into_iter()
            .map(|(_, namespace, _)| namespace)
            .collect();
        // Without a service to go by (a webhook URL, a partial object), any namespace counts.
        let served = if namespaces.is_empty() {
            revisions.iter().any(|(_, revision)| *revision == target)
        } else {
            namespaces
                .iter()
                .any(|namespace| revisions.contains(&(namespace.as_str(), target)))
        };
        if !served {
            findings.push(MG0030.finding(
                &object.id,
                format!("/metadata/labels/{}", escape(LABEL_REV)),
                format!(
                    "revision tag `{tag}` points at revision `{target}`, which no rendered istiod serves (rendered: \
                     {rendered}); pods in namespaces labelled `{LABEL_REV}={tag}` would fail admission; retarget the tag"
                ),
            ));
        }
    }
    for object in mesh.of_kind(
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ) {
        if object.id.name != "istiod-default-validator" {
            continue;
        }
        for (index, namespace, name) in webhook_services(object) {
            if !services.contains(&(namespace.as_str(), name.as_str())) {
                findings.push(MG0030.finding(
                    &object.id,
                    format!("/webhooks/{index}/clientConfig/service/name"),
                    format!(
                        "`istiod-default-validator` calls Service `{namespace}/{name}`, which is not rendered; with \
                         `failurePolicy: Fail` every change to Istio config is rejected; point `defaultRevision` at a \
                         rendered revision"
                    ),
                ));
            }
        }
    }
    findings
}

/// MG0031: a tag named like a rendered revision.
pub(crate) fn tag_shadows_revision(mesh: &Mesh<'_>) -> Vec<Finding> {
    let revisions: BTreeSet<&str> = mesh.istiods.iter().map(|i| i.revision.as_str()).collect();
    tag_webhooks(mesh)
        .into_iter()
        .filter(|(_, tag, _)| revisions.contains(tag))
        .map(|(object, tag, revision)| {
            let target = revision.unwrap_or("default");
            let effect = if target == tag {
                "it is redundant, and retargeting it later would split those namespaces between two control planes"
                    .to_owned()
            } else {
                format!("those namespaces are injected by both `{tag}` and `{target}`")
            };
            MG0031.finding(
                &object.id,
                format!("/metadata/labels/{}", escape(LABEL_TAG)),
                format!(
                    "revision tag `{tag}` has the name of a rendered revision: namespaces labelled `{LABEL_REV}={tag}` \
                     match both injectors, so {effect}; give the tag another name"
                ),
            )
        })
        .collect()
}

/// MG0032: only named revisions, none of them the default.
pub(crate) fn no_default_revision(mesh: &Mesh<'_>) -> Vec<Finding> {
    if mesh.istiods.is_empty() || mesh.istiods.iter().any(|i| i.revision == "default") {
        return Vec::new();
    }
    let default_tag = tag_webhooks(mesh)
        .iter()
        .any(|(_, tag, _)| *tag == "default");
    let validator = mesh
        .of_kind(
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
        )
        .any(|o| o.id.name == "istiod-default-validator");
    if default_tag || validator {
        return Vec::new();
    }
    let Some(first) = mesh
        .of_kind("apps", "Deployment")
        .find(|o| o.id.name.starts_with("istiod-"))
    else {
        return Vec::new();
    };
    let revisions = mesh
        .istiods
        .iter()
        .map(|i| format!("`{}`", i.revision))
        .collect::<Vec<_>>()
        .join(", ");
    vec![MG0032.finding(
        &first.id,
        "/metadata/name",
        format!(
            "no default revision among the rendered revisions ({revisions}): Istio config without `{LABEL_REV}` goes \
             unvalidated, and `istio-injection=enabled` namespaces and unlabelled Gateways are served by no \
             control plane; set `spec.istio.defaultRevision`"
        ),
    )]
}

/// MG0033: a namespace that names a tag and a revision at once.
pub(crate) fn namespace_tag_and_revision(mesh: &Mesh<'_>) -> Vec<Finding> {
    let revisions: BTreeSet<&str> = mesh.istiods.iter().map(|i| i.revision.as_str()).collect();
    let tags: BTreeMap<&str, &str> = tag_webhooks(mesh)
        .into_iter()
        .map(|(_, tag, revision)| (tag, revision.unwrap_or("default")))
        .collect();
    let mut findings = Vec::new();
    for (name, namespace) in mesh.namespaces() {
        let revision = namespace.label(LABEL_REV);
        if let Some(tag) = namespace.label(LABEL_TAG) {
            let beside = match revision {
                Some(revision) => format!(" beside `{LABEL_REV}={revision}`"),
                None => String::new(),
            };
            findings.push(MG0033.finding(
                &namespace.id,
                format!("/metadata/labels/{}", escape(LABEL_TAG)),
                format!(
                    "namespace `{name}` has `{LABEL_TAG}={tag}`{beside}: namespaces select a tag with \
                     `{LABEL_REV}={tag}`, and `{LABEL_TAG}` does nothing here; keep `{LABEL_REV}` only"
                ),
            ));
        }
        if let Some(value) = revision
            && revisions.contains(value)
            && let Some(target) = tags.get(value)
            && target != &value
        {
            findings.push(MG0033.finding(
                &namespace.id,
                format!("/metadata/labels/{}", escape(LABEL_REV)),
                format!(
                    "namespace `{name}` has `{LABEL_REV}={value}`, which is both revision `{value}` and a tag of \
                     revision `{target}`: two injectors match its pods; rename the tag"
                ),
            ));
        }
    }
    findings
}

/// MG0034: two env entries of one name in a container.
pub(crate) fn duplicate_env(mesh: &Mesh<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (group, kind, spec) in [
        ("apps", "Deployment", "/spec/template/spec"),
        ("apps", "DaemonSet", "/spec/template/spec"),
        ("apps", "StatefulSet", "/spec/template/spec"),
        ("batch", "Job", "/spec/template/spec"),
    ] {
        for object in mesh.of_kind(group, kind) {
            let Some(pod) = object.value.pointer(spec) else {
                continue;
            };
            for list in ["initContainers", "containers"] {
                let containers = pod
                    .get(list)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten();
                for (c, container) in containers.enumerate() {
                    let mut seen = BTreeSet::new();
                    let env = items_at(container, "/env");
                    for (e, entry) in env.enumerate() {
                        let Some(var) = str_at(entry, "/name") else {
                            continue;
                        };
                        if !seen.insert(var) {
                            let container_name = str_at(container, "/name").unwrap_or("?");
                            findings.push(MG0034.finding(
                                &object.id,
                                format!("{spec}/{list}/{c}/env/{e}/name"),
                                format!(
                                    "container `{container_name}` of {kind} `{}` sets `{var}` twice: the last entry \
                                     wins and the first never takes effect; keep one",
                                    object.name()
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    findings
}

/// MG0035: `defaultProviders` without `metrics`.
pub(crate) fn no_default_metrics(mesh: &Mesh<'_>) -> Vec<Finding> {
    mesh.mesh_configs()
        .into_iter()
        .filter(|config| {
            config.config.get("defaultProviders").is_some_and(|providers| {
                providers
                    .get("metrics")
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
            })
        })
        .map(|config| {
            MG0035.finding(
                &config.object.id,
                "/data/mesh",
                format!(
                    "mesh config `{}` sets `defaultProviders` without `metrics`: the mesh has no default Prometheus \
                     metrics; add `metrics: [prometheus]`",
                    config.object.name()
                ),
            )
        })
        .collect()
}

/// MG0036: Telemetry tracing through a provider some mesh config lacks.
pub(crate) fn unknown_tracing_provider(mesh: &Mesh<'_>) -> Vec<Finding> {
    let configs = mesh.mesh_configs();
    if configs.is_empty() {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for (object, telemetry) in mesh.telemetries() {
        let tracing = telemetry
            .spec
            .as_ref()
            .and_then(|spec| spec.tracing.as_ref())
            .into_iter()
            .flatten();
        for (t, tracing) in tracing.enumerate() {
            let providers = tracing.providers.iter().flatten();
            for (p, provider) in providers.enumerate() {
                let Some(name) = provider.name.as_deref() else {
                    continue;
                };
                for config in &configs {
                    let defined = items_at(&config.config, "/extensionProviders")
                        .any(|p| str_at(p, "/name") == Some(name));
                    if !defined {
                        findings.push(MG0036.finding(
                            &object.id,
                            format!("/spec/tracing/{t}/providers/{p}/name"),
                            format!(
                                "Telemetry `{}` traces through `{name}`, which mesh config `{}` does not define in \
                                 `extensionProviders`: no spans are sent; define the provider",
                                object.name(),
                                config.object.name()
                            ),
                        ));
                    }
                }
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::KnativeNamespaces;

    /// A namespace whose `istio.io/rev` is both a revision and a tag of another revision is
    /// matched by two injectors (MG0031 reports the tag; MG0033 the namespace it breaks).
    #[test]
    fn a_value_that_is_a_revision_and_a_tag_elsewhere_is_reported_on_the_namespace() {
        let istiod = |rev: &str| {
            serde_json::json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": format!("istiod-{rev}"), "namespace": "istio-system",
                             "labels": {"istio.io/rev": rev}},
            })
        };
        let tag = serde_json::json!({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "istio-revision-tag-canary",
                         "labels": {"istio.io/tag": "canary", "istio.io/rev": "1-30-3"}},
        });
        let namespace = |rev: &str| {
            serde_json::json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "shop", "labels": {"istio.io/rev": rev}},
            })
        };
        let objects = [istiod("1-30-3"), istiod("canary"), tag, namespace("canary")];
        let mesh = Mesh::new(objects.iter(), &KnativeNamespaces::default());
        let findings = namespace_tag_and_revision(&mesh);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].message.contains("two injectors"));
        let objects = [
            objects[0].clone(),
            objects[1].clone(),
            objects[2].clone(),
            namespace("1-30-3"),
        ];
        let mesh = Mesh::new(objects.iter(), &KnativeNamespaces::default());
        assert!(namespace_tag_and_revision(&mesh).is_empty());
    }
}
