//! Knative ingress analyzers: `config-gateway` and `config-network` as net-gateway-api
//! (knative-v1.23) reads them, checked against the rendered Gateways (MG0011), and the Gateways
//! Knative uses: listener names its prober can match, and a local gateway that would get a
//! LoadBalancer (MG0012). Knowledge of how Istio provisions a Gateway (its Service name and
//! type) lives here too.

use serde_json::Value;

use crate::core::wellknown::GATEWAY_API_INGRESS_CLASS;
use crate::lint::Finding;
use crate::lint::mesh::{Mesh, Object, namespaced_name};
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
fn istio_provisioned(mesh: &Mesh<'_>, gateway: &Object<'_>) -> bool {
    let class = gateway.str_at("/spec/gatewayClassName").unwrap_or_default();
    let istio_class = class == "istio"
        || mesh.of_kind(GATEWAY_GROUP, "GatewayClass").any(|object| {
            object.id.name == class
                && object.str_at("/spec/controllerName") == Some("istio.io/gateway-controller")
        });
    let addresses = gateway
        .value
        .pointer("/spec/addresses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let managed = match addresses.as_slice() {
        [] => true,
        [address] => {
            address
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("IPAddress")
                == "IPAddress"
        }
        _ => false,
    };
    istio_class && managed
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
    let mut findings = Vec::new();
    for entry in &entries {
        let Some(gateway) = find_gateway(mesh, &entry.gateway) else {
            continue;
        };
        if !istio_provisioned(mesh, gateway) {
            continue;
        }
        if entry.service.is_some() {
            let listeners = gateway
                .value
                .pointer("/spec/listeners")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for (index, listener) in listeners.enumerate() {
                let protocol = listener
                    .get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let listener_name = listener
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
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
        if entry.role == Role::Local {
            let service_type = gateway
                .annotations()
                .get(SERVICE_TYPE)
                .copied()
                .or_else(|| {
                    gateway.str_at(&format!(
                        "/spec/infrastructure/annotations/{}",
                        SERVICE_TYPE.replace('/', "~1")
                    ))
                });
            if service_type.is_none_or(|service_type| service_type == "LoadBalancer") {
                findings.push(MG0012.finding(
                    &gateway.id,
                    "/metadata/annotations",
                    format!(
                        "local Gateway `{}` gets a LoadBalancer Service, which stays pending without a load balancer \
                         (Argo CD: Progressing forever); annotate it `{SERVICE_TYPE}: ClusterIP`",
                        gateway.name()
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
    fn defaults_match_net_gateway_api() {
        let entry = Entry::default(Role::Local);
        assert_eq!(entry.gateway, "istio-system/knative-local-gateway");
        assert_eq!(
            entry.service.as_deref(),
            Some("istio-system/knative-local-gateway")
        );
    }
}
