//! Knative ingress analyzers: `config-gateway` and `config-network` as net-gateway-api
//! (knative-v1.23) reads them, checked against the rendered Gateways (MG0011), and the Gateways
//! Knative uses: listener names its prober can match, and a local gateway that would get a
//! LoadBalancer or leave port 80 (MG0012); Gateways of a class nothing provisions (MG0018) and
//! TLS listeners whose certificate Secret the set does not provide (MG0019). Knowledge of how
//! Istio provisions a Gateway (its class, Service name and type) lives here too.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::core::wellknown::{
    ENV_DEFAULT_GATEWAY_CLASS, GATEWAY_API_INGRESS_CLASS, ISTIO_GATEWAY_CLASS,
    ISTIO_GATEWAY_CONTROLLER, ISTIO_OTHER_GATEWAY_CLASSES, KNATIVE_LOCAL_GATEWAY,
    KNATIVE_LOCAL_PORT,
};
use crate::lint::Finding;
use crate::lint::mesh::{Mesh, Object, items_at, namespaced_name, str_at};
use crate::lint::rule::{Rule, Severity};

pub(crate) static MG0011: Rule = Rule {
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
    check: config_gateway_mismatch,
};

pub(crate) static MG0012: Rule = Rule {
    code: "MG0012",
    name: "knative-gateway-listener",
    severity: Severity::Warning,
    summary: "A Knative gateway that the prober cannot match by port name, or a local gateway that gets a LoadBalancer or is not on port 80.",
    why: "Istio names each port of a provisioned gateway Service after its listener; Knative's prober picks \
          the port named `http` (or `https` when redirecting) and otherwise falls back to appProtocol or the \
          first port. A provisioned local gateway without `networking.istio.io/service-type: ClusterIP` on the \
          Gateway itself (Istio 1.30 reads the type only there) gets a LoadBalancer: it exposes every \
          cluster-local route outside the cluster, and stays pending where no load balancer exists, so Argo \
          CD shows the Gateway Progressing. Knative's cluster-local names are ExternalName Services on port \
          80, so a local listener on another port breaks every cluster-local URL.",
    fix: "Name listeners `http` (port 80) and `https` (port 443); annotate the local gateway with \
          `networking.istio.io/service-type: ClusterIP` and keep its listener on port 80.",
    scope: "Runs on the Gateways Knative uses that Istio provisions (class `istio`, or a GatewayClass of \
            controller `istio.io/gateway-controller` in the set): those `config-gateway` names (else, with \
            Knative in the set, the defaults `istio-system/knative-gateway` and \
            `istio-system/knative-local-gateway`). Every Gateway named `knative-local-gateway` counts as a \
            local gateway, with or without `config-gateway` in the set.",
    check: knative_gateway_listener,
};

/// net-istio's class, Knative's default when `ingress-class` is unset.
const DEFAULT_INGRESS_CLASS: &str = "istio.ingress.networking.knative.dev";
/// The keys net-gateway-api reads from a `config-gateway` entry; it ignores any other.
const ENTRY_KEYS: [&str; 5] = [
    "class",
    "gateway",
    "service",
    "supported-features",
    "proxy-protocol-enabled",
];
pub(crate) static MG0018: Rule = Rule {
    code: "MG0018",
    name: "gateway-class-unprovided",
    severity: Severity::Error,
    summary: "A Gateway names a GatewayClass that neither an object in the set nor the rendered istiod provides: nothing provisions it.",
    why: "istiod creates only its built-in GatewayClasses: `istio` (renamed by \
          `PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME`), `istio-remote` (on by default), `istio-waypoint` \
          (ambient), `istio-east-west` and `istio-agentgateway` (opt-in). Its deployment controller skips a \
          Gateway whose class has no GatewayClass object, so no Deployment or Service is created for it, and a \
          `config-gateway` entry for it names Services that never exist.",
    fix: "Add `{apiVersion: gateway.networking.k8s.io/v1, kind: GatewayClass, metadata: {name: <class>}, spec: \
          {controllerName: istio.io/gateway-controller}}` (meshgen renders it for any `spec.gateway.className` \
          but `istio`), or use class `istio`.",
    scope: "Runs when an istiod Deployment is in the set. Its built-in classes come from the `discovery` \
            container's env with istiod's defaults (an env from `valueFrom` counts as unknown: the class is \
            then assumed). A GatewayClass in the set provides its class, whatever its controller.",
    check: gateway_class_unprovided,
};

pub(crate) static MG0019: Rule = Rule {
    code: "MG0019",
    name: "gateway-tls-secret-missing",
    severity: Severity::Warning,
    summary: "A Gateway listener terminates TLS with a certificate Secret the set does not provide.",
    why: "Until the Secret exists (in the Gateway's namespace, or in another one with a ReferenceGrant there), \
          the listener is `ResolvedRefs=False` and serves nothing, and Argo CD's Gateway health check reports \
          Degraded, which fails a sync whose later waves wait for it.",
    fix: "Create the Secret with the Gateway, e.g. a cert-manager Certificate (`spec.secretName: <name>`) in the \
          Gateway's namespace or a `cert-manager.io/issuer` annotation on the Gateway, and keep the Gateway in \
          the last sync wave; for a Secret in another namespace add a ReferenceGrant there from \
          `gateway.networking.k8s.io` `Gateway` in the Gateway's namespace to `Secret`. If the Secret is \
          created outside this set on purpose, acknowledge MG0019.",
    scope: "Runs on every Gateway listener of protocol HTTPS, or TLS in `Terminate` mode, with \
            `tls.certificateRefs` to Secrets. A ref is provided by a Secret in the set, a cert-manager \
            Certificate in the set with that `spec.secretName`, or a `cert-manager.io/issuer` / \
            `cert-manager.io/cluster-issuer` annotation on the Gateway; a ref to another namespace also needs \
            a ReferenceGrant (v1 or v1beta1) there.",
    check: gateway_tls_secret_missing,
};

/// Annotation that sets the type of the Service Istio provisions for a Gateway.
const SERVICE_TYPE: &str = "networking.istio.io/service-type";
const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

/// Which list of `config-gateway` an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    External,
    Local,
}

impl Role {
    fn key(self) -> &'static str {
        match self {
            Role::External => "external-gateways",
            Role::Local => "local-gateways",
        }
    }

    /// net-gateway-api's default entry: class, gateway, service.
    fn default_entry(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Role::External => (
                "istio",
                "istio-system/knative-gateway",
                "istio-system/istio-ingressgateway",
            ),
            Role::Local => (
                "istio",
                "istio-system/knative-local-gateway",
                "istio-system/knative-local-gateway",
            ),
        }
    }
}

/// One effective `config-gateway` entry (well-formed enough to check against Gateways).
#[derive(Debug)]
struct Entry {
    role: Role,
    class: String,
    gateway: String,
    service: Option<String>,
    /// The key is absent or an empty list: net-gateway-api's default applies.
    defaulted: bool,
}

impl Entry {
    fn default(role: Role) -> Entry {
        let (class, gateway, service) = role.default_entry();
        Entry {
            role,
            class: class.into(),
            gateway: gateway.into(),
            service: Some(service.into()),
            defaulted: true,
        }
    }

    fn describe(&self) -> String {
        if self.defaulted {
            format!(
                "`{}` (net-gateway-api's default, as the key is absent or empty)",
                self.role.key()
            )
        } else {
            format!("`{}`", self.role.key())
        }
    }
}

fn knative_config_map<'m, 'a>(mesh: &'m Mesh<'a>, name: &str) -> Option<&'m Object<'a>> {
    mesh.of_kind("", "ConfigMap")
        .find(|object| object.id.namespace == mesh.serving() && object.id.name == name)
}

/// Reads `config-gateway` into effective entries, reporting what net-gateway-api would reject or
/// ignore.
fn read_config_gateway(config: &Object<'_>, findings: &mut Vec<Finding>) -> Vec<Entry> {
    let mut entries = Vec::new();
    let name = config.name();
    for role in [Role::External, Role::Local] {
        let key = role.key();
        let pointer = format!("/data/{key}");
        let mut problem =
            |message: String| findings.push(MG0011.finding(&config.id, pointer.clone(), message));
        let Some(raw) = config.value.pointer(&pointer) else {
            entries.push(Entry::default(role));
            continue;
        };
        let Some(text) = raw.as_str() else {
            problem(format!(
                "ConfigMap `{name}` key `{key}` is not a string; write the list as a YAML string"
            ));
            continue;
        };
        let list: Value = match serde_saphyr::from_str(text) {
            Ok(list) => list,
            Err(_) => {
                problem(format!(
                    "ConfigMap `{name}` key `{key}` is not valid YAML; write a YAML list with one entry"
                ));
                continue;
            }
        };
        let items = match &list {
            Value::Null => Vec::new(),
            Value::Array(items) => items.clone(),
            _ => {
                problem(format!(
                    "ConfigMap `{name}` key `{key}` is not a YAML list; write a list with one entry"
                ));
                continue;
            }
        };
        if items.is_empty() {
            entries.push(Entry::default(role));
            continue;
        }
        if items.len() > 1 {
            problem(format!(
                "ConfigMap `{name}` key `{key}` has {} entries; net-gateway-api supports exactly one",
                items.len()
            ));
            continue;
        }
        let Some(item) = items.first().and_then(Value::as_object) else {
            problem(format!(
                "ConfigMap `{name}` key `{key}`: the entry is not a mapping"
            ));
            continue;
        };
        let unknown: Vec<&str> = item
            .keys()
            .map(String::as_str)
            .filter(|key| !ENTRY_KEYS.contains(key))
            .collect();
        if !unknown.is_empty() {
            let listed = unknown
                .iter()
                .map(|key| format!("`{key}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let hint = if unknown
                .iter()
                .any(|key| *key == "name" || *key == "namespace")
            {
                " (the `name`/`namespace` shape of an old docs snippet does not parse)"
            } else {
                ""
            };
            problem(format!(
                "ConfigMap `{name}` key `{key}`: net-gateway-api ignores {listed}{hint}; use only {}",
                ENTRY_KEYS.map(|key| format!("`{key}`")).join(", ")
            ));
        }
        let text_of = |field: &str| {
            item.get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let class = text_of("class");
        let gateway = text_of("gateway");
        let service = item
            .get("service")
            .map(|service| service.as_str().unwrap_or_default().to_owned());
        let mut valid = true;
        if class.is_empty() {
            problem(format!(
                "ConfigMap `{name}` key `{key}`: `class` is required; set it to the GatewayClass, e.g. `istio`"
            ));
            valid = false;
        }
        if gateway.is_empty() {
            problem(format!(
                "ConfigMap `{name}` key `{key}`: `gateway` is missing; set it to the Gateway as `namespace/name`"
            ));
            valid = false;
        } else if namespaced_name(&gateway).is_none() {
            problem(format!(
                "ConfigMap `{name}` key `{key}`: `gateway` is `{gateway}`; write the Gateway as `namespace/name`"
            ));
            valid = false;
        }
        if let Some(service) = service
            .as_deref()
            .filter(|service| namespaced_name(service).is_none())
        {
            problem(format!(
                "ConfigMap `{name}` key `{key}`: `service` is `{service}`; write the Service as `namespace/name`, not \
                 a hostname"
            ));
            valid = false;
        }
        if valid {
            entries.push(Entry {
                role,
                class,
                gateway,
                service,
                defaulted: false,
            });
        }
    }
    entries
}

/// The Gateway is an Istio one that Istio provisions itself (no address, or exactly one IP).
pub(crate) fn istio_provisioned(mesh: &Mesh<'_>, gateway: &Object<'_>) -> bool {
    let class = gateway.str_at("/spec/gatewayClassName").unwrap_or_default();
    let istio_class = class == ISTIO_GATEWAY_CLASS
        || mesh.of_kind(GATEWAY_GROUP, "GatewayClass").any(|object| {
            object.id.name == class
                && object.str_at("/spec/controllerName") == Some(ISTIO_GATEWAY_CONTROLLER)
        });
    let addresses: Vec<&Value> = gateway.items_at("/spec/addresses").collect();
    let managed = match addresses.as_slice() {
        [] => true,
        [address] => str_at(address, "/type").unwrap_or("IPAddress") == "IPAddress",
        _ => false,
    };
    istio_class && managed
}

/// The type of the Service Istio provisions for a Gateway, when the Gateway says: Istio 1.30.3
/// reads only the Gateway's own `networking.istio.io/service-type` annotation
/// (`deploymentcontroller.go`), not `spec.infrastructure.annotations`.
pub(crate) fn provisioned_service_type<'a>(gateway: &Object<'a>) -> Option<&'a str> {
    gateway.annotations().get(SERVICE_TYPE).copied()
}

/// The certificate refs of a Gateway's TLS-terminating listeners that nothing in the set
/// provides, as (pointer, what is missing).
pub(crate) fn unresolved_certificates(
    mesh: &Mesh<'_>,
    gateway: &Object<'_>,
) -> Vec<(String, String)> {
    let annotations = gateway.annotations();
    if annotations.contains_key("cert-manager.io/issuer")
        || annotations.contains_key("cert-manager.io/cluster-issuer")
    {
        return Vec::new(); // cert-manager's gateway-shim creates the Certificate, hence the Secret
    }
    let own = gateway.id.namespace.as_str();
    let mut missing = Vec::new();
    let listeners = gateway.items_at("/spec/listeners");
    for (l, listener) in listeners.enumerate() {
        let protocol = str_at(listener, "/protocol").unwrap_or_default();
        let mode = str_at(listener, "/tls/mode").unwrap_or("Terminate");
        if !(protocol == "HTTPS" || (protocol == "TLS" && mode == "Terminate")) {
            continue;
        }
        let refs = items_at(listener, "/tls/certificateRefs");
        for (r, reference) in refs.enumerate() {
            let field = |key: &str, default: &'static str| {
                reference
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or(default)
                    .to_owned()
            };
            if !field("group", "").is_empty() || field("kind", "Secret") != "Secret" {
                continue;
            }
            let name = field("name", "");
            let namespace = str_at(reference, "/namespace").unwrap_or(own);
            let secret = mesh
                .of_kind("", "Secret")
                .any(|s| s.id.namespace == namespace && s.id.name == name)
                || mesh.of_kind("cert-manager.io", "Certificate").any(|c| {
                    c.id.namespace == namespace
                        && c.str_at("/spec/secretName") == Some(name.as_str())
                });
            let pointer = format!("/spec/listeners/{l}/tls/certificateRefs/{r}");
            let listener_name = str_at(listener, "/name").unwrap_or_default();
            if !secret {
                missing.push((
                    pointer,
                    format!(
                        "listener `{listener_name}` needs Secret `{namespace}/{name}`, which the set holds neither as a \
                         Secret nor as a cert-manager Certificate; create it with the Gateway (e.g. a Certificate \
                         with `secretName: {name}`)"
                    ),
                ));
            } else if namespace != own && !reference_granted(mesh, own, namespace, &name) {
                missing.push((
                    pointer,
                    format!(
                        "listener `{listener_name}` refers to Secret `{namespace}/{name}` in another namespace without a \
                         ReferenceGrant there; add one in `{namespace}` from Gateways of `{own}` to that Secret"
                    ),
                ));
            }
        }
    }
    missing
}

/// A ReferenceGrant in `to_namespace` lets Gateways of `from_namespace` use Secret `name`.
fn reference_granted(
    mesh: &Mesh<'_>,
    from_namespace: &str,
    to_namespace: &str,
    name: &str,
) -> bool {
    mesh.of_kind(GATEWAY_GROUP, "ReferenceGrant")
        .filter(|grant| grant.id.namespace == to_namespace)
        .any(|grant| {
            let from = grant.items_at("/spec/from").any(|from| {
                str_at(from, "/group") == Some(GATEWAY_GROUP)
                    && str_at(from, "/kind") == Some("Gateway")
                    && str_at(from, "/namespace") == Some(from_namespace)
            });
            let to = grant.items_at("/spec/to").any(|to| {
                str_at(to, "/group").unwrap_or_default().is_empty()
                    && str_at(to, "/kind") == Some("Secret")
                    && str_at(to, "/name").is_none_or(|n| n == name)
            });
            from && to
        })
}

/// `namespace/name` of the Service Istio provisions for a Gateway.
fn provisioned_service(gateway: &Object<'_>) -> String {
    let class = gateway.str_at("/spec/gatewayClassName").unwrap_or_default();
    let name = match gateway.annotations().get("gateway.istio.io/name-override") {
        Some(name) => (*name).to_owned(),
        None => format!("{}-{class}", gateway.id.name),
    };
    format!("{}/{name}", gateway.id.namespace)
}

fn find_gateway<'m, 'a>(mesh: &'m Mesh<'a>, namespaced: &str) -> Option<&'m Object<'a>> {
    let (namespace, name) = namespaced_name(namespaced)?;
    mesh.of_kind(GATEWAY_GROUP, "Gateway")
        .find(|object| object.id.namespace == namespace && object.id.name == name)
}

/// MG0011: `config-gateway` / `config-network` that do not match the gateways.
pub(crate) fn config_gateway_mismatch(mesh: &Mesh<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(config) = knative_config_map(mesh, "config-gateway") else {
        return findings;
    };
    let entries = read_config_gateway(config, &mut findings);
    let gateways: Vec<String> = mesh
        .of_kind(GATEWAY_GROUP, "Gateway")
        .map(|gateway| gateway.name())
        .collect();
    let name = config.name();
    for entry in &entries {
        let pointer = format!("/data/{}", entry.role.key());
        if gateways.is_empty() {
            break; // the Gateways live elsewhere: nothing to compare with
        }
        let Some(gateway) = find_gateway(mesh, &entry.gateway) else {
            findings.push(MG0011.finding(
                &config.id,
                pointer,
                format!(
                    "ConfigMap `{name}` {} names gateway `{}`, which is not in the set (Gateways: {}); point it at one \
                     of them",
                    entry.describe(),
                    entry.gateway,
                    gateways.iter().map(|gateway| format!("`{gateway}`")).collect::<Vec<_>>().join(", ")
                ),
            ));
            continue;
        };
        let class = gateway.str_at("/spec/gatewayClassName").unwrap_or_default();
        if class != entry.class {
            findings.push(MG0011.finding(
                &config.id,
                pointer.clone(),
                format!(
                    "ConfigMap `{name}` {} says class `{}` but Gateway `{}` has class `{class}`; make them the same",
                    entry.describe(),
                    entry.class,
                    entry.gateway
                ),
            ));
        }
        if !istio_provisioned(mesh, gateway) {
            continue;
        }
        let expected = provisioned_service(gateway);
        if let Some(service) = entry
            .service
            .as_deref()
            .filter(|service| *service != expected)
        {
            findings.push(MG0011.finding(
                &config.id,
                pointer,
                format!(
                    "ConfigMap `{name}` {} names service `{service}`, but Istio provisions Gateway `{}` as `{expected}`; \
                     set `service: {expected}`",
                    entry.describe(),
                    entry.gateway
                ),
            ));
        }
    }
    if let Some(network) = knative_config_map(mesh, "config-network") {
        let (key, class) = match (
            network.str_at("/data/ingress-class"),
            network.str_at("/data/ingress.class"),
        ) {
            (Some(class), _) => ("ingress-class", Some(class)),
            (None, Some(class)) => ("ingress.class", Some(class)),
            (None, None) => ("ingress-class", None),
        };
        if let Some(class) = class.filter(|class| *class != GATEWAY_API_INGRESS_CLASS) {
            let class = if class.is_empty() {
                DEFAULT_INGRESS_CLASS
            } else {
                class
            };
            findings.push(MG0011.finding(
                &network.id,
                format!("/data/{}", key.replace('/', "~1")),
                format!(
                    "ConfigMap `{}` sets `{key}: {class}` while `config-gateway` is present, so net-gateway-api \
                     reconciles nothing; set `ingress-class: {GATEWAY_API_INGRESS_CLASS}`",
                    network.name()
                ),
            ));
        }
    }
    findings
}

/// Listener names Knative's prober matches, by protocol.
fn probe_names(protocol: &str) -> Option<&'static [&'static str]> {
    match protocol {
        "HTTP" => Some(&["http", "http2", "http-80"]),
        "HTTPS" => Some(&["https", "https-443"]),
        _ => None,
    }
}

/// MG0012: Knative gateways the prober cannot match, or a LoadBalancer local gateway.
pub(crate) fn knative_gateway_listener(mesh: &Mesh<'_>) -> Vec<Finding> {
    let entries = match knative_config_map(mesh, "config-gateway") {
        Some(config) => read_config_gateway(config, &mut Vec::new()),
        None if mesh.knative_present() => {
            vec![Entry::default(Role::External), Entry::default(Role::Local)]
        }
        None => Vec::new(),
    };
    // (gateway, role, probed by Service port name): the entries' Gateways, then every Gateway
    // named like net-gateway-api's default local gateway.
    let mut checked: Vec<(&Object<'_>, Role, bool)> = Vec::new();
    for entry in &entries {
        if let Some(gateway) = find_gateway(mesh, &entry.gateway) {
            checked.push((gateway, entry.role, entry.service.is_some()));
        }
    }
    for gateway in mesh.of_kind(GATEWAY_GROUP, "Gateway") {
        if gateway.id.name == KNATIVE_LOCAL_GATEWAY
            && !checked.iter().any(|(seen, _, _)| seen.id == gateway.id)
        {
            checked.push((gateway, Role::Local, false));
        }
    }
    let mut findings = Vec::new();
    for (gateway, role, probed_by_name) in checked {
        if !istio_provisioned(mesh, gateway) {
            continue;
        }
        if probed_by_name {
            let listeners = gateway.items_at("/spec/listeners");
            for (index, listener) in listeners.enumerate() {
                let protocol = str_at(listener, "/protocol").unwrap_or_default();
                let listener_name = str_at(listener, "/name").unwrap_or_default();
                let Some(names) = probe_names(protocol) else {
                    continue;
                };
                if names.contains(&listener_name) {
                    continue;
                }
                findings.push(MG0012.finding(
                    &gateway.id,
                    format!("/spec/listeners/{index}/name"),
                    format!(
                        "Gateway `{}` listener `{listener_name}` ({protocol}) becomes a Service port Knative's prober \
                         does not match by name; rename it `{}`",
                        gateway.name(),
                        names.first().copied().unwrap_or("http")
                    ),
                ));
            }
        }
        if role == Role::Local {
            if provisioned_service_type(gateway).is_none_or(|kind| kind == "LoadBalancer") {
                let infrastructure = gateway
                    .value
                    .pointer(&format!(
                        "/spec/infrastructure/annotations/{}",
                        SERVICE_TYPE.replace('/', "~1")
                    ))
                    .is_some();
                let note = if infrastructure {
                    " (Istio does not read it from `spec.infrastructure.annotations`)"
                } else {
                    ""
                };
                findings.push(MG0012.finding(
                    &gateway.id,
                    "/metadata/annotations",
                    format!(
                        "local Gateway `{}` gets a LoadBalancer Service, which exposes every cluster-local route \
                         outside the cluster (and stays pending without a load balancer: Argo CD shows it \
                         Progressing); annotate the Gateway itself `{SERVICE_TYPE}: ClusterIP`{note}",
                        gateway.name()
                    ),
                ));
            }
            let listeners = gateway.items_at("/spec/listeners");
            for (index, listener) in listeners.enumerate() {
                let port = listener.get("port").and_then(Value::as_u64);
                if str_at(listener, "/protocol") == Some("HTTP")
                    && port.is_some_and(|port| port != u64::from(KNATIVE_LOCAL_PORT))
                {
                    findings.push(MG0012.finding(
                        &gateway.id,
                        format!("/spec/listeners/{index}/port"),
                        format!(
                            "local Gateway `{}` listens for HTTP on port {}, but Knative's cluster-local names are \
                             ExternalName Services on port {KNATIVE_LOCAL_PORT}: every cluster-local URL breaks; use \
                             port {KNATIVE_LOCAL_PORT}",
                            gateway.name(),
                            port.unwrap_or_default()
                        ),
                    ));
                }
            }
        }
    }
    findings
}

/// The GatewayClasses a rendered istiod creates itself, from its `discovery` container's env;
/// `None` when the env cannot be read (a `valueFrom`): then any class may be built in.
fn builtin_classes(istiod: &Object<'_>) -> Option<Vec<String>> {
    let containers = istiod
        .value
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)?;
    let discovery = containers
        .iter()
        .find(|container| str_at(container, "/name") == Some("discovery"))
        .or_else(|| containers.first())?;
    let mut env: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for entry in items_at(discovery, "/env") {
        if let Some(name) = str_at(entry, "/name") {
            env.insert(name, str_at(entry, "/value"));
        }
    }
    let enabled = |name: &str, default: bool| -> Option<bool> {
        match env.get(name) {
            None => Some(default),
            Some(None) => None,
            Some(Some(value)) => Some(value.eq_ignore_ascii_case("true")),
        }
    };
    if !enabled("PILOT_ENABLE_GATEWAY_API_GATEWAYCLASS_CONTROLLER", true)? {
        return Some(Vec::new());
    }
    let default = match env.get(ENV_DEFAULT_GATEWAY_CLASS) {
        None => ISTIO_GATEWAY_CLASS.to_owned(),
        Some(Some(name)) if !name.is_empty() => (*name).to_owned(),
        Some(Some(_)) => ISTIO_GATEWAY_CLASS.to_owned(),
        Some(None) => return None,
    };
    let mut classes = vec![default];
    for (name, variable, on_by_default) in ISTIO_OTHER_GATEWAY_CLASSES {
        if enabled(variable, *on_by_default)? {
            classes.push((*name).to_owned());
        }
    }
    Some(classes)
}

/// MG0018: a Gateway of a class nothing provides.
pub(crate) fn gateway_class_unprovided(mesh: &Mesh<'_>) -> Vec<Finding> {
    let istiods = mesh.istiod_objects();
    if istiods.is_empty() {
        return Vec::new();
    }
    let mut builtin: Vec<String> = Vec::new();
    for istiod in istiods {
        match builtin_classes(istiod) {
            Some(classes) => builtin.extend(classes),
            None => return Vec::new(),
        }
    }
    builtin.sort();
    builtin.dedup();
    let mut findings = Vec::new();
    for gateway in mesh.of_kind(GATEWAY_GROUP, "Gateway") {
        let Some(class) = gateway.str_at("/spec/gatewayClassName") else {
            continue;
        };
        let provided = builtin.iter().any(|name| name == class)
            || mesh
                .of_kind(GATEWAY_GROUP, "GatewayClass")
                .any(|object| object.id.name == class);
        if provided {
            continue;
        }
        let fix = match ISTIO_OTHER_GATEWAY_CLASSES
            .iter()
            .find(|(name, _, _)| *name == class)
        {
            Some((_, env, _)) => {
                format!("istiod creates it with `{env}=true`; set that env on istiod")
            }
            None => format!(
                "add GatewayClass `{class}` with `controllerName: {ISTIO_GATEWAY_CONTROLLER}`, or use class \
                 `{ISTIO_GATEWAY_CLASS}`"
            ),
        };
        findings.push(MG0018.finding(
            &gateway.id,
            "/spec/gatewayClassName",
            format!(
                "Gateway `{}` has class `{class}`, which no GatewayClass in the set provides and istiod does not \
                 create (its classes: {}): nothing provisions it; {fix}",
                gateway.name(),
                if builtin.is_empty() {
                    "none".to_owned()
                } else {
                    builtin.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                }
            ),
        ));
    }
    findings
}

/// MG0019: a TLS listener whose certificate Secret nothing in the set provides.
pub(crate) fn gateway_tls_secret_missing(mesh: &Mesh<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for gateway in mesh.of_kind(GATEWAY_GROUP, "Gateway") {
        for (pointer, what) in unresolved_certificates(mesh, gateway) {
            findings.push(MG0019.finding(
                &gateway.id,
                pointer,
                format!(
                    "Gateway `{}`: {what}; until then the listener serves nothing and Argo CD shows the Gateway \
                     Degraded (acknowledge MG0019 if the Secret is created outside this set)",
                    gateway.name()
                ),
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_net_gateway_api() {
        let entry = Entry::default(Role::Local);
        assert_eq!(entry.gateway, "istio-system/knative-local-gateway");
        assert_eq!(
            entry.service.as_deref(),
            Some("istio-system/knative-local-gateway")
        );
    }
}
