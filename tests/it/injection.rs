//! istiod's injection templates (`src/templates/istiod/injection/*.gotmpl`) are Go templates that
//! istiod, not meshgen, executes, for every injected pod and every provisioned gateway. CI
//! executes them with istiod's own template engine (`ci/injection-test.py`, and the
//! `inject-oracle` over the sample pods and gateways): that is where syntax, block structure
//! and the fields of istiod's template data are checked. What stays here is meshgen's
//! *contract* with the templates, checked statically with a small token scanner:
//!
//! 1. the `istio-sidecar-injector` ConfigMap of the sidecar and ambient renders ships the
//!    template files verbatim (`waypoint` only in ambient);
//! 2. every function a template calls is in istiod's function set (Go's builtins, istiod's own
//!    functions, and the sprig functions these templates use: explicit lists below);
//! 3. every `.Values.x.y` path a template reads exists in the values the same render gives
//!    istiod (the ConfigMap's `values`), save an explicit list of optional paths the upstream
//!    chart leaves unset too;
//! 4. every environment variable, container or volume name, port, annotation and values path
//!    the facts file (`shared/facts/injection-templates.md`) lists for a template is covered;
//! 5. the text embeds cleanly in YAML, and a few behaviours meshgen relies on are there.

use std::collections::{BTreeMap, BTreeSet};

use meshgen::profile::ProfileSource;
use serde_json::Value;

use crate::golden::render;
use crate::harness::repo;
use crate::upstream;

/// Functions Go's `text/template` predefines.
const GO_BUILTINS: &[&str] = &[
    "and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne", "not", "or",
    "print", "printf", "println", "slice", "urlquery",
];

/// istiod 1.30.3's own template functions these templates call (pkg/kube/inject/template.go):
/// the union of the facts file's lists, plus `otelResourceAttributes` (registered by istiod
/// 1.30.3 and modelled by the inject-oracle; one call site, in `sidecar`).
const ISTIOD_FUNCTIONS: &[&str] = &[
    "annotation",
    "appendMultusNetwork",
    "contains",
    "directory",
    "excludeInboundPort",
    "isset",
    "otelResourceAttributes",
    "protoToJSON",
    "structToJSON",
    "toJsonMap",
    "toLower",
    "toYaml",
    "valueOrDefault",
];

/// The sprig functions (istiod registers `sprig.TxtFuncMap()` under its own) these templates
/// use. Each one is a deliberate choice; add to it only after checking that sprig v3 provides
/// the function and istiod does not shadow it with different semantics (istiod's `indent`, for
/// one, leaves the first line alone, unlike sprig's: use `nindent`).
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

/// Words of the template language that are not functions.
const KEYWORDS: &[&str] = &[
    "block", "break", "continue", "define", "else", "end", "false", "if", "nil", "range",
    "template", "true", "with",
];

/// `.Values` paths the templates may read although meshgen's values (like the upstream chart's
/// defaults) do not set them: unset means "off" or "the default", and every read is guarded.
/// The parent of each must exist.
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

fn allowed_function(name: &str) -> bool {
    GO_BUILTINS.contains(&name)
        || ISTIOD_FUNCTIONS.contains(&name)
        || SPRIG_FUNCTIONS.contains(&name)
}

// ---------------------------------------------------------------------------------------------
// The scanner
// ---------------------------------------------------------------------------------------------

/// What a template uses: functions called and `.Values` paths read, each with the first line
/// it appears on.
#[derive(Debug, Default)]
struct Usage {
    functions: BTreeMap<String, usize>,
    values: BTreeMap<String, usize>,
}

/// Scans the `{{ ... }}` actions of a template (comments and quoted text skipped) for bare
/// identifiers (functions, or keywords) and field chains on `.Values` / `$.Values`.
fn scan(template: &str) -> Usage {
    let bytes = template.as_bytes();
    let mut usage = Usage::default();
    let mut i = 0;
    let line_at = |at: usize| template[..at].matches('\n').count() + 1;
    while let Some(start) = template[i..].find("{{").map(|p| p + i) {
        let mut j = start + 2;
        if bytes.get(j) == Some(&b'-') {
            j += 1;
        }
        while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if template[j..].starts_with("/*") {
            let end = template[j..].find("*/").expect("a closed comment") + j + 2;
            i = template[end..].find("}}").expect("a closed action") + end + 2;
            continue;
        }
        while j < bytes.len() && !template[j..].starts_with("}}") {
            let c = bytes[j];
            if c == b'"' || c == b'\'' || c == b'`' {
                // Quoted text: skip to the closing quote (raw strings have no escapes).
                j += 1;
                while j < bytes.len() && bytes[j] != c {
                    j += if c != b'`' && bytes[j] == b'\\' { 2 } else { 1 };
                }
                j += 1;
            } else if c == b'$' || c == b'.' {
                // A variable or a field chain: `$x.a`, `.a.b`, `$.Values.a`.
                let chain_start = j;
                j += 1;
                while j < bytes.len()
                    && (bytes[j].is_ascii_alphanumeric() || b"_.".contains(&bytes[j]))
                {
                    j += 1;
                }
                let chain = &template[chain_start..j];
                let chain = chain.strip_prefix('$').unwrap_or(chain);
                if let Some(path) = chain.strip_prefix(".Values.") {
                    usage
                        .values
                        .entry(path.trim_end_matches('.').to_owned())
                        .or_insert(line_at(chain_start));
                }
            } else if c.is_ascii_digit() {
                // A number: 3, -1, 0x1F, 1.5e+3.
                j += 1;
                while j < bytes.len()
                    && (bytes[j].is_ascii_alphanumeric()
                        || bytes[j] == b'.'
                        || bytes[j] == b'_'
                        || (b"+-".contains(&bytes[j]) && b"eEpP".contains(&bytes[j - 1])))
                {
                    j += 1;
                }
            } else if c.is_ascii_alphabetic() || c == b'_' {
                let word_start = j;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                let word = &template[word_start..j];
                if !KEYWORDS.contains(&word) {
                    usage
                        .functions
                        .entry(word.to_owned())
                        .or_insert(line_at(word_start));
                }
            } else {
                j += 1;
            }
        }
        i = j.min(bytes.len());
    }
    usage
}

// ---------------------------------------------------------------------------------------------
// The templates as meshgen ships them
// ---------------------------------------------------------------------------------------------

struct Shipped {
    /// `sidecar` (the default render) or `ambient`.
    variant: &'static str,
    templates: BTreeMap<String, String>,
    values: Value,
}

/// The injector ConfigMap's templates and values, from the default and ambient renders.
fn shipped() -> Vec<Shipped> {
    [("sidecar", "default"), ("ambient", "ambient")]
        .into_iter()
        .map(|(variant, profile)| {
            let stream = render(&ProfileSource::Builtin(profile.to_owned()));
            let objects = meshgen::core::yaml::parse_manifests(&stream).unwrap();
            let injector = objects
                .iter()
                .find(|o| {
                    o["kind"] == "ConfigMap" && o["metadata"]["name"] == "istio-sidecar-injector"
                })
                .expect("the injector ConfigMap");
            let values: Value =
                serde_json::from_str(injector["data"]["values"].as_str().unwrap()).unwrap();
            let (config, _) =
                meshgen::core::yaml::parse_document(injector["data"]["config"].as_str().unwrap())
                    .unwrap()
                    .unwrap();
            let templates = config["templates"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(name, text)| (name.clone(), text.as_str().unwrap().to_owned()))
                .collect();
            Shipped {
                variant,
                templates,
                values,
            }
        })
        .collect()
}

fn source(name: &str) -> String {
    std::fs::read_to_string(repo().join(format!("src/templates/istiod/injection/{name}.gotmpl")))
        .unwrap_or_else(|error| panic!("{name}.gotmpl: {error}"))
}

const TEMPLATES: [&str; 4] = ["gateway", "kube-gateway", "sidecar", "waypoint"];

#[test]
fn the_injector_ships_the_template_files_verbatim() {
    for shipped in shipped() {
        let names: Vec<&str> = shipped.templates.keys().map(String::as_str).collect();
        let expected: &[&str] = match shipped.variant {
            "ambient" => &TEMPLATES,
            _ => &["gateway", "kube-gateway", "sidecar"],
        };
        assert_eq!(names, expected, "{}", shipped.variant);
        for (name, text) in &shipped.templates {
            assert!(
                *text == source(name),
                "{}: {name} is not {name}.gotmpl",
                shipped.variant
            );
        }
    }
}

#[test]
fn only_istiod_functions_are_called() {
    let mut problems = Vec::new();
    for name in TEMPLATES {
        for (function, line) in scan(&source(name)).functions {
            if !allowed_function(&function) {
                problems.push(format!(
                    "{name}.gotmpl:{line}: `{function}` is not in istiod's function set"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn lookup<'v>(values: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(values, |v, key| v.get(key))
}

/// Why `path` is not a `.Values` path the values provide, if it is not.
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
    Some("not in the values".to_owned())
}

#[test]
fn every_values_path_exists_in_the_rendered_values() {
    let mut problems = Vec::new();
    let mut optional_used = BTreeSet::new();
    for shipped in shipped() {
        for (name, text) in &shipped.templates {
            for (path, line) in scan(text).values {
                if OPTIONAL_VALUES.contains(&path.as_str()) {
                    optional_used.insert(path.clone());
                }
                if let Some(why) = values_problem(&shipped.values, &path) {
                    problems.push(format!(
                        "{name}.gotmpl:{line}: .Values.{path} ({} values): {why}",
                        shipped.variant
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

/// The facts file's lists for one template: `- LABEL: `a`, `b`` lines under `## `NAME``.
fn facts(text: &str, template: &str) -> BTreeMap<String, Vec<String>> {
    let heading = format!("## `{template}`");
    let section = text
        .split("\n## ")
        .find(|s| format!("## {s}").starts_with(&heading))
        .unwrap_or_else(|| panic!("the facts have no section {heading}"));
    let mut lists = BTreeMap::new();
    for line in section.lines() {
        let Some((label, items)) = line.strip_prefix("- ").and_then(|l| l.split_once(": ")) else {
            continue;
        };
        let items = items
            .split(", ")
            .map(|item| {
                item.trim()
                    .trim_matches('`')
                    .trim_start_matches(".Values.")
                    .to_owned()
            })
            .collect();
        lists.insert(label.to_owned(), items);
    }
    lists
}

#[test]
fn templates_cover_what_the_facts_list() {
    let Some(shared) = upstream::shared() else {
        return;
    };
    let text = std::fs::read_to_string(shared.join("facts/injection-templates.md"))
        .expect("the facts file");
    let mut problems = Vec::new();
    for name in ["sidecar", "kube-gateway", "waypoint"] {
        let template = source(name);
        let usage = scan(&template);
        let facts = facts(&text, name);
        let list = |label: &str| -> &[String] {
            facts
                .get(label)
                .unwrap_or_else(|| panic!("{name}: the facts have no `{label}`"))
        };
        for env in list("environment variables set on `istio-proxy`") {
            if !template.contains(&format!("- name: {env}\n")) {
                problems.push(format!("{name}: sets no env var {env}"));
            }
        }
        for item in list("container and volume names used") {
            // `net` is the first segment of the sysctl `net.ipv4.ip_unprivileged_port_start`
            // (see `kube_gateway_lets_the_proxy_bind_listener_ports`).
            let found = item == "net"
                || template.contains(&format!("name: {item}\n"))
                || template.contains(&format!("}}}}{item}{{{{"));
            if !found {
                problems.push(format!("{name}: no container or volume named {item}"));
            }
        }
        for port in list("container ports") {
            if !template.contains(&format!("containerPort: {port}\n")) {
                problems.push(format!("{name}: no container port {port}"));
            }
        }
        for annotation in list("pod annotations it honours") {
            if !template.contains(&format!("\"{annotation}\"")) {
                problems.push(format!("{name}: does not honour annotation {annotation}"));
            }
        }
        for path in list("values it reads") {
            let read = usage
                .values
                .keys()
                .any(|p| p == path || p.starts_with(&format!("{path}.")));
            if !read {
                problems.push(format!("{name}: does not read .Values.{path}"));
            }
        }
        for function in list("template functions it calls (istiod provides these)") {
            if !allowed_function(function) {
                problems.push(format!(
                    "{name}: the facts list `{function}`, missing from the function lists here"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn templates_embed_cleanly_as_yaml_block_text() {
    for name in TEMPLATES {
        let text = source(name);
        assert!(
            text.ends_with('\n') && !text.ends_with("\n\n"),
            "{name}: must end with exactly one newline"
        );
        for (n, line) in text.lines().enumerate() {
            assert!(!line.contains('\t'), "{name}.gotmpl:{}: tab", n + 1);
            assert_eq!(
                line,
                line.trim_end(),
                "{name}.gotmpl:{}: trailing white space",
                n + 1
            );
        }
    }
}

#[test]
fn sidecar_keeps_its_behaviour_contract() {
    let t = source("sidecar");
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
    // Envoy's memory-backed scratch volume
    assert!(t.contains("- name: istio-envoy\n"));
    // CA address: istiod[-rev].<ns>.svc:15012
    assert!(t.contains("\"istiod-%s.%s.svc:15012\"") && t.contains("\"istiod.%s.svc:15012\""));
}

#[test]
fn kube_gateway_lets_the_proxy_bind_listener_ports() {
    let text = source("kube-gateway");
    assert!(
        text.contains("- name: net.ipv4.ip_unprivileged_port_start\n          value: \"0\"\n"),
        "the pod sysctl lets the non-root proxy listen on ports below 1024"
    );
    for label in [
        "gateway.networking.k8s.io/gateway-name",
        "gateway.networking.k8s.io/gateway-class-name",
        "gateway.istio.io/managed",
    ] {
        assert!(
            text.contains(&format!("\"{label}\": ")),
            "objects carry the label {label}"
        );
    }
    for kind in [
        "kind: ServiceAccount\n",
        "kind: Deployment\n",
        "kind: Service\n",
    ] {
        assert!(text.contains(kind), "yields {kind}");
    }
}

#[test]
fn function_lists_stay_sorted_and_disjoint() {
    for list in [
        GO_BUILTINS,
        ISTIOD_FUNCTIONS,
        SPRIG_FUNCTIONS,
        KEYWORDS,
        OPTIONAL_VALUES,
    ] {
        assert!(
            list.windows(2).all(|w| w[0] < w[1]),
            "keep {list:?} sorted and free of duplicates"
        );
    }
    for f in SPRIG_FUNCTIONS.iter().chain(ISTIOD_FUNCTIONS) {
        assert!(
            !GO_BUILTINS.contains(f) && !KEYWORDS.contains(f),
            "{f} is listed twice"
        );
    }
    for f in SPRIG_FUNCTIONS {
        assert!(!ISTIOD_FUNCTIONS.contains(f), "{f} is listed twice");
    }
}

/// The scanner finds what the checks need, and the checks can fail.
#[test]
fn the_scanner_and_the_checks_work() {
    let usage = scan(concat!(
        "name: {{ .Values.global.hub }}\n",
        "{{- /* a comment with }} and .Values.not.read and fromYaml inside */ -}}\n",
        "{{ printf \"%s-%d .Values.in.a.string\" (index .Spec.Addresses 0).Value -3 | quote }}\n",
        "{{ range $i, $v := .A }}{{ if $i }}{{ break }}{{ end }}{{ $v.x }}{{ end }}\n",
        "{{ with $.Values.global.proxy.image }}{{ . }}{{ end }} {{ 1.5e+3 }} {{ 0x1F }} {{ 'c' }}\n",
        "{{ toYaml .A\n   | trim\n   | nindent 4 }} {{ `raw }} toPrettyJson` | fromYaml }}\n",
    ));
    assert_eq!(
        usage.values.keys().collect::<Vec<_>>(),
        ["global.hub", "global.proxy.image"]
    );
    assert_eq!(usage.values["global.proxy.image"], 5);
    assert_eq!(
        usage.functions.keys().collect::<Vec<_>>(),
        [
            "fromYaml", "index", "nindent", "printf", "quote", "toYaml", "trim"
        ]
    );
    let unknown: Vec<&String> = usage
        .functions
        .keys()
        .filter(|f| !allowed_function(f))
        .collect();
    assert_eq!(unknown, ["fromYaml"]);

    let values = &shipped()[0].values;
    assert!(values_problem(values, "global.proxy.statusPort").is_none());
    assert!(
        values_problem(values, "global.proxy.stautsPort").is_some(),
        "a typo is caught"
    );
    assert!(
        values_problem(values, "pilot.env.ANY_FLAG").is_none(),
        "pilot.env is free-form"
    );
    assert!(values_problem(values, "nope.capNetBindService").is_some());

    let facts = facts(
        "# x\n\n## `sidecar`\n\n- container ports: 15090\n- values it reads: `.Values.a.b`, `.Values.c`\n\n## `other`\n- container ports: 1\n",
        "sidecar",
    );
    assert_eq!(facts["container ports"], ["15090"]);
    assert_eq!(facts["values it reads"], ["a.b", "c"]);
}
