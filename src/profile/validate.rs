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
