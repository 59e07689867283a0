//! The grammars of the values a profile hands to Kubernetes, Istio and the container runtime:
//! image references (registry and tag), DNS-1123 labels and subdomains, DNS-1035 labels
//! (Service names), SPIFFE trust domains, Kubernetes quantities, label keys and values, and
//! the paths placed in Istio's mesh config. A value is checked here, where it enters, against
//! the grammar of the place it lands in, so a value that would break the output (a newline and
//! YAML in a `hub`, a quote in a CPU limit) is refused with the profile's position instead of
//! failing later inside a template — or, worse, rendering.
//!
//! Each `check_*` function answers `Err(why)` in the profile author's terms; [`check`] runs them
//! over a profile and reports through the same callback the cross-field rules use.

use super::types::{LabelSelectorRequirement, MeshProfile, SelectorOperator};
use crate::core::diagnostic::shown;
use crate::core::pointer::{escape, human as dotted};

/// Longest image name (`registry/path/name`) the container runtimes accept
/// (distribution/reference `NameTotalLengthMax`).
const IMAGE_NAME_MAX: usize = 255;
/// Longest image tag (distribution/reference).
const TAG_MAX: usize = 128;
/// Image names meshgen appends to `hub` (the longest decides the length budget).
const IMAGE_NAMES: &[&str] = &["pilot", "proxyv2", "install-cni", "ztunnel"];
/// Suffix ambient images add to the tag.
const DISTROLESS: &str = "-distroless";
/// Longest SPIFFE trust domain (the SPIFFE ID specification: 255 bytes).
const TRUST_DOMAIN_MAX: usize = 255;
/// Longest quantity meshgen reads: far more digits than any real request or limit, short
/// enough that a value cannot be mistaken for anything but a mistake.
const QUANTITY_MAX: usize = 64;
/// Longest path meshgen places in the mesh config (Linux `PATH_MAX`).
const PATH_MAX: usize = 4096;

/// A callback that reports a problem at a JSON Pointer of the profile: the message, then what
/// to do.
pub type Report<'a> = dyn FnMut(&str, String, &str) + 'a;

/// Checks every grammar-bound value of `profile`.
pub fn check(profile: &MeshProfile, report: &mut Report<'_>) {
    let istio = &profile.spec.istio;
    let ambient = profile.spec.dataplane.mode == super::DataplaneMode::Ambient;

    if let Err(why) = check_registry(&istio.hub) {
        report(
            "/spec/istio/hub",
            format!("`{}` is not an image registry: {why}", shown(&istio.hub)),
            "write a registry and optional path, such as `docker.io/istio` or `registry.example.com:5000/mirror/istio`; meshgen appends `/pilot:<tag>`",
        );
    }
    if let Some(tag) = &istio.tag {
        // Ambient images are `<tag>-distroless`: the suffixed tag must fit too.
        let longest = if ambient {
            format!("{tag}{DISTROLESS}")
        } else {
            tag.clone()
        };
        if let Err(why) = check_tag(tag).and_then(|()| check_tag(&longest)) {
            report(
                "/spec/istio/tag",
                format!("`{}` is not an image tag: {why}", shown(tag)),
                "a tag is letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`), such as `1.30.3`",
            );
        }
    }
    if let Err(why) = check_trust_domain(&istio.trust_domain) {
        report(
            "/spec/istio/trustDomain",
            format!(
                "`{}` is not a SPIFFE trust domain: {why}",
                shown(&istio.trust_domain)
            ),
            "a trust domain is lowercase letters, digits, `.`, `-` and `_` (at most 255), such as `cluster.local`",
        );
    }
    if let Some(revision) = &istio.revision {
        // istiod's Service is `istiod-<revision>`, a DNS-1035 label.
        let service = format!("istiod-{revision}");
        if is_dns_label(revision) && service.len() > 63 {
            report(
                "/spec/istio/revision",
                format!(
                    "the revision makes istiod's Service name `{}` longer than 63 characters",
                    shown(&service)
                ),
                "use a revision of at most 56 characters, such as `1-30-3`",
            );
        }
    }

    let resources = &istio.pilot.resources;
    for (section, quantities) in [
        ("requests", &resources.requests),
        ("limits", &resources.limits),
    ] {
        for (name, value) in [("cpu", &quantities.cpu), ("memory", &quantities.memory)] {
            let Some(value) = value else { continue };
            if let Err(why) = check_quantity(value) {
                report(
                    &format!("/spec/istio/pilot/resources/{section}/{name}"),
                    format!("`{}` is not a Kubernetes quantity: {why}", shown(value)),
                    "write a non-negative number with an optional suffix, such as `500m`, `2`, `2048Mi` or `1.5Gi`",
                );
            }
        }
    }

    let mesh = &istio.mesh_config;
    if let Some(file) = &mesh.access_log_file
        && let Err(why) = check_path(file)
    {
        report(
            "/spec/istio/meshConfig/accessLogFile",
            format!("`{}` is not a file path: {why}", shown(file)),
            "write the path Envoy writes its access log to, such as `/dev/stdout`",
        );
    }
    for (index, selector) in mesh.discovery_selectors.iter().enumerate() {
        let at = format!("/spec/istio/meshConfig/discoverySelectors/{index}");
        for (key, value) in &selector.match_labels {
            let pointer = format!("{at}/matchLabels/{}", escape(key));
            if let Err(why) = check_label_key(key) {
                report(
                    &pointer,
                    format!("`{}` is not a label key: {why}", shown(key)),
                    LABEL_KEY_HELP,
                );
            } else if let Err(why) = check_label_value(value) {
                report(
                    &pointer,
                    format!("`{}` is not a label value: {why}", shown(value)),
                    LABEL_VALUE_HELP,
                );
            }
        }
        for (position, requirement) in selector.match_expressions.iter().enumerate() {
            check_requirement(
                &format!("{at}/matchExpressions/{position}"),
                requirement,
                report,
            );
        }
    }

    let gateway = &profile.spec.gateway;
    for (pointer, name) in [
        ("/spec/gateway/external/name", &gateway.external.name),
        ("/spec/gateway/local/name", &gateway.local.name),
    ] {
        // istiod names the gateway's Service `<gateway>-<class>`: a DNS-1035 label, which
        // starts with a letter (the length is a cross-field rule of its own).
        if is_dns_label(name) && !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            report(
                pointer,
                format!(
                    "`{}` starts with a digit, but istiod names the gateway's Service `{}-{}`, which must start with a letter",
                    shown(name),
                    shown(name),
                    shown(&gateway.class_name)
                ),
                "start the gateway name with a lowercase letter",
            );
        }
    }
}

const LABEL_KEY_HELP: &str = "a label key is an optional DNS subdomain prefix and `/`, then a name of at most 63 letters, digits, `-`, `_` and `.` that starts and ends with a letter or digit, such as `istio-discovery` or `example.com/team`";
const LABEL_VALUE_HELP: &str = "a label value is empty or at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit";

fn check_requirement(at: &str, requirement: &LabelSelectorRequirement, report: &mut Report<'_>) {
    if let Err(why) = check_label_key(&requirement.key) {
        report(
            &format!("{at}/key"),
            format!("`{}` is not a label key: {why}", shown(&requirement.key)),
            LABEL_KEY_HELP,
        );
    }
    for (index, value) in requirement.values.iter().enumerate() {
        if let Err(why) = check_label_value(value) {
            report(
                &format!("{at}/values/{index}"),
                format!("`{}` is not a label value: {why}", shown(value)),
                LABEL_VALUE_HELP,
            );
        }
    }
    // Kubernetes' own rules for a requirement (apimachinery `ValidateLabelSelectorRequirement`).
    let set_operator = matches!(
        requirement.operator,
        SelectorOperator::In | SelectorOperator::NotIn
    );
    if set_operator && requirement.values.is_empty() {
        report(
            &format!("{at}/operator"),
            format!(
                "{} needs `values` with the operator {:?}",
                dotted(at),
                requirement.operator
            ),
            "list the label values to match, or use `Exists` / `DoesNotExist`",
        );
    } else if !set_operator && !requirement.values.is_empty() {
        report(
            &format!("{at}/values"),
            format!(
                "{} must not have `values` with the operator {:?}",
                dotted(at),
                requirement.operator
            ),
            "remove `values`, or use `In` / `NotIn`",
        );
    }
}

/// DNS-1123 label: what Kubernetes accepts as a namespace or most names.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// DNS-1123 subdomain: what Kubernetes accepts as most object names.
pub fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

/// A description of the first character of `text` that breaks a grammar allowing `allowed`
/// (for messages).
fn first_bad(text: &str, allowed: impl Fn(char) -> bool) -> Option<String> {
    text.chars().find(|c| !allowed(*c)).map(describe)
}

fn describe(c: char) -> String {
    match c {
        '\n' | '\r' => "it contains a line break".to_owned(),
        '\t' => "it contains a tab".to_owned(),
        ' ' => "it contains a space".to_owned(),
        c if c.is_control() => format!("it contains the control character {}", c.escape_default()),
        c => format!("`{c}` is not allowed"),
    }
}

/// The `hub`: an image name without its last component, as distribution/reference defines
/// names — an optional registry host (`docker.io`, `localhost:5000`, `[::1]:5000`) and path
/// components of lowercase letters and digits joined by `.`, `_`, `__` or dashes.
pub fn check_registry(hub: &str) -> Result<(), String> {
    if hub.is_empty() {
        return Err("it is empty".to_owned());
    }
    if let Some(why) = first_bad(hub, |c| c.is_ascii_graphic()) {
        return Err(why);
    }
    let longest = IMAGE_NAMES.iter().map(|name| name.len()).max().unwrap_or(0);
    if hub.len() + 1 + longest > IMAGE_NAME_MAX {
        return Err(format!(
            "an image name is at most {IMAGE_NAME_MAX} characters, and `{}/install-cni` would be longer",
            shown(hub)
        ));
    }
    let mut components = hub.split('/');
    let first = components.next().unwrap_or_default();
    // distribution/reference: the first component is a registry when it has a `.` or a `:`,
    // or is `localhost`; otherwise it is already part of the repository path.
    let is_domain = first.contains(['.', ':']) || first == "localhost";
    if is_domain {
        check_domain(first)?;
    } else {
        check_path_component(first)?;
    }
    for component in components {
        check_path_component(component)?;
    }
    Ok(())
}

/// `host[:port]`: DNS name components (letters, digits, inner dashes; any case) or a
/// bracketed IPv6 address.
fn check_domain(domain: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let Some((address, after)) = rest.split_once(']') else {
            return Err("an IPv6 registry address needs a closing `]`".to_owned());
        };
        if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return Err(format!("`[{}]` is not an IPv6 address", shown(address)));
        }
        match after {
            "" => (None, None),
            port => match port.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return Err("only `:port` may follow an IPv6 registry address".to_owned()),
            },
        }
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(domain), None),
        }
    };
    if let Some(host) = host {
        for part in host.split('.') {
            let valid = !part.is_empty()
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-');
            if !valid {
                return Err(format!(
                    "`{}` is not a registry host name (letters, digits and inner `-`, joined by `.`)",
                    shown(host)
                ));
            }
        }
    }
    if let Some(port) = port
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || port.len() > 5)
    {
        return Err(format!("`{}` is not a port number", shown(port)));
    }
    Ok(())
}

/// A repository path component: `[a-z0-9]+` joined by `.`, `_`, `__` or one or more `-`.
fn check_path_component(component: &str) -> Result<(), String> {
    if component.is_empty() {
        return Err("it has an empty path component (`//`, or a `/` at an end)".to_owned());
    }
    if let Some(why) = first_bad(component, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
    }) {
        return Err(format!(
            "{why} in the repository path `{}` (lowercase letters, digits, `.`, `_` and `-` only)",
            shown(component)
        ));
    }
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return Err(format!(
            "the repository path component `{}` must start and end with a letter or digit",
            shown(component)
        ));
    }
    // Separators between alphanumeric runs: `.`, `_`, `__`, or any number of `-`.
    for run in component.split(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        let valid = run.is_empty()
            || run == "."
            || run == "_"
            || run == "__"
            || run.bytes().all(|b| b == b'-');
        if !valid {
            return Err(format!(
                "`{run}` cannot separate the parts of the repository path component `{}`",
                shown(component)
            ));
        }
    }
    Ok(())
}

/// An image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn check_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() {
        return Err("it is empty".to_owned());
    }
    if let Some(why) = first_bad(tag, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
    }) {
        return Err(why);
    }
    if tag.starts_with(['.', '-']) {
        return Err("it starts with `.` or `-`".to_owned());
    }
    if tag.len() > TAG_MAX {
        return Err(format!("it is longer than {TAG_MAX} characters"));
    }
    Ok(())
}

/// A SPIFFE trust domain: `[a-z0-9._-]`, at most 255 bytes.
pub fn check_trust_domain(domain: &str) -> Result<(), String> {
    if domain.is_empty() {
        return Err("it is empty".to_owned());
    }
    if let Some(why) = first_bad(domain, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')
    }) {
        return Err(why);
    }
    if domain.len() > TRUST_DOMAIN_MAX {
        return Err(format!("it is longer than {TRUST_DOMAIN_MAX} characters"));
    }
    Ok(())
}

/// A Kubernetes quantity (apimachinery `resource.Quantity`) that a resource request or limit
/// accepts: an unsigned decimal number (`2`, `0.5`, `.5`, `5.`) and one suffix — binary SI
/// (`Ki` … `Ei`), decimal SI (`m`, `k`, `M`, `G`, `T`, `P`, `E`) or a decimal exponent (`e3`,
/// `E-2`). A sign is part of the grammar, but requests and limits must not be negative.
pub fn check_quantity(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("it is empty".to_owned());
    }
    if let Some(why) = first_bad(text, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-')
    }) {
        return Err(why);
    }
    if text.len() > QUANTITY_MAX {
        return Err(format!("it is longer than {QUANTITY_MAX} characters"));
    }
    let unsigned = match text.as_bytes()[0] {
        b'-' => {
            // `-0` is zero, which a request may be.
            let rest = &text[1..];
            if number_end(rest)
                .is_some_and(|end| rest[..end].bytes().all(|b| matches!(b, b'0' | b'.')))
            {
                rest
            } else {
                return Err("a resource quantity must not be negative".to_owned());
            }
        }
        b'+' => &text[1..],
        _ => text,
    };
    let Some(end) = number_end(unsigned) else {
        return Err("it does not start with a number".to_owned());
    };
    let suffix = &unsigned[end..];
    match suffix {
        "" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            Ok(())
        }
        _ => {
            if let Some(exponent) = suffix.strip_prefix(['e', 'E']) {
                let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Ok(());
                }
            }
            Err(format!(
                "`{}` is not a quantity suffix (binary `Ki` `Mi` `Gi` `Ti` `Pi` `Ei`, decimal `m` `k` `M` `G` `T` `P` `E`, or an exponent like `e3`)",
                shown(suffix)
            ))
        }
    }
}

/// Where the number at the start of `text` ends: `digits`, `digits.`, `digits.digits` or
/// `.digits`; `None` when there is no number.
fn number_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let whole = digits(0);
    let mut end = whole;
    if bytes.get(end) == Some(&b'.') {
        let fraction = digits(end + 1);
        if whole == 0 && fraction == 0 {
            return None;
        }
        end += 1 + fraction;
    } else if whole == 0 {
        return None;
    }
    Some(end)
}

/// A path placed in the mesh config: text on one line, without control characters.
pub fn check_path(path: &str) -> Result<(), String> {
    if let Some(why) = first_bad(path, |c| !c.is_control()) {
        return Err(why);
    }
    if path.len() > PATH_MAX {
        return Err(format!("it is longer than {PATH_MAX} bytes"));
    }
    Ok(())
}

/// A label key: `[prefix/]name`, the prefix a DNS-1123 subdomain, the name at most 63
/// characters of `[A-Za-z0-9._-]` starting and ending with a letter or digit.
pub fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix
        && !is_dns_subdomain(prefix)
    {
        return Err(format!(
            "the prefix `{}` is not a DNS subdomain",
            shown(prefix)
        ));
    }
    if name.is_empty() {
        return Err("the name part is empty".to_owned());
    }
    check_label_value(name)
}

/// A label value: empty, or at most 63 characters of `[A-Za-z0-9._-]` starting and ending
/// with a letter or digit.
pub fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    if let Some(why) = first_bad(value, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
    }) {
        return Err(why);
    }
    if value.len() > 63 {
        return Err("it is longer than 63 characters".to_owned());
    }
    let ends_alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !ends_alnum(value.chars().next()) || !ends_alnum(value.chars().last()) {
        return Err("it must start and end with a letter or digit".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries() {
        for good in [
            "docker.io/istio",
            "gcr.io/istio-release",
            "localhost:5000/istio",
            "registry.example.com:443/a/b__c/d-e",
            "istio",
            "Registry.Example.COM/istio",
            "[::1]:5000/istio",
            "my.registry",
        ] {
            assert_eq!(check_registry(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "docker.io/istio\"\n  injected: x",
            "docker.io/Istio",
            "docker.io//istio",
            "docker.io/istio/",
            "docker.io:port/istio",
            "-docker.io/istio",
            "docker.io/-istio",
            "docker.io/a..b",
            "docker.io/a___b",
            "docker io/istio",
            "[zz]:5000/istio",
        ] {
            assert!(check_registry(bad).is_err(), "{bad:?}");
        }
        assert!(check_registry(&format!("docker.io/{}", "a".repeat(250))).is_err());
        assert_eq!(
            check_registry("docker.io/istio\nx: y").unwrap_err(),
            "it contains a line break"
        );
    }

    #[test]
    fn tags() {
        for good in ["1.30.3", "1.30.3-distroless", "latest", "_x", "A.b-C_d"] {
            assert_eq!(check_tag(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "1.30.3\nfoo: bar",
            ".x",
            "-x",
            "a:b",
            "a@sha256",
            &"a".repeat(129),
        ] {
            assert!(check_tag(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn trust_domains() {
        assert_eq!(check_trust_domain("cluster.local"), Ok(()));
        assert_eq!(check_trust_domain("my_td-1.example"), Ok(()));
        for bad in [
            "",
            "Cluster.local",
            "cluster.local\ninjected: true",
            "a/b",
            "a:1",
        ] {
            assert!(check_trust_domain(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quantities_follow_kubernetes() {
        for good in [
            "500m",
            "2",
            "2048Mi",
            "1.5Gi",
            ".5",
            "5.",
            "0",
            "-0",
            "+1",
            "1e3",
            "1E-2",
            "1Ki",
            "18446744073709551616",
        ] {
            assert_eq!(check_quantity(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "18446744073709551616\"2\"",
            "-1",
            "-500m",
            "1.2.3",
            "m",
            ".",
            "1mi",
            "1KiB",
            "1e",
            "1 Gi",
            "1\nx",
            "1e3Mi",
            &"9".repeat(65),
        ] {
            assert!(check_quantity(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn labels() {
        for good in ["istio-discovery", "example.com/team", "a", "A_b.c"] {
            assert_eq!(check_label_key(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "/x",
            "Example.com/x",
            "a/",
            "-a",
            "a b",
            &"a".repeat(64),
        ] {
            assert!(check_label_key(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_label_value(""), Ok(()));
        assert!(check_label_value("a\nb").is_err());
    }

    #[test]
    fn dns_names() {
        assert!(is_dns_label("knative-serving"));
        assert!(!is_dns_label("Knative"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(is_dns_subdomain("istio.io"));
        assert!(!is_dns_subdomain("a..b"));
    }

    #[test]
    fn paths() {
        assert_eq!(check_path("/dev/stdout"), Ok(()));
        assert!(check_path("/dev/stdout\ninjected: true").is_err());
    }
}
