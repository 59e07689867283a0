//! Analyzers for applying a set with Argo CD in one sync on any cluster: objects other owners'
//! objects live in that Argo CD may prune or delete (MG0016), sync waves that wait on a health
//! the set cannot bring about (MG0020), and custom resources whose CRDs nothing installs
//! (MG0021). Argo CD's semantics they rely on: it applies one wave at a time and starts the next
//! once everything in the current one is Healthy (a Degraded object fails the sync); it prunes
//! what leaves the set and, on a cascading delete of the Application, deletes what it tracks,
//! unless an object's `argocd.argoproj.io/sync-options` say `Prune=false` / `Delete=false`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::gateways::{istio_provisioned, provisioned_service_type, unresolved_certificates};
use crate::core::wellknown::{
    ANNOTATION_HELM_RESOURCE_POLICY, ANNOTATION_SYNC_OPTIONS, ANNOTATION_TRACKING_ID,
    SYNC_OPTION_NO_DELETE, SYNC_OPTION_NO_PRUNE,
};
use crate::lint::Finding;
use crate::lint::mesh::{Mesh, Object, escape, in_mesh, items_at, str_at};
use crate::lint::rule::{Rule, Severity};
use crate::render::crds::{KNOWN_BUNDLES, bundle_for_group};

pub(crate) static MG0016: Rule = Rule {
    code: "MG0016",
    name: "shared-object-prunable",
    severity: Severity::Warning,
    summary: "Argo CD may prune or delete an object that holds other owners' objects: a mesh Namespace, a CRD, or a partial Knative ConfigMap.",
    why: "Argo CD prunes objects that leave the rendered set and, on a cascading delete of the Application (the \
          default of `argocd app delete`), deletes every object it tracks. Deleting a Namespace deletes \
          everything in it (Knative's components, the Knative Services, istiod's CA Secret, TLS Secrets); \
          deleting a CRD deletes every object of that kind in the cluster (every HTTPRoute net-gateway-api \
          created); deleting `config-network` or `config-gateway` deletes Knative's whole ConfigMap, not only \
          the keys this set adds. Dropping an app namespace from a profile, turning Eventing off or deleting \
          the Application is enough.",
    fix: "Add `Prune=false` and `Delete=false` to the object's `argocd.argoproj.io/sync-options` \
          (comma-separated, e.g. `ServerSideApply=true,Prune=false,Delete=false`). To let Argo CD forget such \
          an object later, remove its `argocd.argoproj.io/tracking-id` annotation.",
    scope: "Runs when the set is synced by Argo CD (an object carries an `argocd.argoproj.io/` annotation, or an \
            Argo CD Application is in the set). Checks Namespaces that are the root or an istiod namespace, a \
            Knative system namespace, in the mesh, or hold a Gateway; every CustomResourceDefinition \
            (`helm.sh/resource-policy: keep` counts as `Delete=false` only); ConfigMaps named `config-*` in a \
            Knative system namespace without an `_example` key (partial objects: a full one belongs to \
            whatever installs Knative).",
    check: shared_object_prunable,
};

pub(crate) static MG0020: Rule = Rule {
    code: "MG0020",
    name: "wave-waits-on-external-health",
    severity: Severity::Warning,
    summary: "An object whose health needs something the set does not hold sits in an Argo CD sync wave before other objects: those waves may never start.",
    why: "Argo CD applies one sync wave at a time and starts the next only when every object of the current wave \
          is Healthy; a Degraded one fails the sync. A HorizontalPodAutoscaler is Degraded while its metrics \
          cannot be read (no metrics-server, or none scraped yet); a LoadBalancer Service, and an Istio Gateway \
          whose provisioned Service is one, stay Progressing where no load-balancer provider assigns an \
          address; a Gateway whose TLS Secret is missing is Degraded. Everything in a later wave, such as the \
          mTLS and authorization policies, is then never applied, and the mesh silently stays PERMISSIVE. \
          Nothing waits for the last wave: Argo CD ends the sync once it is applied.",
    fix: "Move these objects to the last sync wave of the set (meshgen puts its Gateways and the istiod \
          HorizontalPodAutoscaler there, after the policies). For the HPA also install \
          `argocd/resource-customizations.yaml`, so missing metrics do not show the Application Degraded.",
    scope: "Runs when some object sets `argocd.argoproj.io/sync-wave` (absent = 0); sync hooks are skipped. \
            Objects checked: HorizontalPodAutoscalers, Services of type LoadBalancer, Ingresses, and Gateways \
            Istio provisions whose Service is a LoadBalancer (no `networking.istio.io/service-type` annotation, \
            or `LoadBalancer`) or that have a TLS listener whose certificate the set does not provide (MG0019).",
    check: wave_waits_on_external_health,
};

pub(crate) static MG0021: Rule = Rule {
    code: "MG0021",
    name: "custom-resource-without-crd",
    severity: Severity::Warning,
    summary: "Custom resources whose CustomResourceDefinitions are not in the set: on an empty cluster the first sync fails with \"no matches for kind\".",
    why: "The API server accepts a custom resource only once its CRD is established. A set that installs the \
          mesh (it renders istiod) but not the CRDs of its Gateways and Istio policies cannot converge on an \
          empty cluster: Argo CD's `SkipDryRunOnMissingResource` only skips the dry run, and the apply fails \
          the same way with kubectl.",
    fix: "In a meshgen profile, pin the upstream bundles in `spec.crds.bundles` (files in your repository, see \
          the README): `gateway.networking.k8s.io`: Gateway API v1.5.1 `standard-install.yaml` (sha256 \
          751002b3b91a87f7ae3bd2517c79a47a8d7ed6702901808a1cf9bd97d284f9b8, \
          https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml); \
          `*.istio.io`: Istio 1.30.3 `crd-all.gen.yaml` (sha256 \
          dcb43ff6b9af2f629b80b6a82597f5a91db259c757e66cc5353ac007da28351a, \
          https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/charts/base/files/crd-all.gen.yaml). \
          If the CRDs are installed before this set on purpose (another Application, a platform team), \
          acknowledge MG0021 (`spec.lint.ignore`, or `--ignore` with `--manifests`).",
    scope: "Runs when an istiod Deployment is in the set (the set installs the mesh; a set of policies for an \
            existing mesh rightly relies on its CRDs). Checks every object whose API group is not built into \
            Kubernetes; a CRD in the set counts when its group and kind match and it serves the object's \
            version. One finding for the whole set. `meshgen render` of a built-in profile acknowledges it: \
            a built-in cannot pin files of your repository.",
    check: custom_resource_without_crd,
};

pub(crate) static MG0023: Rule = Rule {
    code: "MG0023",
    name: "argocd-application-settings",
    severity: Severity::Warning,
    summary: "An Argo CD Application that syncs meshgen's output lacks a setting its shared objects or its first sync need.",
    why: "With `ServerSideApply=true`, Argo CD 3 first moves the fields a client-side `kubectl apply` wrote into its \
          own field manager, then applies; on the objects meshgen shares with Knative (partial ConfigMaps, \
          Namespaces) that deletes Knative's `_example`, labels and checksum annotation, which Knative's \
          ConfigMap validation webhooks select on. Without `syncPolicy.retry`, an automated first sync that \
          races CRD discovery or a webhook that does not answer yet tries a few times and then stops for that \
          revision.",
    fix: "Add `ClientSideApplyMigration=false` to `spec.syncPolicy.syncOptions`, and `spec.syncPolicy.retry: \
          {limit: 10, backoff: {duration: 10s, factor: 2, maxDuration: 5m}}`, as meshgen's \
          `argocd/application.yaml` does.",
    scope: "Runs on Argo CD Applications (and ApplicationSets' `spec.template`) whose source, or one of whose \
            `sources`, uses a config-management plugin named `meshgen*`.",
    check: argocd_application_settings,
};

/// The options a protected object must carry.
const PROTECTION: [&str; 2] = [SYNC_OPTION_NO_PRUNE, SYNC_OPTION_NO_DELETE];

/// The options of `PROTECTION` an object lacks.
fn missing_protection(object: &Object<'_>) -> Vec<&'static str> {
    let options = object.sync_options();
    let keep = object.annotations().get(ANNOTATION_HELM_RESOURCE_POLICY) == Some(&"keep");
    PROTECTION
        .into_iter()
        .filter(|option| !options.contains(option))
        .filter(|option| !(keep && *option == SYNC_OPTION_NO_DELETE))
        .collect()
}

/// MG0016: a shared object Argo CD may prune or delete.
pub(crate) fn shared_object_prunable(mesh: &Mesh<'_>) -> Vec<Finding> {
    if !mesh.argocd_managed() {
        return Vec::new();
    }
    let istiod = mesh.istiod_namespaces();
    let mut findings = Vec::new();
    let mut report = |object: &Object<'_>, what: String| {
        let missing = missing_protection(object);
        if missing.is_empty() {
            return;
        }
        let pointer = if object.annotations().contains_key(ANNOTATION_SYNC_OPTIONS) {
            format!("/metadata/annotations/{}", escape(ANNOTATION_SYNC_OPTIONS))
        } else {
            "/metadata/annotations".to_owned()
        };
        findings.push(MG0016.finding(
            &object.id,
            pointer,
            format!(
                "{what}: without {} in `{ANNOTATION_SYNC_OPTIONS}` Argo CD deletes it when it leaves the set or the \
                 Application is deleted; add them (to let go of it later, remove its `{ANNOTATION_TRACKING_ID}` \
                 annotation)",
                missing
                    .iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ));
    };
    for (name, namespace) in mesh.namespaces() {
        let why = if mesh.is_knative_namespace(name) {
            "holds Knative"
        } else if name == mesh.root || istiod.contains(name) {
            "holds istiod's CA Secret and the gateways istiod provisions"
        } else if mesh.is_gateway_namespace(name) {
            "holds the gateways and their TLS Secrets"
        } else if in_mesh(namespace) {
            "holds the workloads of the mesh"
        } else {
            continue;
        };
        report(namespace, format!("Namespace `{name}` {why}"));
    }
    for crd in mesh.of_kind("apiextensions.k8s.io", "CustomResourceDefinition") {
        report(
            crd,
            format!(
                "CustomResourceDefinition `{}`: deleting it deletes every object of its kind in the cluster",
                crd.id.name
            ),
        );
    }
    for config in mesh.of_kind("", "ConfigMap") {
        let partial = config
            .value
            .pointer("/data/_example")
            .is_none_or(Value::is_null);
        if mesh.is_knative_namespace(&config.id.namespace)
            && config.id.name.starts_with("config-")
            && partial
        {
            report(
                config,
                format!(
                    "ConfigMap `{}` is a partial Knative ConfigMap: deleting it deletes Knative's whole configuration",
                    config.name()
                ),
            );
        }
    }
    findings
}

/// Why an object's health needs something outside the set, if it does.
fn external_health(mesh: &Mesh<'_>, object: &Object<'_>) -> Option<String> {
    match (object.id.group.as_str(), object.id.kind.as_str()) {
        ("autoscaling", "HorizontalPodAutoscaler") => {
            Some("it is Degraded while its metrics cannot be read (no metrics-server)".into())
        }
        ("", "Service") if object.str_at("/spec/type") == Some("LoadBalancer") => {
            Some("it stays Progressing until a load-balancer provider assigns an address".into())
        }
        ("networking.k8s.io", "Ingress") => {
            Some("it stays Progressing until its controller publishes an address".into())
        }
        ("gateway.networking.k8s.io", "Gateway") if istio_provisioned(mesh, object) => {
            if !unresolved_certificates(mesh, object).is_empty() {
                return Some(
                    "it is Degraded while a TLS listener's certificate Secret is missing (MG0019)"
                        .into(),
                );
            }
            let parameters = object
                .value
                .pointer("/spec/infrastructure/parametersRef")
                .is_some();
            let load_balancer =
                provisioned_service_type(object).is_none_or(|kind| kind == "LoadBalancer");
            (load_balancer && !parameters).then(|| {
                "Istio gives it a LoadBalancer Service, so it stays Progressing where no load-balancer \
                 provider assigns an address"
                    .into()
            })
        }
        _ => None,
    }
}

/// MG0020: an object that may never become Healthy, in a wave others wait for.
pub(crate) fn wave_waits_on_external_health(mesh: &Mesh<'_>) -> Vec<Finding> {
    if !mesh.has_sync_waves() {
        return Vec::new();
    }
    let ordered: Vec<&Object<'_>> = mesh
        .objects
        .iter()
        .filter(|object| !object.is_sync_hook() && !object.id.kind.is_empty())
        .collect();
    // Each wave with its first object by identity, to name what waits.
    let mut waves: BTreeMap<i32, &Object<'_>> = BTreeMap::new();
    for object in &ordered {
        let slot = waves.entry(object.sync_wave()).or_insert(object);
        if object.id < slot.id {
            *slot = object;
        }
    }
    let mut findings = Vec::new();
    for object in &ordered {
        let wave = object.sync_wave();
        let Some((_, later)) = waves
            .range((std::ops::Bound::Excluded(wave), std::ops::Bound::Unbounded))
            .next()
        else {
            continue;
        };
        let Some(why) = external_health(mesh, object) else {
            continue;
        };
        findings.push(MG0020.finding(
            &object.id,
            "/metadata/annotations",
            format!(
                "{} `{}` is in sync wave {wave}, and {why}: wave {} ({} `{}` and the rest) may never be \
                 applied; move it to the last wave",
                object.id.kind,
                object.name(),
                later.sync_wave(),
                later.id.kind,
                later.name()
            ),
        ));
    }
    findings
}

/// API groups built into Kubernetes 1.35 (no CRD needed).
fn builtin_group(group: &str) -> bool {
    matches!(
        group,
        "" | "apps"
            | "batch"
            | "autoscaling"
            | "policy"
            | "rbac.authorization.k8s.io"
            | "admissionregistration.k8s.io"
            | "apiextensions.k8s.io"
            | "apiregistration.k8s.io"
            | "networking.k8s.io"
            | "storage.k8s.io"
            | "scheduling.k8s.io"
            | "coordination.k8s.io"
            | "discovery.k8s.io"
            | "node.k8s.io"
            | "certificates.k8s.io"
            | "events.k8s.io"
            | "resource.k8s.io"
            | "authentication.k8s.io"
            | "authorization.k8s.io"
            | "flowcontrol.apiserver.k8s.io"
            | "storagemigration.k8s.io"
            | "internal.apiserver.k8s.io"
    )
}

/// The CRD in the set serves `version`.
fn serves(crd: &Object<'_>, version: &str) -> bool {
    crd.items_at("/spec/versions").any(|v| {
        str_at(v, "/name") == Some(version)
            && v.get("served").and_then(Value::as_bool) != Some(false)
    })
}

/// MG0021: custom resources without their CRDs, in a set that installs the mesh.
pub(crate) fn custom_resource_without_crd(mesh: &Mesh<'_>) -> Vec<Finding> {
    if mesh.istiod_objects().is_empty() {
        return Vec::new();
    }
    // (group, kind) → the first object, by identity.
    let mut missing: BTreeMap<(&str, &str), &Object<'_>> = BTreeMap::new();
    for object in &mesh.objects {
        let id = &object.id;
        if builtin_group(&id.group) || id.kind.is_empty() {
            continue;
        }
        let served = mesh
            .crd_for(&id.group, &id.kind)
            .is_some_and(|crd| serves(crd, &id.version));
        if served {
            continue;
        }
        let slot = missing.entry((&id.group, &id.kind)).or_insert(object);
        if object.id < slot.id {
            *slot = object;
        }
    }
    let Some(first) = missing.values().min_by(|a, b| a.id.cmp(&b.id)) else {
        return Vec::new();
    };
    let kinds: Vec<String> = missing
        .keys()
        .map(|(group, kind)| format!("{kind}.{group}"))
        .collect();
    let mut bundles: BTreeSet<usize> = BTreeSet::new();
    let mut others: BTreeSet<&str> = BTreeSet::new();
    for (group, _) in missing.keys() {
        match bundle_for_group(group) {
            Some(bundle) => {
                bundles.insert(
                    KNOWN_BUNDLES
                        .iter()
                        .position(|known| known == bundle)
                        .unwrap_or_default(),
                );
            }
            None => {
                others.insert(group);
            }
        }
    }
    let mut pins: Vec<String> = bundles
        .into_iter()
        .map(|index| {
            let bundle = &KNOWN_BUNDLES[index];
            format!("{} (sha256 {})", bundle.name, bundle.sha256)
        })
        .collect();
    pins.extend(
        others
            .into_iter()
            .map(|group| format!("the CRD bundle that defines `{group}`")),
    );
    vec![MG0021.finding(
        &first.id,
        "",
        format!(
            "no CustomResourceDefinition in the set serves {}, so on an empty cluster the first sync fails with \
             \"no matches for kind\"; pin {} in `spec.crds.bundles`, or acknowledge MG0021 if the CRDs are \
             installed before this set",
            kinds.join(", "),
            pins.join(" and ")
        ),
    )]
}

/// MG0023: an Application of meshgen's plugin without the settings its objects need.
pub(crate) fn argocd_application_settings(mesh: &Mesh<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for object in &mesh.objects {
        let prefix = match (object.id.group.as_str(), object.id.kind.as_str()) {
            ("argoproj.io", "Application") => "/spec",
            ("argoproj.io", "ApplicationSet") => "/spec/template/spec",
            _ => continue,
        };
        let Some(spec) = object.value.pointer(prefix) else {
            continue;
        };
        let plugin = |source: &Value| {
            str_at(source, "/plugin/name").is_some_and(|name| name.starts_with("meshgen"))
        };
        let uses_meshgen = spec.get("source").is_some_and(plugin)
            || spec
                .get("sources")
                .and_then(Value::as_array)
                .is_some_and(|sources| sources.iter().any(plugin));
        if !uses_meshgen {
            continue;
        }
        let options: Vec<&str> = items_at(spec, "/syncPolicy/syncOptions")
            .filter_map(Value::as_str)
            .map(str::trim)
            .collect();
        let kind = &object.id.kind;
        let name = object.name();
        if options.contains(&"ServerSideApply=true")
            && !options.contains(&"ClientSideApplyMigration=false")
        {
            findings.push(MG0023.finding(
                &object.id,
                format!("{prefix}/syncPolicy/syncOptions"),
                format!(
                    "{kind} `{name}` applies server-side without `ClientSideApplyMigration=false`: on its first sync \
                     Argo CD takes over and deletes the fields a client-side install of Knative wrote into the \
                     objects meshgen shares; add the option"
                ),
            ));
        }
        if spec.pointer("/syncPolicy/automated").is_some()
            && spec.pointer("/syncPolicy/retry").is_none()
        {
            findings.push(MG0023.finding(
                &object.id,
                format!("{prefix}/syncPolicy"),
                format!(
                    "{kind} `{name}` syncs automatically without `syncPolicy.retry`: a first sync that races CRD \
                     discovery or a webhook not answering yet gives up after a few tries; add `retry: {{limit: 10, \
                     backoff: {{duration: 10s, factor: 2, maxDuration: 5m}}}}`"
                ),
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fix text is a `&'static str`: it must name every known bundle's digest and source.
    #[test]
    fn the_fix_names_every_known_bundle() {
        for bundle in KNOWN_BUNDLES {
            assert!(MG0021.fix.contains(bundle.sha256), "{}", bundle.name);
            assert!(MG0021.fix.contains(bundle.source), "{}", bundle.name);
        }
    }

    #[test]
    fn kubernetes_groups_are_builtin_and_crd_groups_are_not() {
        assert!(builtin_group("") && builtin_group("networking.k8s.io"));
        assert!(!builtin_group("gateway.networking.k8s.io"));
        assert!(!builtin_group("security.istio.io"));
    }
}
