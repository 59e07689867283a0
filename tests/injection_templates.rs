//! istiod's injection templates (`src/templates/istiod/injection/*.gotmpl`) are Go templates that
//! istiod, not meshgen, executes: at runtime, for every injected pod and every provisioned
//! gateway. A mistake in them does not fail `meshgen`, it fails every pod admission in the
//! cluster. These tests check them statically, the way Go's `text/template` parser and istiod's
//! function map would, plus meshgen's own contract with the templates:
//!
//! 1. every `{{ ... }}` action lexes and parses as a Go template action, and the control
//!    structure (`if`/`with`/`range`/`define`/`block` ... `end`) balances, with variables
//!    declared before use;
//! 2. every function called is in istiod's function set (Go builtins, istiod's own functions,
//!    and the sprig functions these templates use: an explicit whitelist below);
//! 3. every `.Values` path read exists in the values meshgen renders for istiod
//!    (`meshgen::istio::values`), in the sidecar and in the ambient variant, save an explicit
//!    list of optional paths the upstream chart leaves unset too;
//! 4. every container, volume, port, environment variable, annotation and values path that
//!    `shared/facts/injection-templates.md` lists for a template is covered by ours.
//!
//! The lexer and parser are small re-implementations of `text/template/parse` for the subset of
//! the language the templates may use; the unit tests at the bottom prove that each check
//! rejects what it should.

use std::collections::{BTreeMap, BTreeSet};

use meshgen::istio::{IstioKnobs, values};
use serde_json::Value;

const SIDECAR: &str = include_str!("../src/templates/istiod/injection/sidecar.gotmpl");
const KUBE_GATEWAY: &str = include_str!("../src/templates/istiod/injection/kube-gateway.gotmpl");
const WAYPOINT: &str = include_str!("../src/templates/istiod/injection/waypoint.gotmpl");
const GATEWAY: &str = include_str!("../src/templates/istiod/injection/gateway.gotmpl");

/// What `.` is at the top of a template: istiod executes pod templates with its
/// `SidecarTemplateData` and gateway templates with the deployment controller's input.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Data {
    Pod,
    Gateway,
}

struct Template {
    name: &'static str,
    text: &'static str,
    data: Data,
    /// Only rendered (and only reachable) in ambient mode.
    ambient_only: bool,
}

const TEMPLATES: [Template; 4] = [
    Template {
        name: "sidecar",
        text: SIDECAR,
        data: Data::Pod,
        ambient_only: false,
    },
    Template {
        name: "kube-gateway",
        text: KUBE_GATEWAY,
        data: Data::Gateway,
        ambient_only: false,
    },
    Template {
        name: "waypoint",
        text: WAYPOINT,
        data: Data::Gateway,
        ambient_only: true,
    },
    // a pod template: istiod executes it for pods annotated `inject.istio.io/templates: gateway`
    Template {
        name: "gateway",
        text: GATEWAY,
        data: Data::Pod,
        ambient_only: false,
    },
];

// ---------------------------------------------------------------------------------------------
// Whitelists
// ---------------------------------------------------------------------------------------------

/// Functions Go's `text/template` predefines.
const GO_BUILTINS: &[&str] = &[
    "and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne", "not", "or",
    "print", "printf", "println", "slice", "urlquery",
];

/// istiod 1.30.3's own template functions these templates call: the union of the lists in
/// `shared/facts/injection-templates.md` for `sidecar`, `kube-gateway` and `waypoint`, plus
/// `otelResourceAttributes`.
const ISTIOD_FUNCTIONS: &[&str] = &[
    "annotation",
    "appendMultusNetwork",
    "contains",
    "directory",
    "excludeInboundPort",
    "isset",
    "protoToJSON",
    "structToJSON",
    "toJsonMap",
    "toLower",
    "toYaml",
    "valueOrDefault",
    // Not in the facts' function lists, although the facts list the OTEL_RESOURCE_ATTRIBUTES
    // variable it produces: registered by istiod 1.30.3 (pkg/kube/inject/template.go) and
    // modelled with that signature by shared/tools/inject-oracle. One call site, in `sidecar`.
    "otelResourceAttributes",
];

/// The sprig functions (istiod registers `sprig.TxtFuncMap()` under its own) these templates
/// use. Each one here is a deliberate choice; add to it only after checking that sprig v3
/// provides the function and istiod does not shadow it with different semantics (istiod's
/// `indent`, for one, leaves the first line alone, unlike sprig's: use `nindent`).
const SPRIG_FUNCTIONS: &[&str] = &[
    "append",
    "default",
    "int",
    "join",
    "list",
    "nindent",
    "quote",
    "toString",
    "trim",
    "trimSuffix",
    "trunc",
];

/// Top-level fields of istiod's `SidecarTemplateData` (pkg/kube/inject).
const POD_DATA_FIELDS: &[&str] = &[
    "CompliancePolicy",
    "DeploymentMeta",
    "InboundTrafficPolicyMode",
    "MeshConfig",
    "NativeSidecars",
    "ObjectMeta",
    "ProxyConfig",
    "ProxyGID",
    "ProxyImage",
    "ProxyUID",
    "Revision",
    "Spec",
    "TypeMeta",
    "Values",
];

/// Top-level fields the gateway deployment controller's template input offers: the embedded
/// Gateway (and its embedded ObjectMeta) plus the controller's own fields.
const GATEWAY_DATA_FIELDS: &[&str] = &[
    "ClusterID",
    "ControllerLabel",
    "DeploymentName",
    "GatewayClass",
    "GatewayNameLabel",
    "InfrastructureAnnotations",
    "InfrastructureLabels",
    "MeshConfig",
    "Name",
    "Namespace",
    "ObjectMeta",
    "Ports",
    "ProxyConfig",
    "ProxyGID",
    "ProxyImage",
    "ProxyUID",
    "Revision",
    "ServiceAccount",
    "ServiceType",
    "Spec",
    "UID",
    "Values",
];

/// `.Values` paths the templates may read although meshgen's values (like the upstream chart's
/// defaults) do not set them: an unset value means "off" or "the default", and every read is
/// guarded (`if`, `with`, `valueOrDefault`, `default`, or `toString` before `eq`). The parent
/// of each must exist.
const OPTIONAL_VALUES: &[&str] = &[
    "global.platform",
    "global.proxy.capNetBindService",
    "global.proxy.holdApplicationUntilProxyStarts",
    "global.proxy.lifecycle",
    "global.trustBundleName",
    "global.trustDomain",
    "pilot.crlConfigMapName",
];

/// Free-form maps: any key below them may be read (an absent key is unset).
const FREE_FORM_VALUES: &[&str] = &["pilot.env"];

// ---------------------------------------------------------------------------------------------
// Facts (shared/facts/injection-templates.md): what each upstream template covers
// ---------------------------------------------------------------------------------------------

struct Facts {
    env: &'static [&'static str],
    names: &'static [&'static str],
    ports: &'static [u16],
    annotations: &'static [&'static str],
    values: &'static [&'static str],
}

const SIDECAR_FACTS: Facts = Facts {
    env: &[
        "CA_ADDR",
        "COMPLIANCE_POLICY",
        "GOMAXPROCS",
        "GOMEMLIMIT",
        "HOST_IP",
        "INSTANCE_IP",
        "ISTIO_BOOTSTRAP_OVERRIDE",
        "ISTIO_CPU_LIMIT",
        "ISTIO_META_APP_CONTAINERS",
        "ISTIO_META_CLUSTER_ID",
        "ISTIO_META_INTERCEPTION_MODE",
        "ISTIO_META_MESH_ID",
        "ISTIO_META_NETWORK",
        "ISTIO_META_NODE_NAME",
        "ISTIO_META_OWNER",
        "ISTIO_META_POD_PORTS",
        "ISTIO_META_WORKLOAD_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "PILOT_CERT_PROVIDER",
        "POD_NAME",
        "POD_NAMESPACE",
        "PROXY_CONFIG",
        "REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION",
        "SERVICE_ACCOUNT",
        "TRUST_DOMAIN",
    ],
    names: &[
        "credential-socket",
        "custom-bootstrap-volume",
        "gke-workload-certificate",
        "istio-ca-crl",
        "istio-certs",
        "istio-data",
        "istio-envoy",
        "istio-init",
        "istio-podinfo",
        "istio-proxy",
        "istio-token",
        "istio-validation",
        "istiod-ca-cert",
        "lightstep-certs",
        "workload-certs",
        "workload-socket",
    ],
    ports: &[15090],
    annotations: &[
        "readiness.status.sidecar.istio.io/failureThreshold",
        "readiness.status.sidecar.istio.io/initialDelaySeconds",
        "readiness.status.sidecar.istio.io/periodSeconds",
        "sidecar.istio.io/agentLogLevel",
        "sidecar.istio.io/bootstrapOverride",
        "sidecar.istio.io/capNetBindService",
        "sidecar.istio.io/componentLogLevel",
        "sidecar.istio.io/interceptionMode",
        "sidecar.istio.io/logLevel",
        "sidecar.istio.io/nativeSidecar",
        "sidecar.istio.io/proxyImage",
        "status.sidecar.istio.io/port",
        "traffic.sidecar.istio.io/excludeInboundPorts",
        "traffic.sidecar.istio.io/excludeOutboundIPRanges",
        "traffic.sidecar.istio.io/excludeOutboundPorts",
        "traffic.sidecar.istio.io/includeInboundPorts",
        "traffic.sidecar.istio.io/includeOutboundIPRanges",
        "traffic.sidecar.istio.io/includeOutboundPorts",
    ],
    values: &[
        "global.caAddress",
        "global.caName",
        "global.imagePullPolicy",
        "global.imagePullSecrets",
        "global.istioNamespace",
        "global.logAsJson",
        "global.logging.level",
        "global.meshID",
        "global.mountMtlsCerts",
        "global.multiCluster.clusterName",
        "global.nativeNftables",
        "global.network",
        "global.pilotCertProvider",
        "global.proxy.capNetBindService",
        "global.proxy.clusterDomain",
        "global.proxy.componentLogLevel",
        "global.proxy.excludeIPRanges",
        "global.proxy.excludeInboundPorts",
        "global.proxy.excludeOutboundPorts",
        "global.proxy.holdApplicationUntilProxyStarts",
        "global.proxy.image",
        "global.proxy.includeIPRanges",
        "global.proxy.includeInboundPorts",
        "global.proxy.includeOutboundPorts",
        "global.proxy.lifecycle",
        "global.proxy.logLevel",
        "global.proxy.outlierLogPath",
        "global.proxy.privileged",
        "global.proxy.readinessFailureThreshold",
        "global.proxy.readinessInitialDelaySeconds",
        "global.proxy.readinessPeriodSeconds",
        "global.proxy.resources",
        "global.proxy.seccompProfile",
        "global.proxy.startupProbe.enabled",
        "global.proxy.startupProbe.failureThreshold",
        "global.proxy.statusPort",
        "global.proxy.tracer",
        "global.proxy_init.forceApplyIptables",
        "global.proxy_init.image",
        "global.sds.token.aud",
        "global.sts.servicePort",
        "global.trustBundleName",
        "global.trustDomain",
        "pilot.cni.enabled",
        "pilot.cni.provider",
        "pilot.crlConfigMapName",
        "pilot.env",
        "revision",
    ],
};

const KUBE_GATEWAY_FACTS: Facts = Facts {
    env: &[
        "CA_ADDR",
        "GOMAXPROCS",
        "GOMEMLIMIT",
        "HOST_IP",
        "INSTANCE_IP",
        "ISTIO_CPU_LIMIT",
        "ISTIO_META_APP_CONTAINERS",
        "ISTIO_META_CLUSTER_ID",
        "ISTIO_META_INTERCEPTION_MODE",
        "ISTIO_META_MESH_ID",
        "ISTIO_META_NETWORK",
        "ISTIO_META_NODE_NAME",
        "ISTIO_META_OWNER",
        "ISTIO_META_POD_PORTS",
        "ISTIO_META_REQUESTED_NETWORK_VIEW",
        "ISTIO_META_WORKLOAD_NAME",
        "PILOT_CERT_PROVIDER",
        "POD_NAME",
        "POD_NAMESPACE",
        "PROXY_CONFIG",
        "SERVICE_ACCOUNT",
        "TRUST_DOMAIN",
    ],
    // The facts also list `net`: the first segment of the sysctl
    // `net.ipv4.ip_unprivileged_port_start`, checked by `kube_gateway_lets_the_proxy_bind_listener_ports`.
    names: &[
        "credential-socket",
        "gke-workload-certificate",
        "istio-data",
        "istio-envoy",
        "istio-podinfo",
        "istio-proxy",
        "istio-token",
        "istiod-ca-cert",
        "workload-certs",
        "workload-socket",
    ],
    ports: &[15020, 15021, 15090],
    annotations: &[
        "sidecar.istio.io/agentLogLevel",
        "sidecar.istio.io/componentLogLevel",
        "sidecar.istio.io/logLevel",
        "sidecar.istio.io/proxyImage",
    ],
    values: &[
        "gateways.seccompProfile",
        "gateways.securityContext",
        "global.caAddress",
        "global.caName",
        "global.imagePullPolicy",
        "global.imagePullSecrets",
        "global.istioNamespace",
        "global.logAsJson",
        "global.logging.level",
        "global.meshID",
        "global.multiCluster.clusterName",
        "global.network",
        "global.pilotCertProvider",
        "global.proxy.clusterDomain",
        "global.proxy.componentLogLevel",
        "global.proxy.image",
        "global.proxy.lifecycle",
        "global.proxy.logLevel",
        "global.proxy.resources",
        "global.sds.token.aud",
        "global.sts.servicePort",
        "global.trustBundleName",
        "global.trustDomain",
        "pilot",
        "revision",
    ],
};

const WAYPOINT_FACTS: Facts = Facts {
    env: &[
        "CA_ADDR",
        "GOMAXPROCS",
        "GOMEMLIMIT",
        "HOST_IP",
        "INSTANCE_IP",
        "ISTIO_CPU_LIMIT",
        "ISTIO_META_CLUSTER_ID",
        "ISTIO_META_INTERCEPTION_MODE",
        "ISTIO_META_MESH_ID",
        "ISTIO_META_NETWORK",
        "ISTIO_META_NODE_NAME",
        "ISTIO_META_OWNER",
        "ISTIO_META_REQUESTED_NETWORK_VIEW",
        "ISTIO_META_SERVICE_ACCOUNT",
        "ISTIO_META_WORKLOAD_NAME",
        "PILOT_CERT_PROVIDER",
        "POD_NAME",
        "POD_NAMESPACE",
        "PROXY_CONFIG",
        "SERVICE_ACCOUNT",
        "TRUST_DOMAIN",
    ],
    names: &[
        "istio-data",
        "istio-envoy",
        "istio-podinfo",
        "istio-proxy",
        "istio-token",
        "istiod-ca-cert",
        "workload-socket",
    ],
    ports: &[15020, 15021, 15090],
    annotations: &[
        "sidecar.istio.io/agentLogLevel",
        "sidecar.istio.io/componentLogLevel",
        "sidecar.istio.io/logLevel",
        "sidecar.istio.io/proxyImage",
    ],
    values: &[
        "gateways.seccompProfile",
        "global.caAddress",
        "global.imagePullPolicy",
        "global.imagePullSecrets",
        "global.istioNamespace",
        "global.logAsJson",
        "global.logging.level",
        "global.meshID",
        "global.multiCluster.clusterName",
        "global.network",
        "global.pilotCertProvider",
        "global.platform",
        "global.proxy.clusterDomain",
        "global.proxy.componentLogLevel",
        "global.proxy.image",
        "global.proxy.logLevel",
        "global.proxy.outlierLogPath",
        "global.trustBundleName",
        "global.trustDomain",
        "global.waypoint.affinity",
        "global.waypoint.nodeSelector",
        "global.waypoint.resources",
        "global.waypoint.tolerations",
        "global.waypoint.topologySpreadConstraints",
        "pilot.env",
        "revision",
    ],
};

/// The facts file lists nothing for `gateway` (it is checked by executing it: ci/injection-test.py).
const GATEWAY_FACTS: Facts = Facts {
    env: &[],
    names: &[],
    ports: &[],
    annotations: &[],
    values: &[],
};

fn facts(name: &str) -> &'static Facts {
    match name {
        "sidecar" => &SIDECAR_FACTS,
        "kube-gateway" => &KUBE_GATEWAY_FACTS,
        "waypoint" => &WAYPOINT_FACTS,
        "gateway" => &GATEWAY_FACTS,
        other => panic!("no facts for template {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer: text/template/parse's lexer for actions, comments and trim markers
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// A bare identifier: a keyword or a function name.
    Ident(String),
    /// `.a.b.c`: a field chain on dot.
    Field(Vec<String>),
    /// `.a.b` directly after `)`: a field chain on the parenthesised value.
    ChainedField(Vec<String>),
    /// `$name.a.b` (`$` alone has an empty name).
    Var(String, Vec<String>),
    Dot,
    /// A quoted or raw string, with its text as written between the quotes.
    Str(String),
    /// A number, character or boolean constant.
    Constant,
    Nil,
    LParen,
    RParen,
    Pipe,
    Comma,
    Declare,
    Assign,
}

/// One `{{ ... }}` action (comments are dropped), with the 1-based line it starts on.
#[derive(Debug)]
struct Action {
    line: usize,
    toks: Vec<Tok>,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn line_of(src: &str, at: usize) -> usize {
    src[..at].bytes().filter(|&c| c == b'\n').count() + 1
}

/// Reads `.a.b.c` from a `.` followed by an identifier; empty if there is none.
fn field_chain(b: &[u8], i: &mut usize) -> Vec<String> {
    let mut path = Vec::new();
    while *i + 1 < b.len() && b[*i] == b'.' && is_ident_start(b[*i + 1]) {
        *i += 1;
        let start = *i;
        while *i < b.len() && is_ident(b[*i]) {
            *i += 1;
        }
        path.push(String::from_utf8_lossy(&b[start..*i]).into_owned());
    }
    path
}

/// Reads a string or character constant whose opening quote is at `b[*i]`: escapes allowed,
/// no newline. Returns the text between the quotes.
fn quoted(b: &[u8], i: &mut usize, what: &str) -> Result<String, String> {
    let quote = b[*i];
    let start = *i + 1;
    *i += 1;
    loop {
        match b.get(*i) {
            None | Some(b'\n') => return Err(format!("unterminated {what}")),
            Some(b'\\') => *i += 2,
            Some(&c) if c == quote => {
                *i += 1;
                return Ok(String::from_utf8_lossy(&b[start..*i - 1]).into_owned());
            }
            Some(_) => *i += 1,
        }
    }
}

/// Reads a Go number constant (decimal, hex, octal, binary, float; `_` separators; a sign).
fn number(b: &[u8], i: &mut usize) -> Result<(), String> {
    let start = *i;
    if matches!(b[*i], b'+' | b'-') {
        *i += 1;
    }
    while *i < b.len() {
        let c = b[*i];
        let exponent_sign =
            matches!(c, b'+' | b'-') && matches!(b[*i - 1], b'e' | b'E' | b'p' | b'P');
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exponent_sign {
            *i += 1;
        } else {
            break;
        }
    }
    let text = String::from_utf8_lossy(&b[start..*i]).replace('_', "");
    let digits = text.trim_start_matches(['+', '-']);
    let radix = |prefixes: [&str; 2]| prefixes.iter().find_map(|p| digits.strip_prefix(p));
    let ok = if let Some(hex) = radix(["0x", "0X"]) {
        i64::from_str_radix(hex, 16).is_ok()
    } else if let Some(bin) = radix(["0b", "0B"]) {
        i64::from_str_radix(bin, 2).is_ok()
    } else if let Some(oct) = radix(["0o", "0O"]) {
        i64::from_str_radix(oct, 8).is_ok()
    } else {
        !digits.is_empty() && digits.parse::<f64>().is_ok()
    };
    if ok {
        Ok(())
    } else {
        Err(format!("bad number syntax: {text:?}"))
    }
}

/// Splits a template into its actions, as Go's lexer does. Errors name the line.
fn lex(src: &str) -> Result<Vec<Action>, String> {
    let b = src.as_bytes();
    let mut actions = Vec::new();
    let mut i = 0;
    loop {
        let open = src[i..].find("{{");
        let text_end = open.map_or(src.len(), |o| i + o);
        if let Some(stray) = src[i..text_end].find("}}") {
            return Err(format!(
                "line {}: `}}}}` outside an action",
                line_of(src, i + stray)
            ));
        }
        let Some(open) = open else {
            return Ok(actions);
        };
        let start = i + open;
        let line = line_of(src, start);
        let err = |msg: String| format!("line {line}: {msg}");
        i = start + 2;
        // left trim marker: "{{-" followed by white space
        if b.get(i) == Some(&b'-') && b.get(i + 1).is_some_and(|&c| is_space(c)) {
            i += 2;
        }
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        // a comment: "/* ... */" directly followed by the closing delimiter
        if src[i..].starts_with("/*") {
            let Some(close) = src[i + 2..].find("*/") else {
                return Err(err("unclosed comment".into()));
            };
            i += 2 + close + 2;
            let ws = src[i..].bytes().take_while(|&c| is_space(c)).count();
            if src[i..].starts_with("}}") {
                i += 2;
            } else if ws > 0 && src[i + ws..].starts_with("-}}") {
                i += ws + 3;
            } else {
                return Err(err("comment ends before closing delimiter".into()));
            }
            continue;
        }
        let mut toks = Vec::new();
        loop {
            let ws_start = i;
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            if i > ws_start && src[i..].starts_with("-}}") {
                i += 3;
                break;
            }
            if src[i..].starts_with("}}") {
                i += 2;
                break;
            }
            if i >= b.len() {
                return Err(err("unclosed action".into()));
            }
            if src[i..].starts_with("{{") {
                return Err(err("unclosed action: `{{` inside an action".into()));
            }
            let tok = match b[i] {
                b'"' => Tok::Str(quoted(b, &mut i, "quoted string").map_err(err)?),
                b'\'' => {
                    quoted(b, &mut i, "character constant").map_err(err)?;
                    Tok::Constant
                }
                b'`' => {
                    let Some(close) = src[i + 1..].find('`') else {
                        return Err(err("unterminated raw quoted string".into()));
                    };
                    let text = src[i + 1..i + 1 + close].to_string();
                    i += close + 2;
                    Tok::Str(text)
                }
                b'(' => {
                    i += 1;
                    Tok::LParen
                }
                b')' => {
                    i += 1;
                    toks.push(Tok::RParen);
                    let path = field_chain(b, &mut i);
                    if path.is_empty() {
                        continue;
                    }
                    Tok::ChainedField(path)
                }
                b'|' => {
                    i += 1;
                    Tok::Pipe
                }
                b',' => {
                    i += 1;
                    Tok::Comma
                }
                b':' if b.get(i + 1) == Some(&b'=') => {
                    i += 2;
                    Tok::Declare
                }
                b'=' => {
                    i += 1;
                    Tok::Assign
                }
                b'$' => {
                    i += 1;
                    let start = i;
                    while i < b.len() && is_ident(b[i]) {
                        i += 1;
                    }
                    let name = src[start..i].to_string();
                    Tok::Var(name, field_chain(b, &mut i))
                }
                b'.' if b.get(i + 1).is_some_and(|&c| is_ident_start(c)) => {
                    Tok::Field(field_chain(b, &mut i))
                }
                b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                    number(b, &mut i).map_err(err)?;
                    Tok::Constant
                }
                b'.' => {
                    i += 1;
                    Tok::Dot
                }
                b'+' | b'-' | b'0'..=b'9' => {
                    number(b, &mut i).map_err(err)?;
                    Tok::Constant
                }
                c if is_ident_start(c) => {
                    let start = i;
                    while i < b.len() && is_ident(b[i]) {
                        i += 1;
                    }
                    match &src[start..i] {
                        "true" | "false" => Tok::Constant,
                        "nil" => Tok::Nil,
                        word => Tok::Ident(word.to_string()),
                    }
                }
                other => return Err(err(format!("unexpected {:?} in action", other as char))),
            };
            toks.push(tok);
        }
        actions.push(Action { line, toks });
    }
}

// ---------------------------------------------------------------------------------------------
// Parser: pipelines and commands, as text/template/parse builds them
// ---------------------------------------------------------------------------------------------

/// One argument of a command.
#[derive(Debug)]
enum Operand {
    Field(Vec<String>),
    Var(String, Vec<String>),
    Dot,
    Constant,
    Nil,
    Func(String),
    /// `( pipeline )`, possibly followed by `.field` (which reads the pipeline's value).
    Sub(Pipeline),
}

#[derive(Debug, Default)]
struct Pipeline {
    /// Variables declared (`:=`) or assigned (`=`) by the pipeline.
    decl: Vec<String>,
    assign: bool,
    cmds: Vec<Vec<Operand>>,
}

const KEYWORDS: &[&str] = &[
    "block", "break", "continue", "define", "else", "end", "if", "range", "template", "with",
];

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
}

impl Parser<'_> {
    /// Parses the whole token slice as one pipeline.
    fn parse(toks: &[Tok]) -> Result<Pipeline, String> {
        let mut parser = Parser { toks, pos: 0 };
        parser.pipeline(false)
    }

    fn pipeline(&mut self, in_parens: bool) -> Result<Pipeline, String> {
        let mut pipe = Pipeline::default();
        let rest = &self.toks[self.pos..];
        let decl = match rest {
            [Tok::Var(v, p), Tok::Declare | Tok::Assign, ..] if p.is_empty() => {
                Some((vec![v.clone()], &rest[1]))
            }
            [
                Tok::Var(a, pa),
                Tok::Comma,
                Tok::Var(b, pb),
                Tok::Declare | Tok::Assign,
                ..,
            ] if pa.is_empty() && pb.is_empty() => Some((vec![a.clone(), b.clone()], &rest[3])),
            _ => None,
        };
        if let Some((names, op)) = decl {
            pipe.assign = *op == Tok::Assign;
            self.pos += 2 * names.len();
            pipe.decl = names;
        }
        loop {
            let cmd = self.command()?;
            if cmd.is_empty() {
                return Err("missing value for command".into());
            }
            if !pipe.cmds.is_empty()
                && matches!(cmd[0], Operand::Constant | Operand::Dot | Operand::Nil)
            {
                return Err(format!(
                    "non executable command in pipeline stage {}",
                    pipe.cmds.len() + 1
                ));
            }
            pipe.cmds.push(cmd);
            match self.toks.get(self.pos) {
                Some(Tok::Pipe) => self.pos += 1,
                Some(Tok::RParen) if in_parens => return Ok(pipe),
                Some(Tok::RParen) => return Err("unexpected right paren".into()),
                None if in_parens => return Err("unclosed left paren".into()),
                None => return Ok(pipe),
                Some(other) => return Err(format!("unexpected {other:?} in command")),
            }
        }
    }

    fn command(&mut self) -> Result<Vec<Operand>, String> {
        let mut ops = Vec::new();
        while let Some(tok) = self.toks.get(self.pos) {
            self.pos += 1;
            let op = match tok {
                Tok::Pipe | Tok::RParen | Tok::Comma | Tok::Declare | Tok::Assign => {
                    if matches!(tok, Tok::Pipe | Tok::RParen) {
                        self.pos -= 1;
                        break;
                    }
                    return Err(format!("unexpected {tok:?} in operand"));
                }
                Tok::Field(path) => Operand::Field(path.clone()),
                Tok::ChainedField(_) => return Err("field chain without a preceding `)`".into()),
                Tok::Var(name, path) => Operand::Var(name.clone(), path.clone()),
                Tok::Dot => Operand::Dot,
                Tok::Str(_) | Tok::Constant => Operand::Constant,
                Tok::Nil => Operand::Nil,
                Tok::Ident(word) if KEYWORDS.contains(&word.as_str()) => {
                    return Err(format!("unexpected keyword `{word}` in command"));
                }
                Tok::Ident(word) => Operand::Func(word.clone()),
                Tok::LParen => {
                    let sub = self.pipeline(true)?;
                    self.pos += 1; // `)`
                    if let Some(Tok::ChainedField(_)) = self.toks.get(self.pos) {
                        self.pos += 1;
                    }
                    Operand::Sub(sub)
                }
            };
            ops.push(op);
        }
        Ok(ops)
    }
}

// ---------------------------------------------------------------------------------------------
// Analysis: block structure, variable scopes, what `.` is, and what the template reads
// ---------------------------------------------------------------------------------------------

/// What `.` holds at a point of the template.
#[derive(Clone, Copy, Debug, PartialEq)]
enum DotIs {
    /// The template data (top level, `if` bodies, `define` bodies, which are always given `.`).
    Root,
    /// A value read from `.Values`: a field of it is a `.Values` path that would go unchecked.
    Values,
    /// Anything else (`range` elements, `with` values).
    Other,
}

#[derive(Debug, PartialEq)]
enum Opening {
    If,
    With,
    Range,
    Define,
    Block,
}

struct Frame {
    block: Opening,
    /// Variables in scope when the block opened.
    vars_len: usize,
    /// `.` outside the block (an `else` branch and the code after `end` see it).
    outer_dot: DotIs,
    /// The enclosing variables, for a `define` body (which only sees `$`).
    saved_vars: Option<Vec<String>>,
}

/// What a template uses, gathered by [`analyze`].
#[derive(Debug, Default)]
struct Usage {
    /// `.Values` paths read (dotted, `Values.` dropped), each with the line of its first read.
    values: BTreeMap<String, usize>,
    /// Functions called, each with the line of its first call.
    functions: BTreeMap<String, usize>,
    /// Top-level fields of the template data read, each with the line of its first read.
    root_fields: BTreeMap<String, usize>,
    defines: BTreeSet<String>,
    /// Templates invoked with `template`/`block`, each with the line of its first call.
    calls: BTreeMap<String, usize>,
}

struct Analyzer {
    usage: Usage,
    vars: Vec<String>,
    /// Variables holding a value read from `.Values` as is.
    values_vars: BTreeSet<String>,
    stack: Vec<Frame>,
    dot: DotIs,
}

impl Analyzer {
    fn field(&mut self, path: &[String], line: usize) -> Result<(), String> {
        match self.dot {
            DotIs::Root => self.root_path(path, line),
            DotIs::Values => Err(format!(
                "`.{}` reads below a `.Values` value through dot; spell the full `.Values` path out",
                path.join(".")
            )),
            DotIs::Other => Ok(()),
        }
    }

    fn root_path(&mut self, path: &[String], line: usize) -> Result<(), String> {
        self.usage
            .root_fields
            .entry(path[0].clone())
            .or_insert(line);
        if path[0] == "Values" {
            if path.len() < 2 {
                return Err("`.Values` used whole; read full `.Values.x.y` paths".into());
            }
            self.usage.values.entry(path[1..].join(".")).or_insert(line);
        }
        Ok(())
    }

    fn operand(&mut self, op: &Operand, line: usize) -> Result<(), String> {
        match op {
            Operand::Field(path) => self.field(path, line),
            Operand::Var(name, path) => {
                if !self.vars.contains(name) {
                    return Err(format!("undefined variable \"${name}\""));
                }
                match () {
                    _ if path.is_empty() => Ok(()),
                    _ if name.is_empty() => self.root_path(path, line),
                    _ if self.values_vars.contains(name) => Err(format!(
                        "`${name}.{}` reads below a `.Values` value through a variable; spell the full path out",
                        path.join(".")
                    )),
                    _ => Ok(()),
                }
            }
            Operand::Func(name) => {
                self.usage.functions.entry(name.clone()).or_insert(line);
                Ok(())
            }
            Operand::Sub(pipe) => {
                if !pipe.decl.is_empty() {
                    return Err("declaration inside parentheses".into());
                }
                self.pipeline(pipe, line, false)
            }
            Operand::Dot | Operand::Constant | Operand::Nil => Ok(()),
        }
    }

    /// Whether a pipeline yields a `.Values` value untouched.
    fn yields_values(&self, pipe: &Pipeline) -> bool {
        let [cmd] = pipe.cmds.as_slice() else {
            return false;
        };
        match cmd.as_slice() {
            [Operand::Field(path)] => {
                self.dot == DotIs::Values || (self.dot == DotIs::Root && path[0] == "Values")
            }
            [Operand::Dot] => self.dot == DotIs::Values,
            [Operand::Var(name, path)] => {
                self.values_vars.contains(name)
                    || (name.is_empty() && path.first().is_some_and(|p| p == "Values"))
            }
            _ => false,
        }
    }

    fn pipeline(&mut self, pipe: &Pipeline, line: usize, range: bool) -> Result<(), String> {
        if pipe.decl.len() > 1 && !range {
            return Err("too many declarations".into());
        }
        for cmd in &pipe.cmds {
            for op in cmd {
                self.operand(op, line)?;
            }
        }
        let aliases = self.yields_values(pipe) && !range;
        for name in &pipe.decl {
            if pipe.assign && !self.vars.contains(name) {
                return Err(format!("undefined variable \"${name}\""));
            }
            if !pipe.assign {
                self.vars.push(name.clone());
            }
            if aliases {
                self.values_vars.insert(name.clone());
            } else {
                self.values_vars.remove(name);
            }
        }
        Ok(())
    }

    fn open(&mut self, block: Opening, new_dot: DotIs, vars_len: usize) {
        self.stack.push(Frame {
            block,
            vars_len,
            outer_dot: self.dot,
            saved_vars: None,
        });
        self.dot = new_dot;
    }

    fn action(&mut self, toks: &[Tok], line: usize) -> Result<(), String> {
        let keyword = match toks.first() {
            Some(Tok::Ident(word)) if KEYWORDS.contains(&word.as_str()) => word.as_str(),
            _ => return self.pipeline(&Parser::parse(toks)?, line, false),
        };
        match keyword {
            "if" | "with" | "range" => {
                if toks.len() == 1 {
                    return Err(format!("missing value for {keyword}"));
                }
                let pipe = Parser::parse(&toks[1..])?;
                let vars_len = self.vars.len();
                self.pipeline(&pipe, line, keyword == "range")?;
                let (block, dot) = match keyword {
                    "if" => (Opening::If, self.dot),
                    _ if self.yields_values(&pipe) => (
                        if keyword == "with" {
                            Opening::With
                        } else {
                            Opening::Range
                        },
                        DotIs::Values,
                    ),
                    "with" => (Opening::With, DotIs::Other),
                    _ => (Opening::Range, DotIs::Other),
                };
                self.open(block, dot, vars_len);
                Ok(())
            }
            "else" => {
                let frame = self.stack.last().ok_or("unexpected {{else}}")?;
                if !matches!(frame.block, Opening::If | Opening::With | Opening::Range) {
                    return Err("unexpected {{else}}".into());
                }
                self.dot = frame.outer_dot;
                match toks.get(1) {
                    None => Ok(()),
                    Some(Tok::Ident(word)) if word == "if" && toks.len() > 2 => {
                        self.pipeline(&Parser::parse(&toks[2..])?, line, false)
                    }
                    // `else with` needs Go 1.23; istiod builds and the oracle's Go may differ
                    Some(other) => Err(format!(
                        "unexpected {other:?} after else (only `else` and `else if`)"
                    )),
                }
            }
            "end" => {
                if toks.len() > 1 {
                    return Err("unexpected tokens after end".into());
                }
                let frame = self.stack.pop().ok_or("unexpected {{end}}")?;
                match frame.saved_vars {
                    Some(saved) => self.vars = saved,
                    None => self.vars.truncate(frame.vars_len),
                }
                let vars = &self.vars;
                self.values_vars.retain(|v| vars.contains(v));
                self.dot = frame.outer_dot;
                Ok(())
            }
            "define" => {
                let [_, Tok::Str(name)] = toks else {
                    return Err("define takes one quoted template name".into());
                };
                if !self.stack.is_empty() {
                    return Err("define inside a control structure".into());
                }
                if !self.usage.defines.insert(name.clone()) {
                    return Err(format!("template {name:?} defined twice"));
                }
                // The body sees only `$`; `.` is the caller's, and every call passes the data.
                let saved = std::mem::replace(&mut self.vars, vec![String::new()]);
                self.open(Opening::Define, DotIs::Root, 1);
                self.stack.last_mut().expect("frame just pushed").saved_vars = Some(saved);
                Ok(())
            }
            "template" | "block" => {
                let Some(Tok::Str(name)) = toks.get(1) else {
                    return Err(format!("{keyword} needs a quoted template name"));
                };
                self.usage.calls.entry(name.clone()).or_insert(line);
                let passes_data = matches!(&toks[2..], [Tok::Dot]) && self.dot == DotIs::Root;
                if !passes_data {
                    return Err(format!(
                        "{keyword} {name:?} must be given `.` while `.` is the template data: the \
                         define bodies read the data's fields"
                    ));
                }
                if keyword == "block" {
                    if !self.stack.is_empty() {
                        return Err("block inside a control structure".into());
                    }
                    self.usage.defines.insert(name.clone());
                    let saved = std::mem::replace(&mut self.vars, vec![String::new()]);
                    self.open(Opening::Block, DotIs::Root, 1);
                    self.stack.last_mut().expect("frame just pushed").saved_vars = Some(saved);
                }
                Ok(())
            }
            "break" | "continue" => {
                if toks.len() > 1 {
                    return Err(format!("unexpected tokens after {keyword}"));
                }
                let in_range = self
                    .stack
                    .iter()
                    .rev()
                    .take_while(|f| !matches!(f.block, Opening::Define | Opening::Block))
                    .any(|f| f.block == Opening::Range);
                if in_range {
                    Ok(())
                } else {
                    Err(format!("{{{{{keyword}}}}} outside {{{{range}}}}"))
                }
            }
            _ => unreachable!("every keyword is handled"),
        }
    }
}

/// Lexes, parses and walks a template: the Go parser's checks plus the data-flow rules above.
fn analyze(src: &str) -> Result<Usage, String> {
    let actions = lex(src)?;
    let mut analyzer = Analyzer {
        usage: Usage::default(),
        vars: vec![String::new()],
        values_vars: BTreeSet::new(),
        stack: Vec::new(),
        dot: DotIs::Root,
    };
    for action in &actions {
        if action.toks.is_empty() {
            return Err(format!("line {}: missing value for command", action.line));
        }
        analyzer
            .action(&action.toks, action.line)
            .map_err(|e| format!("line {}: {e}", action.line))?;
    }
    if let Some(frame) = analyzer.stack.last() {
        return Err(format!(
            "unexpected EOF: {:?} not closed with {{{{end}}}}",
            frame.block
        ));
    }
    let usage = analyzer.usage;
    for (name, line) in &usage.calls {
        if !usage.defines.contains(name) {
            return Err(format!("line {line}: no such template {name:?}"));
        }
    }
    Ok(usage)
}

/// The function whitelist.
fn allowed_function(name: &str) -> bool {
    GO_BUILTINS.contains(&name)
        || ISTIOD_FUNCTIONS.contains(&name)
        || SPRIG_FUNCTIONS.contains(&name)
}

fn lookup<'v>(values: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(values, |v, key| v.get(key))
}

/// Why `path` is not a `.Values` path meshgen's `values` provide, if it is not.
fn values_problem(values: &Value, path: &str) -> Option<String> {
    if lookup(values, path).is_some() {
        return None;
    }
    let parent = path.rsplit_once('.').map(|(p, _)| p);
    let parent_is_object = |p: &str| lookup(values, p).is_some_and(Value::is_object);
    if OPTIONAL_VALUES.contains(&path) {
        return match parent {
            Some(p) if !parent_is_object(p) => {
                Some(format!("optional, but its parent `{p}` is not an object"))
            }
            _ => None,
        };
    }
    if FREE_FORM_VALUES
        .iter()
        .any(|map| parent == Some(map) && parent_is_object(map))
    {
        return None;
    }
    let mut known = String::new();
    for key in path.split('.') {
        let next = if known.is_empty() {
            key.to_string()
        } else {
            format!("{known}.{key}")
        };
        if lookup(values, &next).is_none() {
            break;
        }
        known = next;
    }
    Some(format!(
        "not in the values (deepest existing prefix: `{}`)",
        if known.is_empty() { "." } else { &known }
    ))
}

fn default_values() -> Value {
    values(&IstioKnobs::default())
}

fn ambient_values() -> Value {
    values(&IstioKnobs {
        ambient: true,
        ..Default::default()
    })
}

fn usage_of(template: &Template) -> Usage {
    analyze(template.text).unwrap_or_else(|e| panic!("{}.gotmpl: {e}", template.name))
}

// ---------------------------------------------------------------------------------------------
// The checks on the real templates
// ---------------------------------------------------------------------------------------------

#[test]
fn every_action_parses_and_blocks_balance() {
    for template in &TEMPLATES {
        let usage = usage_of(template);
        assert!(
            !usage.values.is_empty(),
            "{}: reads no .Values at all?",
            template.name
        );
    }
}

#[test]
fn only_istiod_functions_are_called() {
    let mut problems = Vec::new();
    for template in &TEMPLATES {
        for (function, line) in usage_of(template).functions {
            if !allowed_function(&function) {
                problems.push(format!(
                    "{}.gotmpl:{line}: `{function}` is not in istiod's function set",
                    template.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn only_fields_of_istiods_template_data_are_read() {
    let mut problems = Vec::new();
    for template in &TEMPLATES {
        let fields = match template.data {
            Data::Pod => POD_DATA_FIELDS,
            Data::Gateway => GATEWAY_DATA_FIELDS,
        };
        for (field, line) in usage_of(template).root_fields {
            if !fields.contains(&field.as_str()) {
                problems.push(format!(
                    "{}.gotmpl:{line}: `.{field}` is not a field of the {:?} template data",
                    template.name, template.data
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_values_path_exists_in_meshgens_values() {
    let variants = [("sidecar", default_values()), ("ambient", ambient_values())];
    let mut problems = Vec::new();
    let mut optional_used = BTreeSet::new();
    for template in &TEMPLATES {
        for (path, line) in usage_of(template).values {
            if OPTIONAL_VALUES.contains(&path.as_str()) {
                optional_used.insert(path.clone());
            }
            for (variant, values) in &variants {
                if template.ambient_only && *variant != "ambient" {
                    continue;
                }
                if let Some(why) = values_problem(values, &path) {
                    problems.push(format!(
                        "{}.gotmpl:{line}: .Values.{path} ({variant} values): {why}",
                        template.name
                    ));
                }
            }
        }
    }
    for path in OPTIONAL_VALUES {
        if !optional_used.contains(*path) {
            problems.push(format!(
                "OPTIONAL_VALUES lists `{path}`, which no template reads any more"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn templates_cover_what_the_facts_list() {
    let mut problems = Vec::new();
    for template in &TEMPLATES {
        let facts = facts(template.name);
        let text = template.text;
        let usage = usage_of(template);
        for env in facts.env {
            if !text.contains(&format!("- name: {env}\n")) {
                problems.push(format!("{}: sets no env var {env}", template.name));
            }
        }
        for name in facts.names {
            // `name: x` in YAML, or `}}x{{` inside a conditional name
            let found = text.contains(&format!("name: {name}\n"))
                || text.contains(&format!("}}}}{name}{{{{"));
            if !found {
                problems.push(format!(
                    "{}: no container or volume named {name}",
                    template.name
                ));
            }
        }
        for port in facts.ports {
            if !text.contains(&format!("containerPort: {port}\n")) {
                problems.push(format!("{}: no container port {port}", template.name));
            }
        }
        for annotation in facts.annotations {
            if !text.contains(&format!("\"{annotation}\"")) {
                problems.push(format!(
                    "{}: does not honour annotation {annotation}",
                    template.name
                ));
            }
        }
        for path in facts.values {
            let read = usage
                .values
                .keys()
                .any(|p| p == path || p.starts_with(&format!("{path}.")));
            if !read {
                problems.push(format!("{}: does not read .Values.{path}", template.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn templates_embed_cleanly_as_yaml_block_text() {
    for template in &TEMPLATES {
        let text = template.text;
        assert!(
            text.ends_with('\n') && !text.ends_with("\n\n"),
            "{}: must end with exactly one newline",
            template.name
        );
        for (n, line) in text.lines().enumerate() {
            assert!(
                !line.contains('\t'),
                "{}.gotmpl:{}: tab",
                template.name,
                n + 1
            );
            assert_eq!(
                line,
                line.trim_end(),
                "{}.gotmpl:{}: trailing white space",
                template.name,
                n + 1
            );
        }
    }
}

#[test]
fn sidecar_keeps_its_behaviour_contract() {
    let t = SIDECAR;
    // native sidecars: istiod's decision, overridable per pod; the proxy then restarts always
    assert!(t.contains(".NativeSidecars") && t.contains("\"sidecar.istio.io/nativeSidecar\""));
    assert!(t.contains("restartPolicy: Always"));
    // capture: istio-init unless istio-cni, then istio-validation
    assert!(t.contains(
        "{{ if .Values.pilot.cni.enabled }}istio-validation{{ else }}istio-init{{ end }}"
    ));
    // readiness on the Envoy health port, Prometheus port name
    assert!(t.contains(
        "readinessProbe:\n      httpGet:\n        path: /healthz/ready\n        port: 15021\n"
    ));
    assert!(t.contains("- name: http-envoy-prom\n      containerPort: 15090\n"));
    // CA address: istiod[-rev].<ns>.svc:15012
    assert!(t.contains("\"istiod-%s.%s.svc:15012\"") && t.contains("\"istiod.%s.svc:15012\""));
}

#[test]
fn kube_gateway_lets_the_proxy_bind_listener_ports() {
    for (name, text) in [("kube-gateway", KUBE_GATEWAY)] {
        assert!(
            text.contains("- name: net.ipv4.ip_unprivileged_port_start\n          value: \"0\"\n"),
            "{name}: the pod sysctl lets the non-root proxy listen on ports below 1024"
        );
        for label in [
            "gateway.networking.k8s.io/gateway-name",
            "gateway.networking.k8s.io/gateway-class-name",
            "gateway.istio.io/managed",
        ] {
            assert!(
                text.contains(&format!("\"{label}\": ")),
                "{name}: objects carry the label {label}"
            );
        }
        for kind in [
            "kind: ServiceAccount\n",
            "kind: Deployment\n",
            "kind: Service\n",
        ] {
            assert!(text.contains(kind), "{name}: yields {kind}");
        }
    }
}

#[test]
fn whitelists_stay_sorted_and_disjoint() {
    for list in [
        GO_BUILTINS,
        SPRIG_FUNCTIONS,
        POD_DATA_FIELDS,
        GATEWAY_DATA_FIELDS,
        OPTIONAL_VALUES,
    ] {
        assert!(
            list.windows(2).all(|w| w[0] < w[1]),
            "keep {list:?} sorted and free of duplicates"
        );
    }
    for f in SPRIG_FUNCTIONS {
        assert!(
            !GO_BUILTINS.contains(f) && !ISTIOD_FUNCTIONS.contains(f),
            "{f} is listed twice"
        );
    }
}

/// `cargo test --test injection_templates -- --nocapture print_values_paths` lists what each
/// template reads (for reviews and the facts file).
#[test]
fn print_values_paths() {
    for template in &TEMPLATES {
        let usage = usage_of(template);
        println!(
            "{}: {}",
            template.name,
            usage
                .values
                .keys()
                .map(|p| format!(".Values.{p}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The checks reject what they should
// ---------------------------------------------------------------------------------------------

fn rejects(src: &str, needle: &str) {
    match analyze(src) {
        Ok(_) => panic!("accepted a broken template: {src:?}"),
        Err(e) => assert!(
            e.contains(needle),
            "{src:?}: expected an error about {needle:?}, got {e:?}"
        ),
    }
}

#[test]
fn lexer_and_parser_reject_broken_actions() {
    rejects("a {{ .A ", "unclosed action");
    rejects("a {{ .A }", "unexpected '}'");
    rejects("{{ .A }} }} b", "outside an action");
    rejects("{{ \"open }}", "unterminated quoted string");
    rejects("{{ `raw }}", "unterminated raw quoted string");
    rejects("{{ printf \"%s\" (index .A 0 }}", "unclosed left paren");
    rejects("{{ printf \"%s\" index .A 0) }}", "unexpected right paren");
    rejects("{{ }}", "missing value for command");
    rejects("{{ .A | }}", "missing value for command");
    rejects("{{ .A | \"lit\" }}", "non executable command");
    rejects("{{ 0x1G }}", "bad number syntax");
    rejects("{{ .A ! }}", "unexpected '!'");
    rejects(
        "{{/* comment */ .A }}",
        "comment ends before closing delimiter",
    );
    rejects("{{/* never closed }}", "unclosed comment");
    rejects("{{ .A {{ .B }}", "inside an action");
}

#[test]
fn structure_checks_reject_broken_templates() {
    rejects("{{ if .A }}x", "not closed");
    rejects("{{ end }}", "unexpected {{end}}");
    rejects("{{ else }}", "unexpected {{else}}");
    rejects(
        "{{ define \"x\" }}{{ end }}{{ define \"x\" }}{{ end }}",
        "defined twice",
    );
    rejects(
        "{{ if .A }}{{ define \"x\" }}{{ end }}{{ end }}",
        "define inside",
    );
    rejects("{{ template \"nope\" . }}", "no such template");
    rejects(
        "{{ define \"x\" }}{{ end }}{{ template \"x\" }}",
        "must be given `.`",
    );
    rejects("{{ break }}", "outside {{range}}");
    rejects("{{ $x }}", "undefined variable \"$x\"");
    rejects("{{ $x = 1 }}", "undefined variable \"$x\"");
    rejects(
        "{{ if .A }}{{ $x := 1 }}{{ end }}{{ $x }}",
        "undefined variable \"$x\"",
    );
    rejects(
        "{{ $x := 1 }}{{ define \"d\" }}{{ $x }}{{ end }}",
        "undefined variable \"$x\"",
    );
    rejects("{{ $a, $b := .A }}", "too many declarations");
    rejects("{{ with .A }}{{ else with .B }}{{ end }}", "after else");
}

#[test]
fn data_checks_reject_unchecked_values_reads() {
    rejects(
        "{{ with .Values.global.proxy }}{{ .image }}{{ end }}",
        "through dot",
    );
    rejects(
        "{{ range .Values.global.list }}{{ .name }}{{ end }}",
        "through dot",
    );
    rejects(
        "{{ $p := .Values.global.proxy }}{{ $p.image }}",
        "through a variable",
    );
    rejects("{{ toYaml .Values }}", "used whole");
}

#[test]
fn checks_accept_what_go_accepts() {
    let ok = [
        "{{- /* a comment with }} inside */ -}}",
        "{{/* tight */}}",
        "{{- .A -}} {{ .B }}",
        "{{ printf \"%s-%d\" (index .A `k}}`) -3 | quote }}",
        "{{ (index .Spec.Addresses 0).Value }}",
        "{{ range $i, $v := .A }}{{ if $i }}{{ break }}{{ end }}{{ $v.x }}{{ end }}",
        "{{ $x := 1 }}{{ if .A }}{{ $x = 2 }}{{ else if .B }}{{ $x = 3 }}{{ else }}{{ $x }}{{ end }}",
        "{{ define \"d\" }}{{ .Values.global.hub }}{{ end }}{{ template \"d\" . }}",
        "{{ with .Values.global.imagePullSecrets }}{{ range . }}{{ . }}{{ end }}{{ end }}",
        "{{ $.Values.global.hub }}{{ 1.5e+3 }}{{ 0x1F }}{{ 'c' }}{{ nil | default 1 }}",
        "{{ toYaml .A\n   | trim\n   | nindent 4 }}",
    ];
    for src in ok {
        if let Err(e) = analyze(src) {
            panic!("rejected a valid template {src:?}: {e}");
        }
    }
    let usage = analyze("{{ $.Values.global.hub }}{{ define \"d\" }}{{ .Values.a.b }}{{ end }}")
        .expect("valid");
    assert_eq!(
        usage.values.keys().collect::<Vec<_>>(),
        ["a.b", "global.hub"]
    );
}

#[test]
fn function_and_values_checks_can_fail() {
    let usage = analyze("{{ fromYaml .A | toPrettyJson }}").expect("parses");
    let unknown: Vec<_> = usage
        .functions
        .keys()
        .filter(|f| !allowed_function(f))
        .collect();
    assert_eq!(unknown, ["fromYaml", "toPrettyJson"]);
    let values = default_values();
    assert!(values_problem(&values, "global.proxy.statusPort").is_none());
    assert!(
        values_problem(&values, "global.proxy.stautsPort").is_some(),
        "a typo is caught"
    );
    assert!(
        values_problem(&values, "pilot.env.ANY_FLAG").is_none(),
        "pilot.env is free-form"
    );
    assert!(values_problem(&values, "nope.capNetBindService").is_some());
}
