//! Rules that one field's type cannot express: names Kubernetes will accept, supported
//! versions, port ranges, and fields that must agree with each other. Checked once, here, so the
//! model and templates can trust the profile.

use super::grammar;
pub use super::grammar::{is_dns_label, is_dns_subdomain};
use super::origins::Origins;
use super::types::{MeshProfile, SUPPORTED_ISTIO_VERSIONS};
use crate::core::diagnostic::{Diagnostic, Kind, shown};
use crate::core::pointer::human as dotted;

/// Every problem found, each pointing at the field to fix.
pub fn validate(profile: &MeshProfile, origins: &Origins) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut report = |pointer: &str, message: String, help: &str| {
        problems.push(origins.at_value(
            pointer,
            Diagnostic::new(Kind::InvalidValue, message).help(help),
        ));
    };
    let spec = &profile.spec;

    if !profile.metadata.name.is_empty() {
        check_label(&mut report, "/metadata/name", &profile.metadata.name);
    }

    let istio = &spec.istio;
    if !SUPPORTED_ISTIO_VERSIONS.contains(&istio.version.as_str()) {
        report(
            "/spec/istio/version",
            format!("Istio {} is not supported", shown(&istio.version)),
            &format!(
                "supported versions: {}",
                SUPPORTED_ISTIO_VERSIONS.join(", ")
            ),
        );
    }
    check_label(&mut report, "/spec/istio/namespace", &istio.namespace);
    if let Some(revision) = &istio.revision {
        check_label(&mut report, "/spec/istio/revision", revision);
        if revision == "default" {
            report(
                "/spec/istio/revision",
                "revision `default` is reserved".into(),
                "leave `revision` unset for the default revision",
            );
        }
    }
    let pilot = &istio.pilot;
    if pilot.replicas == 0 {
        report(
            "/spec/istio/pilot/replicas",
            "istiod needs at least one replica".into(),
            "set replicas to 1 or more",
        );
    }
    if pilot.autoscale.enabled {
        if pilot.autoscale.min == 0 {
            report(
                "/spec/istio/pilot/autoscale/min",
                "the autoscaling minimum must be at least 1".into(),
                "set min to 1 or more",
            );
        }
        if pilot.autoscale.min > pilot.autoscale.max {
            report(
                "/spec/istio/pilot/autoscale/max",
                format!(
                    "autoscale max ({}) is below min ({})",
                    pilot.autoscale.max, pilot.autoscale.min
                ),
                "raise max or lower min",
            );
        }
        if !(1..=100).contains(&pilot.autoscale.target_cpu_utilization) {
            report(
                "/spec/istio/pilot/autoscale/targetCPUUtilization",
                "the CPU target must be a percentage from 1 to 100".into(),
                "e.g. 80",
            );
        }
    }
    let gateway = &spec.gateway;
    check_subdomain(&mut report, "/spec/gateway/className", &gateway.class_name);
    check_label(&mut report, "/spec/gateway/namespace", &gateway.namespace);
    for (pointer, name) in [
        ("/spec/gateway/external/name", &gateway.external.name),
        ("/spec/gateway/local/name", &gateway.local.name),
    ] {
        check_label(&mut report, pointer, name);
        // istiod names the Service `<gateway>-<class>`, and a Service name is a DNS-1035 label.
        let service = format!("{name}-{}", gateway.class_name);
        if service.len() > 63 {
            report(
                pointer,
                format!(
                    "the Service istiod creates, `{}`, is longer than 63 characters",
                    shown(&service)
                ),
                "shorten the gateway or class name",
            );
        }
    }
    if gateway.external.name == gateway.local.name {
        report(
            "/spec/gateway/local/name",
            format!("both gateways are named `{}`", shown(&gateway.local.name)),
            "give the local gateway its own name",
        );
    }
    check_port(
        &mut report,
        "/spec/gateway/external/port",
        gateway.external.port,
    );
    check_port(&mut report, "/spec/gateway/local/port", gateway.local.port);
    if let Some(https) = &gateway.external.https {
        check_port(&mut report, "/spec/gateway/external/https/port", https.port);
        if https.port == gateway.external.port {
            report(
                "/spec/gateway/external/https/port",
                format!("the https listener reuses port {}", https.port),
                "give the http and https listeners different ports",
            );
        }
        check_subdomain(
            &mut report,
            "/spec/gateway/external/https/certificateRef/name",
            &https.certificate_ref.name,
        );
    }

    let knative = &spec.knative;
    check_label(
        &mut report,
        "/spec/knative/namespaces/serving",
        &knative.namespaces.serving,
    );
    check_label(
        &mut report,
        "/spec/knative/namespaces/eventing",
        &knative.namespaces.eventing,
    );
    if knative.eventing.enabled && knative.namespaces.eventing == knative.namespaces.serving {
        report(
            "/spec/knative/namespaces/eventing",
            "Serving and Eventing share one namespace".into(),
            "Knative installs them into separate namespaces",
        );
    }
    let mut system = vec![
        istio.namespace.as_str(),
        knative.namespaces.serving.as_str(),
    ];
    if knative.eventing.enabled {
        system.push(knative.namespaces.eventing.as_str());
    }
    // A name listed many times is one problem, reported once at its first repetition: 10,000
    // copies of a name must not become 10,000 messages.
    let mut listed: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(knative.app_namespaces.len());
    for namespace in &knative.app_namespaces {
        *listed.entry(namespace.as_str()).or_default() += 1;
    }
    let mut reported = std::collections::HashSet::new();
    let mut seen = std::collections::HashSet::with_capacity(knative.app_namespaces.len());
    for (index, namespace) in knative.app_namespaces.iter().enumerate() {
        let pointer = format!("/spec/knative/appNamespaces/{index}");
        if !seen.insert(namespace.as_str()) {
            if reported.insert(namespace.as_str()) {
                let times = listed[namespace.as_str()];
                let count = if times == 2 {
                    "twice".to_owned()
                } else {
                    format!("{times} times")
                };
                report(
                    &pointer,
                    format!("app namespace `{}` is listed {count}", shown(namespace)),
                    "remove the repeated entries",
                );
            }
            continue;
        }
        check_label(&mut report, &pointer, namespace);
        if system.contains(&namespace.as_str()) {
            report(
                &pointer,
                format!(
                    "`{}` is a system namespace, not an app namespace",
                    shown(namespace)
                ),
                "remove it from appNamespaces",
            );
        }
    }

    istio_rules(profile, &mut report);
    cluster_safety(profile, &mut report);

    for (index, bundle) in spec.crds.bundles.iter().enumerate() {
        if bundle.sha256.len() != 64
            || !bundle
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            report(
                &format!("/spec/crds/bundles/{index}/sha256"),
                "sha256 must be 64 lowercase hex digits".into(),
                "compute it with `sha256sum FILE`",
            );
        }
    }
    for (index, ignore) in spec.lint.ignore.iter().enumerate() {
        let code = &ignore.code;
        if !(code.len() == 6
            && code.starts_with("MG")
            && code[2..].bytes().all(|b| b.is_ascii_digit()))
        {
            report(
                &format!("/spec/lint/ignore/{index}/code"),
                format!("`{}` is not an analyzer code", shown(code)),
                "codes look like MG0004; `meshgen lint --explain CODE` describes one",
            );
        }
        if ignore.reason.trim().is_empty() {
            report(
                &format!("/spec/lint/ignore/{index}/reason"),
                "an acknowledged finding needs a reason".into(),
                "say why the finding does not apply here",
            );
        }
    }
    // Every value that lands in an image reference, a trust domain, a quantity or the mesh
    // config, against its grammar.
    grammar::check(profile, &mut report);
    problems
}

/// Environment variables the istiod chart sets itself: a `pilot.env` entry of the same name
/// would either be shadowed by the chart's (`PILOT_TRACE_SAMPLING`: the chart appends its own
/// after `env`, and the later entry wins) or shadow it. Each with the field that sets it.
const CHART_ENV: &[(&str, &str)] = &[
    ("REVISION", "spec.istio.revisions"),
    ("PILOT_CERT_PROVIDER", ""),
    ("POD_NAME", ""),
    ("POD_NAMESPACE", ""),
    ("SERVICE_ACCOUNT", ""),
    ("KUBECONFIG", ""),
    ("CA_TRUSTED_NODE_ACCOUNTS", ""),
    ("PILOT_TRACE_SAMPLING", "spec.istio.pilot.traceSampling"),
    ("PILOT_ENABLE_ANALYSIS", ""),
    ("CLUSTER_ID", ""),
    ("GOMAXPROCS", ""),
    ("PLATFORM", "spec.istio.platform"),
    ("PILOT_ENABLE_AMBIENT", "spec.dataplane.mode"),
];

/// The revision, revision-tag and Istio-knob rules: which control planes exist, what each
/// namespace, Gateway and tag points at, and the values Helm would take without checking.
fn istio_rules(profile: &MeshProfile, report: &mut impl FnMut(&str, String, &str)) {
    use super::types::{DEFAULT_REVISION, DataplaneMode, REVISION_FIELDS};
    use std::collections::BTreeSet;

    let spec = &profile.spec;
    let istio = &spec.istio;
    let names = istio.revision_names();
    let listed = |items: &mut dyn Iterator<Item = &str>| {
        let items: Vec<String> = items.map(|n| format!("`{n}`")).collect();
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    let revisions_list = listed(&mut names.iter().copied());

    // Which control planes.
    if istio.revision.is_some() && !istio.revisions.is_empty() {
        report(
            "/spec/istio/revision",
            "`revision` and `revisions` are both set".into(),
            "use one: `revision: R` is `revisions: {R: {}}`",
        );
    }
    for (name, overrides) in &istio.revisions {
        let pointer = format!("/spec/istio/revisions/{name}");
        if name != DEFAULT_REVISION {
            check_label(report, &pointer, name);
            // The Service `istiod-<revision>` is a DNS-1035 label.
            if name.len() > 56 {
                report(
                    &pointer,
                    format!("revision `{}` is longer than 56 characters", shown(name)),
                    "its Service `istiod-<revision>` must fit in 63 characters",
                );
            }
        }
        for key in overrides.keys() {
            if !REVISION_FIELDS.contains(&key.as_str()) {
                report(
                    &format!("{pointer}/{key}"),
                    format!("`{}` is shared by all revisions", shown(key)),
                    &format!(
                        "set it in spec.istio; a revision may set {}",
                        REVISION_FIELDS.join(", ")
                    ),
                );
            }
        }
        match istio.for_revision(name) {
            Err(error) => report(
                &pointer,
                format!("the settings of revision `{name}` do not fit: {error}"),
                "check the overridden fields against `meshgen schema`",
            ),
            Ok(effective) => {
                if let Some(version) = overrides.get("version").and_then(|v| v.as_str())
                    && !SUPPORTED_ISTIO_VERSIONS.contains(&version)
                {
                    report(
                        &format!("{pointer}/version"),
                        format!("Istio {version} is not supported"),
                        &format!(
                            "supported versions: {}",
                            SUPPORTED_ISTIO_VERSIONS.join(", ")
                        ),
                    );
                }
                for key in ["hub", "tag"] {
                    if overrides
                        .get(key)
                        .and_then(|v| v.as_str())
                        .is_some_and(|v| v.trim().is_empty())
                    {
                        report(
                            &format!("{pointer}/{key}"),
                            format!("{key} of revision `{name}` is empty"),
                            "remove it to inherit spec.istio's",
                        );
                    }
                }
                if overrides
                    .get("hub")
                    .and_then(|v| v.as_str())
                    .is_some_and(|v| !v.trim().is_empty())
                    && let Err(why) = grammar::check_registry(&effective.hub)
                {
                    report(
                        &format!("{pointer}/hub"),
                        format!(
                            "`{}` is not an image registry: {why}",
                            shown(&effective.hub)
                        ),
                        "write a registry and optional path, such as `docker.io/istio`",
                    );
                }
                if let Some(tag) = overrides.get("tag").and(effective.tag.as_deref())
                    && !tag.trim().is_empty()
                    && let Err(why) = grammar::check_tag(tag)
                {
                    report(
                        &format!("{pointer}/tag"),
                        format!("`{}` is not an image tag: {why}", shown(tag)),
                        "a tag is letters, digits, `_`, `.` and `-`, such as `1.30.3`",
                    );
                }
                let pilot = &effective.pilot;
                if overrides.contains_key("pilot") {
                    if pilot.replicas == 0 {
                        report(
                            &format!("{pointer}/pilot/replicas"),
                            "istiod needs at least one replica".into(),
                            "set replicas to 1 or more",
                        );
                    }
                    if pilot.autoscale.enabled && pilot.autoscale.min > pilot.autoscale.max {
                        report(
                            &format!("{pointer}/pilot/autoscale"),
                            format!(
                                "autoscale max ({}) is below min ({})",
                                pilot.autoscale.max, pilot.autoscale.min
                            ),
                            "raise max or lower min",
                        );
                    }
                }
                knob_rules(&effective, &pointer, overrides, report);
            }
        }
    }
    // `spec.istio.revision`'s length is a grammar rule (`grammar::check`).

    // Revision tags.
    for (tag, target) in &istio.revision_tags {
        let pointer = format!("/spec/istio/revisionTags/{tag}");
        if tag == DEFAULT_REVISION {
            report(
                &pointer,
                "`default` is not a tag name here".into(),
                "use `defaultRevision: <revision>`: it renders the default tag and the default validator",
            );
            continue;
        }
        check_label(report, &pointer, tag);
        if tag.len() > 43 {
            report(
                &pointer,
                format!("tag `{}` is longer than 43 characters", shown(tag)),
                "its Service `istiod-revision-tag-<tag>` must fit in 63 characters",
            );
        }
        if !names.contains(&target.as_str()) {
            report(
                &pointer,
                format!(
                    "tag `{tag}` points at revision `{}`, which this profile does not render",
                    shown(target)
                ),
                &format!("revisions: {revisions_list}"),
            );
        } else if names.contains(&tag.as_str()) && tag != target {
            report(
                &pointer,
                format!(
                    "tag `{tag}` shadows revision `{tag}`: namespaces labelled `istio.io/rev={tag}` would be injected by both `istiod-{tag}` and `istiod-{target}`"
                ),
                "give the tag a name no revision has",
            );
        }
    }

    // The default revision.
    if let Some(default) = &istio.default_revision {
        if names.contains(&DEFAULT_REVISION) && default != DEFAULT_REVISION {
            report(
                "/spec/istio/defaultRevision",
                format!(
                    "the unnamed revision is rendered, so `{}` cannot be the default revision",
                    shown(default)
                ),
                "remove the `default` revision in the same change that makes another one the default",
            );
        } else if default != DEFAULT_REVISION && !names.contains(&default.as_str()) {
            let hint = if istio.revision_tags.contains_key(default) {
                format!("`{default}` is a tag; name the revision it points at")
            } else {
                format!("revisions: {revisions_list}")
            };
            report(
                "/spec/istio/defaultRevision",
                format!(
                    "default revision `{}` is not rendered by this profile",
                    shown(default)
                ),
                &hint,
            );
        } else if default == DEFAULT_REVISION && !names.contains(&DEFAULT_REVISION) {
            report(
                "/spec/istio/defaultRevision",
                "no unnamed revision is rendered".into(),
                &format!("name one of the revisions: {revisions_list}"),
            );
        }
    }

    // What namespaces and Gateways select.
    let ambient = spec.dataplane.mode == DataplaneMode::Ambient;
    let selectable = {
        let mut all: Vec<&str> = names.clone();
        all.extend(istio.revision_tags.keys().map(String::as_str));
        if istio.default_revision_name().is_some() {
            all.push(DEFAULT_REVISION);
        }
        all.sort_unstable();
        all.dedup();
        listed(&mut all.into_iter())
    };
    // Every value that selects a control plane, checked after the namespaces are listed.
    let mut selects: Vec<(String, &str)> = Vec::new();
    match &spec.dataplane.revision {
        Some(value) => selects.push(("/spec/dataplane/revision".into(), value)),
        None if names.len() > 1 => report(
            "/spec/istio/revisions",
            "with several revisions, spec.dataplane.revision must say which one the mesh namespaces use"
                .into(),
            &format!("set spec.dataplane.revision to one of: {selectable}"),
        ),
        None => {}
    }
    if let Some(value) = &spec.gateway.revision {
        selects.push(("/spec/gateway/revision".into(), value));
    }
    let knative = &spec.knative;
    let mut members: BTreeSet<&str> = knative.app_namespaces.iter().map(String::as_str).collect();
    members.insert(&knative.namespaces.serving);
    if knative.eventing.enabled {
        members.insert(&knative.namespaces.eventing);
    }
    for (namespace, settings) in &spec.dataplane.namespaces {
        let pointer = format!("/spec/dataplane/namespaces/{namespace}");
        if ambient {
            report(
                &pointer,
                "per-namespace revisions are for sidecars".into(),
                "in ambient, ztunnel and istio-cni follow spec.dataplane.revision",
            );
        } else if !members.contains(namespace.as_str()) {
            report(
                &pointer,
                format!(
                    "`{}` is not a mesh namespace of this profile",
                    shown(namespace)
                ),
                &format!("mesh namespaces: {}", listed(&mut members.iter().copied())),
            );
        }
        if let Some(value) = &settings.revision {
            selects.push((format!("{pointer}/revision"), value));
        }
    }
    for (pointer, value) in selects {
        if istio.resolve_revision(value).is_none() {
            let what = if value == DEFAULT_REVISION {
                "no default revision is rendered".to_owned()
            } else {
                format!(
                    "`{}` is neither a rendered revision nor a tag",
                    shown(value)
                )
            };
            report(&pointer, what, &format!("use one of: {selectable}"));
        }
    }

    // Knobs shared by all revisions.
    let mut secrets = BTreeSet::new();
    for (index, secret) in istio.image_pull_secrets.iter().enumerate() {
        let pointer = format!("/spec/istio/imagePullSecrets/{index}");
        check_subdomain(report, &pointer, secret);
        if !secrets.insert(secret.as_str()) {
            report(
                &pointer,
                format!("pull secret `{}` is listed twice", shown(secret)),
                "remove the repeated entry",
            );
        }
    }
    for (key, dir) in [
        ("binDir", &spec.dataplane.cni.bin_dir),
        ("confDir", &spec.dataplane.cni.conf_dir),
    ] {
        if let Some(dir) = dir
            && (!dir.starts_with('/') || dir.contains(['\n', '"']))
        {
            report(
                &format!("/spec/dataplane/cni/{key}"),
                format!("`{}` is not an absolute host path", shown(dir)),
                "write the node's directory, e.g. /opt/cni/bin",
            );
        }
    }
    knob_rules(istio, "/spec/istio", &Default::default(), report);

    // Tracing through the Telemetry needs the provider in every control plane's mesh config.
    if let Some(tracing) = &spec.telemetry.tracing {
        for name in &names {
            let Ok(effective) = istio.for_revision(name) else {
                continue;
            };
            let tracers: Vec<&str> = effective
                .mesh_config
                .extension_providers
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            if !tracers.contains(&tracing.provider.as_str()) {
                let whose = if names.len() > 1 {
                    format!(" of revision `{name}`")
                } else {
                    String::new()
                };
                report(
                    "/spec/telemetry/tracing/provider",
                    format!(
                        "tracing provider `{}` is not an extension provider{whose}",
                        shown(&tracing.provider)
                    ),
                    &format!(
                        "add it to spec.istio.meshConfig.extensionProviders (defined: {})",
                        listed(&mut tracers.into_iter())
                    ),
                );
                break;
            }
        }
    }
}

/// The knob rules for one set of Istio settings: `spec.istio` itself (`overrides` empty), or
/// one revision's effective settings, reported only for the fields it overrides.
fn knob_rules(
    istio: &super::types::Istio,
    base: &str,
    overrides: &serde_json::Map<String, serde_json::Value>,
    report: &mut impl FnMut(&str, String, &str),
) {
    use super::types::TolerationOperator;
    use std::collections::BTreeSet;
    // A revision's problems are reported only where its overrides wrote them: the rest are
    // spec.istio's, reported once there.
    let overridden = serde_json::Value::Object(overrides.clone());
    let mut report = |pointer: &str, message: String, help: &str| {
        let relative = &pointer[base.len()..];
        if overrides.is_empty() || overridden.pointer(relative).is_some() {
            report(pointer, message, help);
        }
    };
    let report = &mut report;
    let checks = |field: &str| overrides.is_empty() || overrides.contains_key(field);

    if checks("pilot") {
        let pilot = &istio.pilot;
        for name in pilot.env.keys() {
            let pointer = format!("{base}/pilot/env/{name}");
            let valid = name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                report(
                    &pointer,
                    format!("`{}` is not an environment variable name", shown(name)),
                    "use letters, digits and `_`, not starting with a digit",
                );
            } else if let Some((_, field)) = CHART_ENV.iter().find(|(n, _)| n == name) {
                let help = if field.is_empty() {
                    "the chart sets it itself; remove it".to_owned()
                } else {
                    format!("the chart sets it itself from {field}; set that instead")
                };
                report(
                    &pointer,
                    format!("istiod's `{name}` cannot be set through pilot.env"),
                    &help,
                );
            }
        }
        for (key, value) in &pilot.node_selector {
            let pointer = format!(
                "{base}/pilot/nodeSelector/{}",
                crate::core::pointer::escape(key)
            );
            if !is_label_key(key) || !is_label_value(value) {
                report(
                    &pointer,
                    format!(
                        "`{}: {}` is not a valid node label",
                        shown(key),
                        shown(value)
                    ),
                    "keys: [prefix/]name (name at most 63 characters of letters, digits, `-`, `_`, `.`); values: at most 63 such characters",
                );
            }
        }
        for (index, toleration) in pilot.tolerations.iter().enumerate() {
            let pointer = format!("{base}/pilot/tolerations/{index}");
            let exists = toleration.operator == Some(TolerationOperator::Exists);
            if exists && toleration.value.as_deref().is_some_and(|v| !v.is_empty()) {
                report(
                    &format!("{pointer}/value"),
                    "a toleration with operator `Exists` takes no value".into(),
                    "remove `value`, or use operator `Equal`",
                );
            }
            if toleration.key.as_deref().unwrap_or_default().is_empty() && !exists {
                report(
                    &pointer,
                    "a toleration without a key must use operator `Exists`".into(),
                    "add the taint's `key`, or set `operator: Exists` to tolerate every taint",
                );
            }
            if toleration.toleration_seconds.is_some()
                && toleration.effect != Some(super::types::TaintEffect::NoExecute)
            {
                report(
                    &format!("{pointer}/tolerationSeconds"),
                    "`tolerationSeconds` only applies to `effect: NoExecute`".into(),
                    "remove it, or set `effect: NoExecute`",
                );
            }
        }
        if let Some(class) = &pilot.priority_class_name {
            check_subdomain(report, &format!("{base}/pilot/priorityClassName"), class);
        }
    }
    if checks("proxy")
        && let Some(resources) = &istio.proxy.resources
    {
        for (section, quantities) in [
            ("requests", &resources.requests),
            ("limits", &resources.limits),
        ] {
            for (name, quantity) in [("cpu", &quantities.cpu), ("memory", &quantities.memory)] {
                if let Some(quantity) = quantity
                    && !is_quantity(quantity)
                {
                    report(
                        &format!("{base}/proxy/resources/{section}/{name}"),
                        format!("`{}` is not a Kubernetes quantity", shown(quantity)),
                        "e.g. 100m, 0.5, 128Mi, 1Gi",
                    );
                }
            }
        }
    }
    if checks("meshConfig") {
        let mesh = &istio.mesh_config;
        let mut providers = BTreeSet::new();
        for (index, provider) in mesh.extension_providers.iter().enumerate() {
            let pointer = format!("{base}/meshConfig/extensionProviders/{index}");
            if !is_provider_name(&provider.name) {
                report(
                    &format!("{pointer}/name"),
                    format!("`{}` is not a provider name", shown(&provider.name)),
                    "use letters, digits, `-`, `_` and `.`",
                );
            } else if ["envoy", "prometheus"].contains(&provider.name.as_str()) {
                report(
                    &format!("{pointer}/name"),
                    format!("`{}` is a built-in provider", provider.name),
                    "give the extension provider another name",
                );
            } else if !providers.insert(provider.name.as_str()) {
                report(
                    &format!("{pointer}/name"),
                    format!("extension provider `{}` is defined twice", provider.name),
                    "give each provider its own name",
                );
            }
            let kinds: Vec<_> = [&provider.opentelemetry, &provider.zipkin]
                .into_iter()
                .flatten()
                .collect();
            match kinds[..] {
                [service] => {
                    if service.service.trim().is_empty()
                        || !service.service.split('/').all(is_dns_subdomain)
                    {
                        report(
                            &pointer,
                            format!("`{}` is not a service host", shown(&service.service)),
                            "e.g. opentelemetry-collector.observability.svc.cluster.local",
                        );
                    }
                    if !(1..=65535).contains(&service.port) {
                        report(
                            &pointer,
                            format!("port {} is out of range", service.port),
                            "use a port from 1 to 65535",
                        );
                    }
                }
                _ => report(
                    &pointer,
                    format!(
                        "extension provider `{}` needs exactly one of `opentelemetry` and `zipkin`",
                        shown(&provider.name)
                    ),
                    "keep one",
                ),
            }
        }
        if let Some(defaults) = &mesh.default_providers {
            let pointer = format!("{base}/meshConfig/defaultProviders");
            for (index, name) in defaults.tracing.iter().enumerate() {
                if !providers.contains(name.as_str()) {
                    report(
                        &format!("{pointer}/tracing/{index}"),
                        format!(
                            "default tracing provider `{}` is not an extension provider",
                            shown(name)
                        ),
                        "add it to extensionProviders, or name one of them",
                    );
                }
            }
            for (index, name) in defaults.metrics.iter().flatten().enumerate() {
                if name != "prometheus" {
                    report(
                        &format!("{pointer}/metrics/{index}"),
                        format!("`{}` is not a metrics provider", shown(name)),
                        "the mesh's metrics provider is `prometheus`",
                    );
                }
            }
            for (index, name) in defaults.access_logging.iter().enumerate() {
                if name != "envoy" {
                    report(
                        &format!("{pointer}/accessLogging/{index}"),
                        format!("`{}` is not an access-log provider", shown(name)),
                        "the built-in access-log provider is `envoy`",
                    );
                }
            }
        }
        let mut aliases = BTreeSet::new();
        for (index, alias) in mesh.trust_domain_aliases.iter().enumerate() {
            let pointer = format!("{base}/meshConfig/trustDomainAliases/{index}");
            if alias.trim().is_empty() {
                report(
                    &pointer,
                    "a trust-domain alias is empty".into(),
                    "remove it",
                );
            } else if *alias == istio.trust_domain {
                report(
                    &pointer,
                    format!("`{}` is the trust domain itself", shown(alias)),
                    "list only the other trust domains",
                );
            } else if !aliases.insert(alias.as_str()) {
                report(
                    &pointer,
                    format!("trust-domain alias `{}` is listed twice", shown(alias)),
                    "remove the repeated entry",
                );
            }
        }
        if mesh
            .access_log_format
            .as_deref()
            .is_some_and(|f| f.trim().is_empty())
        {
            report(
                &format!("{base}/meshConfig/accessLogFormat"),
                "accessLogFormat is empty".into(),
                "remove it for Envoy's default format",
            );
        }
    }
}

/// Combinations that render fine but break a cluster (issue #10, "safe to apply"): each one is
/// refused with the reason, rather than rendered into something that silently fails.
fn cluster_safety(profile: &MeshProfile, report: &mut impl FnMut(&str, String, &str)) {
    use super::types::{DataplaneMode, MtlsMode};
    use crate::core::wellknown::{ISTIO_OTHER_GATEWAY_CLASSES, KNATIVE_LOCAL_PORT};
    let spec = &profile.spec;

    // Knative's cluster-local names are ExternalName Services on port 80 (serving
    // `pkg/reconciler/route/resources/service.go`): a local listener elsewhere breaks them all.
    if spec.gateway.local.port != KNATIVE_LOCAL_PORT {
        report(
            "/spec/gateway/local/port",
            format!(
                "the local gateway's `http` listener must be on port {KNATIVE_LOCAL_PORT}, not {}",
                spec.gateway.local.port
            ),
            "Knative's cluster-local names are ExternalName Services on port 80, so any other port \
             breaks every cluster-local URL; remove spec.gateway.local.port",
        );
    }

    // istiod's other built-in classes belong to other controllers (remote, waypoint,
    // east-west, agentgateway gateways): none provisions a Knative gateway, and meshgen must not
    // render a GatewayClass over one istiod owns.
    if let Some((name, env, _)) = ISTIO_OTHER_GATEWAY_CLASSES
        .iter()
        .find(|(name, _, _)| *name == spec.gateway.class_name)
    {
        report(
            "/spec/gateway/className",
            format!(
                "class `{name}` is one of istiod's built-in GatewayClasses (created with {env}), which does \
                 not provision Knative's gateways"
            ),
            "use `istio`, or a class name of your own (meshgen then renders its GatewayClass with \
             controller istio.io/gateway-controller)",
        );
    }

    if spec.mtls.mode == MtlsMode::Disable {
        if spec.dataplane.mode == DataplaneMode::Ambient {
            report(
                "/spec/mtls/mode",
                "mTLS mode DISABLE has no effect in ambient mode".into(),
                "ztunnel ignores DISABLE and always uses mTLS between ambient workloads; use \
                 PERMISSIVE (plain text accepted) or STRICT",
            );
        } else if spec.authorization.allow_knative_system && !spec.knative.app_namespaces.is_empty()
        {
            report(
                "/spec/mtls/mode",
                format!(
                    "mTLS mode DISABLE would deny every request to the app namespaces ({}): \
                     `allow-knative-system` admits callers by namespace, which Istio learns only from an \
                     mTLS peer certificate, and under DISABLE no request carries one",
                    spec.knative.app_namespaces.join(", ")
                ),
                "use PERMISSIVE or STRICT, or set spec.authorization.allowKnativeSystem: false (the app \
                 namespaces are then open to every caller)",
            );
        }
    }
}

// The grammars live in `grammar`; these read as the rules above need them.
fn is_label_key(key: &str) -> bool {
    grammar::check_label_key(key).is_ok()
}

fn is_label_value(value: &str) -> bool {
    grammar::check_label_value(value).is_ok()
}

fn is_quantity(text: &str) -> bool {
    grammar::check_quantity(text).is_ok()
}

/// An extension provider name meshgen can place unquoted-safe: letters, digits, `-`, `_`, `.`.
fn is_provider_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn check_label(report: &mut impl FnMut(&str, String, &str), pointer: &str, name: &str) {
    if !is_dns_label(name) {
        report(
            pointer,
            format!(
                "`{}` is not a valid name for {}",
                shown(name),
                dotted(pointer)
            ),
            "use a DNS-1123 label: at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit",
        );
    }
}

fn check_subdomain(report: &mut impl FnMut(&str, String, &str), pointer: &str, name: &str) {
    if !is_dns_subdomain(name) {
        report(
            pointer,
            format!(
                "`{}` is not a valid name for {}",
                shown(name),
                dotted(pointer)
            ),
            "use a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`, at most 253 characters",
        );
    }
}

fn check_port(report: &mut impl FnMut(&str, String, &str), pointer: &str, port: u32) {
    if !(1..=65535).contains(&port) {
        report(
            pointer,
            format!("port {port} is out of range"),
            "use a port from 1 to 65535",
        );
    }
}
