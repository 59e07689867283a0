//! Istio as upstream makes it: revisions, revision tags, the canary upgrade, and the knobs.
//!
//! - the canary upgrade of `docs/canary-upgrade.md`: every step's profile change and the
//!   `meshgen diff` it produces are what the step fixtures (`tests/fixtures/canary/step-N.yaml`)
//!   give, so the document cannot drift (`MESHGEN_UPDATE_DOCS=1 cargo test --test it istio`
//!   rewrites the blocks);
//! - several control planes from one profile: what exists once, per revision and per tag;
//! - the knob fixtures against upstream's own renders where semdiff cannot say it (pilot-env's
//!   env list; ci/knobs-test.sh scores the rest).

use std::fs;

use meshgen::compare::{Manifests, diff_objects};
use meshgen::profile::ProfileSource;
use serde_json::Value;

use crate::golden::render;
use crate::harness::{fixtures, repo};
use crate::upstream;

fn objects(text: &str) -> Vec<Value> {
    meshgen::core::yaml::parse_manifests(text).unwrap()
}

fn named<'a>(objects: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

fn render_fixture(path: &str) -> Vec<Value> {
    objects(&render(&ProfileSource::Path(fixtures().join(path))))
}

// ---------------------------------------------------------------------------- the canary doc

const DOC: &str = "docs/canary-upgrade.md";
const STEPS: usize = 6;

/// The profile change of step `n` (a unified diff of the step fixtures, headers dropped).
fn profile_change(n: usize) -> String {
    let read = |n: usize| fs::read_to_string(fixtures().join(format!("canary/step-{n}.yaml")));
    let (old, new) = (read(n - 1).unwrap(), read(n).unwrap());
    // The leading comment says what the step is for; the change is in the spec.
    let spec = |text: &str| text[text.find("spec:").unwrap()..].to_owned();
    let (old, new) = (spec(&old), spec(&new));
    let diff = similar::TextDiff::from_lines(&old, &new);
    let mut out = String::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        for change in hunk.iter_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            out.push(sign);
            out.push_str(change.value());
        }
        out.push_str("...\n");
    }
    out
}

/// What `meshgen diff` prints between the renders of step `n - 1` and step `n`.
fn render_diff(n: usize) -> String {
    let manifests = |n: usize| {
        let text = render(&ProfileSource::Path(
            fixtures().join(format!("canary/step-{n}.yaml")),
        ));
        let mut set = Manifests::default();
        set.add_stream(&format!("step-{n}.yaml"), &text).unwrap();
        set
    };
    diff_objects(&manifests(n - 1), &manifests(n))
        .unwrap()
        .report()
}

/// `text` with the fenced block after each `<!-- NAME -->` marker replaced by `blocks[NAME]`,
/// and the names of the markers found.
fn fill_blocks(text: &str, blocks: &[(String, String)]) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!-- ") {
        let end = start + rest[start..].find(" -->").unwrap() + 4;
        let name = &rest[start + 5..end - 4];
        out.push_str(&rest[..end]);
        rest = &rest[end..];
        if let Some((_, body)) = blocks.iter().find(|(n, _)| n == name) {
            found.push(name.to_owned());
            // the fenced block right after the marker
            let open = rest.find("```").unwrap();
            let body_start = open + rest[open..].find('\n').unwrap() + 1;
            let close = body_start + rest[body_start..].find("```").unwrap();
            out.push_str(&rest[..body_start]);
            out.push_str(body);
            rest = &rest[close..];
        }
    }
    out.push_str(rest);
    (out, found)
}

#[test]
fn the_canary_upgrade_doc_shows_what_meshgen_renders() {
    let mut blocks = Vec::new();
    for n in 1..STEPS {
        blocks.push((format!("profile change step-{n}"), profile_change(n)));
        blocks.push((format!("meshgen diff step-{n}"), render_diff(n)));
    }
    let path = repo().join(DOC);
    let text = fs::read_to_string(&path).unwrap();
    let (filled, found) = fill_blocks(&text, &blocks);
    if std::env::var_os("MESHGEN_UPDATE_DOCS").is_some() {
        fs::write(&path, &filled).unwrap();
    }
    let names: Vec<&String> = blocks.iter().map(|(n, _)| n).collect();
    assert_eq!(
        found.iter().collect::<Vec<_>>(),
        names,
        "{DOC} needs one block per step and kind, in order"
    );
    assert!(
        filled == text,
        "{DOC} is stale; regenerate with MESHGEN_UPDATE_DOCS=1 cargo test --test it istio, review, commit"
    );
}

#[test]
fn canary_steps_move_namespaces_by_tag_and_the_default_last() {
    // Step 2 changes one Namespace label and nothing else; step 3 retargets the tag without
    // touching the control planes' Deployments; step 5 removes only the old revision's objects.
    assert_eq!(
        render_diff(2),
        "~ Namespace/shop\n    metadata.labels[\"istio.io/rev\"]: \"stable\" -> \"canary\"\n1 changed, 0 added, 0 removed\n"
    );
    let three = render_diff(3);
    assert!(!three.contains("Deployment"), "{three}");
    assert!(three.contains("MutatingWebhookConfiguration/istio-revision-tag-stable"));
    let five = render_diff(5);
    assert!(five.ends_with("1 changed, 0 added, 19 removed\n"), "{five}");
    assert!(
        five.lines()
            .filter(|l| l.starts_with("- "))
            .all(|l| l.contains("1-30-3-") || l.ends_with("1-30-3") || l.contains("canary")),
        "{five}"
    );
}

// ---------------------------------------------------------------------------- control planes

#[test]
fn two_revisions_render_once_per_revision_and_per_tag() {
    let set = render_fixture("profiles/knob-two-revisions.yaml");
    // no unnamed control plane: nothing answers at istiod.istio-system.svc
    assert!(named(&set, "Service", "istiod").is_none());
    assert!(named(&set, "Deployment", "istiod").is_none());
    for revision in ["1-30-3", "canary"] {
        let deployment = named(&set, "Deployment", &format!("istiod-{revision}")).unwrap();
        let labels = &deployment["spec"]["template"]["metadata"]["labels"];
        // upstream: a named revision's pods are `istio: istiod`, so the unnamed revision's
        // Service and PDB (`app: istiod, istio: pilot`) never select them
        assert_eq!(labels["istio"], "istiod");
        assert_eq!(labels["istio.io/rev"], revision);
    }
    // the default validator goes to the default revision
    let validator = named(
        &set,
        "ValidatingWebhookConfiguration",
        "istiod-default-validator",
    )
    .unwrap();
    assert_eq!(validator["metadata"]["labels"]["istio.io/rev"], "1-30-3");
    assert_eq!(
        validator["webhooks"][0]["clientConfig"]["service"]["name"],
        "istiod-1-30-3"
    );
    // one webhook configuration and Service per tag, rendered with its revision; the default
    // revision also carries the `default` tag with the legacy webhooks
    for (tag, revision, webhooks) in [
        ("stable", "1-30-3", 2),
        ("canary", "canary", 2),
        ("default", "1-30-3", 4),
    ] {
        let mwc = named(
            &set,
            "MutatingWebhookConfiguration",
            &format!("istio-revision-tag-{tag}"),
        )
        .unwrap_or_else(|| panic!("tag {tag}"));
        assert_eq!(mwc["metadata"]["labels"]["istio.io/tag"], tag);
        assert_eq!(mwc["metadata"]["labels"]["istio.io/rev"], revision);
        let hooks = mwc["webhooks"].as_array().unwrap();
        assert_eq!(hooks.len(), webhooks, "{tag}");
        for hook in hooks {
            assert_eq!(
                hook["clientConfig"]["service"]["name"],
                format!("istiod-{revision}").as_str()
            );
        }
        let service = named(&set, "Service", &format!("istiod-revision-tag-{tag}")).unwrap();
        assert_eq!(service["spec"]["selector"]["istio.io/rev"], revision);
    }
    // namespaces and Gateways select the tag, not the revision
    for namespace in ["knative-serving", "knative-eventing"] {
        let labels = &named(&set, "Namespace", namespace).unwrap()["metadata"]["labels"];
        assert_eq!(labels["istio.io/rev"], "stable");
        assert!(labels.get("istio-injection").is_none());
    }
    let gateway = named(&set, "Gateway", "knative-gateway").unwrap();
    assert_eq!(gateway["metadata"]["labels"]["istio.io/rev"], "stable");
}

#[test]
fn ambient_node_agents_follow_the_data_plane_revision() {
    let set = render_fixture("profiles/knob-ambient-revision-tags.yaml");
    let ztunnel = named(&set, "DaemonSet", "ztunnel").unwrap();
    assert_eq!(ztunnel["metadata"]["annotations"]["istio.io/rev"], "1-30-3");
    let env = ztunnel["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    for name in ["CA_ADDRESS", "XDS_ADDRESS"] {
        let entry = env.iter().find(|e| e["name"] == name).unwrap();
        assert_eq!(entry["value"], "istiod-1-30-3.istio-system.svc:15012");
    }
    let cni = named(&set, "DaemonSet", "istio-cni-node").unwrap();
    assert_eq!(cni["metadata"]["labels"]["istio.io/rev"], "1-30-3");
    // ambient namespaces carry the data-plane label only, never a tag
    let labels = &named(&set, "Namespace", "knative-serving").unwrap()["metadata"]["labels"];
    assert!(labels.get("istio.io/rev").is_none(), "{labels}");
}

#[test]
fn sidecars_with_istio_cni_render_the_cni_charts_own_defaults() {
    let set = render_fixture("profiles/knob-sidecar-cni.yaml");
    assert!(named(&set, "ClusterRole", "istio-cni-ambient").is_none());
    let cni = named(&set, "DaemonSet", "istio-cni-node").unwrap();
    let container = &cni["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "docker.io/istio/install-cni:1.30.3");
    let config = named(&set, "ConfigMap", "istio-cni-config").unwrap();
    assert_eq!(config["data"]["AMBIENT_ENABLED"], "false");
    assert!(named(&set, "DaemonSet", "ztunnel").is_none());
}

#[test]
fn tracing_renders_the_telemetry_with_its_provider() {
    let set = render_fixture("profiles/knob-tracing.yaml");
    let telemetry = named(&set, "Telemetry", "mesh-default").unwrap();
    assert_eq!(
        telemetry["spec"]["tracing"][0]["providers"][0]["name"],
        "otel"
    );
    assert_eq!(
        telemetry["spec"]["tracing"][0]["randomSamplingPercentage"],
        10.0
    );
}

// ---------------------------------------------------------------------------- against upstream

/// istiod's env under pilot-env equals upstream's with the chart's shadowing fixed: upstream
/// renders the user's `PILOT_TRACE_SAMPLING: "10"` and then the chart's own `"1"` (istiod runs
/// with 1); meshgen refuses the name in `pilot.env` and the fixture's `traceSampling: 10`
/// renders one entry, at the chart's place, with the value the user meant.
#[test]
fn pilot_env_matches_upstream_without_the_shadowed_entry() {
    let Some(reference) = upstream::objects("upstream/istio-1.30.3/knobs/pilot-env/render.yaml")
    else {
        return;
    };
    let env_of = |objects: &[Value]| -> Vec<(String, Value)> {
        let deployment = named(objects, "Deployment", "istiod").unwrap();
        deployment["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let mut rest = e.clone();
                rest.as_object_mut().unwrap().shift_remove("name");
                (e["name"].as_str().unwrap().to_owned(), rest)
            })
            .collect()
    };
    let mut expected = env_of(&reference);
    let first = expected
        .iter()
        .position(|(n, _)| n == "PILOT_TRACE_SAMPLING")
        .unwrap();
    expected.remove(first);
    let chart = expected
        .iter_mut()
        .find(|(n, _)| n == "PILOT_TRACE_SAMPLING")
        .unwrap();
    chart.1["value"] = "10".into();
    let mine = env_of(&render_fixture("profiles/knob-pilot-env.yaml"));
    assert_eq!(mine, expected);
}
