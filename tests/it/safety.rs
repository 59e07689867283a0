//! Issue #10, "safe to apply": one Argo CD sync converges on an empty cluster, nothing meshgen
//! shares is ever pruned, and every mTLS mode keeps Knative working.
//!
//! The invariants hold for every committed golden render (built-ins, fixture profiles, overlay
//! examples), computed from the objects alone — each is also shown to catch the render it was
//! written against (the render before the fix, rebuilt by undoing it):
//!
//! (a) every custom resource's CRD is in the set, or MG0021 says which bundle to pin;
//! (b) every object a sync wave waits for can become Healthy from the render alone: what needs
//!     metrics, a load balancer or a certificate sits in the last wave, and each wave comes
//!     after what it needs (CRDs, istiod, the GatewayClass, `config-network`);
//! (c) nothing shared can be pruned: Namespaces, CRDs and Knative's ConfigMaps carry
//!     `Prune=false,Delete=false`, and what meshgen owns alone does not.
//!
//! Beside them, one test per item of the issue that the golden renders alone do not show.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use meshgen::lint::{LintOptions, Report, lint};
use serde_json::Value;

use crate::harness::{Test, fixtures, golden_renders, repo};

const WAVE: &str = "argocd.argoproj.io/sync-wave";
const OPTIONS: &str = "argocd.argoproj.io/sync-options";
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

fn parse(render: &str) -> Vec<Value> {
    meshgen::core::yaml::parse_manifests(render).expect("a golden render parses")
}

fn group(object: &Value) -> &str {
    let api = object["apiVersion"].as_str().unwrap_or_default();
    api.rsplit_once('/').map_or("", |(group, _)| group)
}

fn kind(object: &Value) -> &str {
    object["kind"].as_str().unwrap_or_default()
}

fn name(object: &Value) -> String {
    let metadata = &object["metadata"];
    format!(
        "{} {}/{}",
        kind(object),
        metadata["namespace"].as_str().unwrap_or_default(),
        metadata["name"].as_str().unwrap_or_default()
    )
}

fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object["metadata"]["annotations"][key].as_str()
}

fn wave(object: &Value) -> i32 {
    annotation(object, WAVE).map_or(0, |wave| wave.parse().unwrap())
}

fn options(object: &Value) -> BTreeSet<&str> {
    annotation(object, OPTIONS)
        .map(|options| options.split(',').collect())
        .unwrap_or_default()
}

/// Kubernetes' own API groups (no CRD needed), as far as meshgen's renders use them.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "autoscaling",
    "policy",
    "rbac.authorization.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
];

/// (a): CRs whose CRD is not in the set, as `Kind.group`; each must be named by MG0021.
fn unpinned(objects: &[Value]) -> BTreeSet<String> {
    let crds: BTreeSet<(String, String)> = objects
        .iter()
        .filter(|o| kind(o) == "CustomResourceDefinition")
        .map(|crd| {
            (
                crd["spec"]["group"].as_str().unwrap().to_owned(),
                crd["spec"]["names"]["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    objects
        .iter()
        .filter(|o| !BUILTIN_GROUPS.contains(&group(o)))
        .filter(|o| !crds.contains(&(group(o).to_owned(), kind(o).to_owned())))
        .map(|o| format!("{}.{}", kind(o), group(o)))
        .collect()
}

/// (b): why an object's health needs something outside the render, if it does.
fn needs_outside(object: &Value, objects: &[Value]) -> Option<&'static str> {
    match (group(object), kind(object)) {
        ("autoscaling", "HorizontalPodAutoscaler") => Some("metrics"),
        ("", "Service") if object["spec"]["type"] == "LoadBalancer" => Some("a load balancer"),
        ("networking.k8s.io", "Ingress") => Some("an ingress controller"),
        ("gateway.networking.k8s.io", "Gateway") => {
            let service_type =
                annotation(object, "networking.istio.io/service-type").unwrap_or("LoadBalancer");
            if service_type == "LoadBalancer" {
                return Some("a load balancer");
            }
            let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default();
            let secrets: BTreeSet<(&str, &str)> = objects
                .iter()
                .filter(|o| kind(o) == "Secret")
                .map(|o| {
                    (
                        o["metadata"]["namespace"].as_str().unwrap_or_default(),
                        o["metadata"]["name"].as_str().unwrap_or_default(),
                    )
                })
                .collect();
            let missing_secret = object["spec"]["listeners"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|l| l["tls"]["certificateRefs"].as_array().into_iter().flatten())
                .any(|r| {
                    let ns = r["namespace"].as_str().unwrap_or(namespace);
                    !secrets.contains(&(ns, r["name"].as_str().unwrap_or_default()))
                });
            missing_secret.then_some("a certificate Secret")
        }
        _ => None,
    }
}

/// Which objects an ordering rule is about.
type Select = dyn Fn(&Value) -> bool;

/// Waves of the objects matching `select`.
fn waves(objects: &[Value], select: impl Fn(&Value) -> bool) -> Vec<i32> {
    objects.iter().filter(|o| select(o)).map(wave).collect()
}

/// (b) as a list of problems.
fn wave_problems(objects: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let last = objects.iter().map(wave).max().unwrap_or(0);
    for object in objects {
        if let Some(what) = needs_outside(object, objects)
            && wave(object) != last
        {
            problems.push(format!(
                "{} needs {what} and sits in wave {}, before the last wave {last}",
                name(object),
                wave(object)
            ));
        }
    }
    let istio_cr = |o: &Value| group(o).ends_with(".istio.io");
    let istiod = |o: &Value| {
        kind(o) == "Deployment"
            && o["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("istiod"))
    };
    let member = |o: &Value| {
        kind(o) == "Namespace"
            && o["metadata"]["labels"]
                .as_object()
                .is_some_and(|labels| !labels.is_empty())
    };
    let orders: [(&str, &Select, &Select); 5] = [
        (
            "CRDs before custom resources",
            &|o| kind(o) == "CustomResourceDefinition",
            &|o| !BUILTIN_GROUPS.contains(&group(o)),
        ),
        ("istiod before Istio resources", &istiod, &istio_cr),
        ("istiod before the namespaces it injects", &istiod, &member),
        (
            "the GatewayClass before its Gateways",
            &|o| kind(o) == "GatewayClass",
            &|o| kind(o) == "Gateway",
        ),
        (
            "the policies before the Gateways",
            &|o| kind(o) == "PeerAuthentication" || kind(o) == "AuthorizationPolicy",
            &|o| kind(o) == "Gateway",
        ),
    ];
    for (what, before, after) in orders {
        let (before, after) = (waves(objects, before), waves(objects, after));
        if let (Some(b), Some(a)) = (before.iter().max(), after.iter().min())
            && b >= a
        {
            problems.push(format!("{what}: wave {b} is not before wave {a}"));
        }
    }
    // mesh-compatibility-mode lands no later than the policies that need it.
    let network = waves(objects, |o| o["metadata"]["name"] == "config-network");
    let policies = waves(objects, |o| kind(o) == "AuthorizationPolicy");
    if let (Some(n), Some(p)) = (network.iter().max(), policies.iter().min())
        && n > p
    {
        problems.push(format!(
            "config-network (wave {n}) after the allow policies (wave {p})"
        ));
    }
    problems
}

/// (c) as a list of problems.
fn prune_problems(objects: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    for object in objects {
        let shared = matches!(kind(object), "Namespace" | "CustomResourceDefinition")
            || (kind(object) == "ConfigMap"
                && object["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("config-"))
                && object["metadata"]["namespace"]
                    .as_str()
                    .is_some_and(|n| n.contains("serving") || n.contains("eventing")));
        let protected =
            options(object).contains("Prune=false") && options(object).contains("Delete=false");
        let owned = object["metadata"]["labels"][MANAGED_BY] == "meshgen";
        if shared && !protected {
            problems.push(format!("{} is shared but can be pruned", name(object)));
        }
        if shared && owned {
            problems.push(format!("{} is shared but claimed by meshgen", name(object)));
        }
        if owned
            && (options(object).contains("Prune=false") || options(object).contains("Delete=false"))
        {
            problems.push(format!(
                "{} is meshgen's alone but never pruned",
                name(object)
            ));
        }
    }
    problems
}

/// The analyzers' report on a render, as `meshgen lint --manifests` gives it.
fn report(objects: &[Value]) -> Report {
    lint(objects, &LintOptions::default())
}

fn codes(report: &Report) -> BTreeSet<&'static str> {
    report.findings.iter().map(|f| f.code).collect()
}

#[test]
fn every_golden_render_is_safe_to_apply() {
    let renders = golden_renders();
    assert!(renders.len() >= 19, "{} renders", renders.len());
    for (path, render) in renders {
        let objects = parse(&render);
        let path = path.display();
        let report = report(&objects);

        // (a)
        let unpinned = unpinned(&objects);
        let mg0021: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.code == "MG0021")
            .map(|f| f.message.as_str())
            .collect();
        if unpinned.is_empty() {
            assert!(mg0021.is_empty(), "{path}: {mg0021:?}");
        } else {
            assert_eq!(mg0021.len(), 1, "{path}: MG0021 must warn once: {mg0021:?}");
            for kind in &unpinned {
                assert!(
                    mg0021[0].contains(kind.as_str()),
                    "{path}: {kind}: {mg0021:?}"
                );
            }
        }
        // (b)
        let problems = wave_problems(&objects);
        assert!(problems.is_empty(), "{path}: {problems:#?}");
        // (c)
        let problems = prune_problems(&objects);
        assert!(problems.is_empty(), "{path}: {problems:#?}");
        // The analyzers agree, and no render has an error.
        let found = codes(&report);
        for code in ["MG0016", "MG0020", "MG0012", "MG0013", "MG0017", "MG0018"] {
            assert!(!found.contains(code), "{path}: {code}: {report:#?}");
        }
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.code == "MG0004" || f.severity == meshgen::lint::Severity::Warning),
            "{path}: {report:#?}"
        );
    }
}

/// The render as it was before issue #10 (waves, options, the IMC exception), rebuilt from
/// today's: each invariant must reject it, as must the analyzers.
fn before_the_fix(objects: &[Value]) -> Vec<Value> {
    objects
        .iter()
        .filter(|o| o["metadata"]["name"] != "inmemorychannel-webhook")
        .cloned()
        .map(|mut o| {
            let old_wave = match (kind(&o), group(&o)) {
                ("HorizontalPodAutoscaler", _) => Some("-2"),
                ("Gateway", _) => Some("0"),
                ("ConfigMap", _) if annotation(&o, WAVE) == Some("-1") => Some("0"),
                (_, g) if g.ends_with(".istio.io") => Some("1"),
                _ => None,
            };
            let annotations = o["metadata"]["annotations"].as_object_mut().unwrap();
            if let Some(old) = old_wave {
                annotations.insert(WAVE.into(), old.into());
            }
            if let Some(Value::String(options)) = annotations.get_mut(OPTIONS) {
                *options = options.replace(",Prune=false,Delete=false", "");
            }
            o
        })
        .collect()
}

#[test]
fn the_invariants_and_analyzers_reject_the_render_before_the_fix() {
    let (_, render) = golden_renders()
        .into_iter()
        .find(|(path, _)| path.ends_with("builtin/default.snap"))
        .unwrap();
    let old = before_the_fix(&parse(&render));
    let waves = wave_problems(&old);
    assert!(
        waves.iter().any(|p| p.contains("HorizontalPodAutoscaler"))
            && waves
                .iter()
                .any(|p| p.contains("Gateway istio-system/knative-gateway"))
            && waves
                .iter()
                .any(|p| p.contains("the policies before the Gateways")),
        "{waves:#?}"
    );
    let prune = prune_problems(&old);
    assert!(
        prune
            .iter()
            .any(|p| p.contains("Namespace /knative-serving"))
            && prune.iter().any(|p| p.contains("config-network")),
        "{prune:#?}"
    );
    let found = codes(&report(&old));
    for code in ["MG0013", "MG0016", "MG0020", "MG0021"] {
        assert!(found.contains(code), "{code}: {found:?}");
    }
}

fn render_of(profile: &str) -> Vec<Value> {
    let (_, render) = golden_renders()
        .into_iter()
        .find(|(path, _)| path.ends_with(format!("{profile}.snap")))
        .unwrap_or_else(|| panic!("no golden render {profile}"));
    parse(&render)
}

fn find<'a>(
    objects: &'a [Value],
    kind_name: &str,
    namespace: &str,
    object: &str,
) -> Option<&'a Value> {
    objects.iter().find(|o| {
        kind(o) == kind_name
            && o["metadata"]["namespace"].as_str().unwrap_or_default() == namespace
            && o["metadata"]["name"] == object
    })
}

/// Item 2: PERMISSIVE and DISABLE with app namespaces.
#[test]
fn every_mtls_mode_works_with_app_namespaces() {
    let permissive = render_of("profiles/permissive-apps");
    let network = find(
        &permissive,
        "ConfigMap",
        "knative-serving",
        "config-network",
    )
    .unwrap();
    assert_eq!(network["data"]["mesh-compatibility-mode"], "enabled");
    assert!(
        find(
            &permissive,
            "AuthorizationPolicy",
            "shop",
            "allow-knative-system"
        )
        .is_some()
    );
    let disable = render_of("profiles/disable-apps");
    assert!(
        disable.iter().all(|o| kind(o) != "AuthorizationPolicy"),
        "no identity-based policy under DISABLE"
    );
    assert_eq!(
        find(&disable, "ConfigMap", "knative-serving", "config-network").unwrap()["data"]["mesh-compatibility-mode"],
        "enabled"
    );
    // The migration step renders no allow policy: the plain text of pods without sidecars
    // would be denied.
    let step1 = render_of("profiles/migrate-permissive");
    assert!(step1.iter().all(|o| kind(o) != "AuthorizationPolicy"));
    // Under DISABLE with the allow policy the profile is refused, with the reason.
    Test::new()
        .copy_fixture("errors/disable-allow-policies.yaml", "p.yaml")
        .args(["render", "p.yaml"])
        .status(2)
        .stderr_contains("would deny every request to the app namespaces (shop)")
        .stderr_contains("allowKnativeSystem: false")
        .run();
    // The Argo CD parameter cannot sneak DISABLE past it either.
    Test::new()
        .copy_fixture("profiles/migrate-strict.yaml", "clusters/prod/meshgen.yaml")
        .args(["argocd", "generate"])
        .current_dir("clusters/prod")
        .env_clear()
        .env("ARGOCD_APP_SOURCE_PATH", "clusters/prod")
        .env(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name":"mtls-mode","string":"DISABLE"}]"#,
        )
        .status(2)
        .stderr_contains("would deny every request")
        .stderr_contains("ARGOCD_APP_PARAMETERS")
        .run();
}

/// Item 3: the in-memory channel's webhook exception follows Eventing, in sidecar and ambient.
#[test]
fn the_in_memory_channel_webhook_is_exempt() {
    for (render, namespace) in [
        ("builtin/default", "knative-eventing"),
        ("builtin/ambient", "knative-eventing"),
        ("profiles/eventing-imc", "eventing-system"),
    ] {
        let objects = render_of(render);
        let exception = find(
            &objects,
            "PeerAuthentication",
            namespace,
            "inmemorychannel-webhook",
        )
        .unwrap_or_else(|| panic!("{render}"));
        assert_eq!(
            exception["spec"]["selector"]["matchLabels"],
            serde_json::json!({"messaging.knative.dev/channel": "in-memory-channel", "messaging.knative.dev/role": "controller"})
        );
        assert_eq!(
            exception["spec"]["portLevelMtls"]["8443"]["mode"],
            "PERMISSIVE"
        );
    }
    for render in ["profiles/no-eventing", "builtin/permissive"] {
        assert!(
            render_of(render)
                .iter()
                .all(|o| o["metadata"]["name"] != "inmemorychannel-webhook"),
            "{render}"
        );
    }
}

/// Item 4: a class other than `istio` comes with its GatewayClass; without it MG0018 stops the
/// render's set.
#[test]
fn another_gateway_class_is_rendered() {
    let objects = render_of("profiles/gateway-class");
    let class = find(&objects, "GatewayClass", "", "istio-knative").unwrap();
    assert_eq!(
        class["spec"]["controllerName"],
        "istio.io/gateway-controller"
    );
    let without: Vec<Value> = objects
        .iter()
        .filter(|o| kind(o) != "GatewayClass")
        .cloned()
        .collect();
    let report = report(&without);
    assert!(
        report
            .findings
            .iter()
            .filter(|f| f.code == "MG0018")
            .count()
            == 2,
        "{report:#?}"
    );
    assert!(
        render_of("builtin/default")
            .iter()
            .all(|o| kind(o) != "GatewayClass")
    );
}

/// Item 9: no path-only probe policy anywhere.
#[test]
fn no_render_admits_every_caller_to_the_probe_paths() {
    for (path, render) in golden_renders() {
        assert!(
            !render.contains("allow-knative-probes") && !render.contains("- /healthz"),
            "{}",
            path.display()
        );
    }
}

/// Items 1 and 5: the example Application and ApplicationSet keep pruning what meshgen owns
/// alone, retry, and leave Knative's fields to Knative.
#[test]
fn the_argocd_examples_carry_the_settings() {
    for file in ["argocd/application.yaml", "argocd/applicationset.yaml"] {
        let text = fs::read_to_string(repo().join(file)).unwrap();
        for needed in [
            "prune: true",
            "retry:",
            "limit: 10",
            "ClientSideApplyMigration=false",
            "ServerSideApply=true",
        ] {
            assert!(text.contains(needed), "{file}: {needed}");
        }
        // meshgen's own analyzer agrees.
        Test::new()
            .write(file, &text)
            .args(["lint", "--manifests", file])
            .stdout("No problems found.\n")
            .run();
    }
    let docs = fs::read_to_string(repo().join("docs/usage-gitops.md")).unwrap();
    for needed in [
        "ClientSideApplyMigration=false",
        "Prune=false,Delete=false",
        "resource-customizations.yaml",
    ] {
        assert!(docs.contains(needed), "docs/usage-gitops.md: {needed}");
    }
    let customizations =
        fs::read_to_string(repo().join("argocd/resource-customizations.yaml")).unwrap();
    let patch = parse(&customizations);
    assert_eq!(patch.len(), 1);
    assert_eq!(patch[0]["metadata"]["name"], "argocd-cm");
    assert!(
        patch[0]["data"]["resource.customizations.health.autoscaling_HorizontalPodAutoscaler"]
            .as_str()
            .is_some_and(|lua| lua.contains("FailedGetResourceMetric") && lua.contains("return hs"))
    );
}

/// Item 7: meshgen knows the upstream bundles by digest, says so, and the README's first
/// example — the profile of its "Try it" block, which pins them — renders without MG0021.
/// (`ci/readme-test.sh` runs the whole block as written.)
#[test]
fn the_upstream_crd_bundles_are_known_and_the_readme_example_pins_them() {
    let Some(shared) = crate::upstream::shared() else {
        return;
    };
    let crds = shared.join("upstream/crds");
    for bundle in meshgen::render::crds::KNOWN_BUNDLES {
        let file = crds.join(match bundle.groups[0] {
            "gateway.networking.k8s.io" => "gateway-api-v1.5.1-standard-install.yaml",
            _ => "istio-1.30.3-crd-all.gen.yaml",
        });
        let digest = meshgen::core::digest::sha256_hex(&fs::read(&file).unwrap());
        assert_eq!(digest, bundle.sha256, "{}", bundle.name);
    }
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let first = readme
        .split("cat > meshgen.yaml <<'YAML'\n")
        .nth(1)
        .and_then(|rest| rest.split("\nYAML\n").next())
        .expect("the README's first example profile");
    assert!(first.contains("crds:"), "{first}");
    let mut test = Test::new().write("meshgen.yaml", first);
    for file in [
        "gateway-api-v1.5.1-standard-install.yaml",
        "istio-1.30.3-crd-all.gen.yaml",
    ] {
        test = test.write(format!("crds/{file}"), fs::read(crds.join(file)).unwrap());
    }
    let run = test.args(["render"]).stderr("").run();
    let objects = parse(&run.stdout);
    assert!(unpinned(&objects).is_empty());
    assert!(prune_problems(&objects).is_empty() && wave_problems(&objects).is_empty());
    Test::with_tempdir(run.tempdir)
        .args(["lint"])
        .stdout("No problems found.\n")
        .stderr_contains("is the upstream Gateway API v1.5.1 standard-install.yaml, unmodified")
        .stderr_contains("is the upstream Istio 1.30.3 crd-all.gen.yaml, unmodified")
        .run();
}

/// What `meshgen render` prints on stderr: nothing for a built-in (it cannot pin CRD files;
/// `meshgen lint` shows the acknowledged MG0021), one MG0021 warning for a profile file that
/// could pin them and does not, nothing once it acknowledges it.
#[test]
fn render_warns_about_crds_only_where_the_user_can_pin_them() {
    Test::new().args(["render", "default"]).stderr("").run();
    let extends = "apiVersion: meshgen.dev/v1alpha1\nkind: MeshProfile\nextends: default\n";
    let run = Test::new()
        .write("meshgen.yaml", extends)
        .args(["render"])
        .stderr_contains("warning[MG0021]")
        .stderr_contains("0 errors, 1 warning.")
        .run();
    assert_eq!(run.stderr.matches("warning[").count(), 1, "{}", run.stderr);
    Test::new()
        .write(
            "meshgen.yaml",
            format!("{extends}spec:\n  lint:\n    ignore:\n    - code: MG0021\n      reason: the platform installs the CRDs\n"),
        )
        .args(["render"])
        .stderr("")
        .run();
}

/// The YAML blocks of a Markdown file.
fn yaml_blocks(path: &str) -> Vec<String> {
    let text = fs::read_to_string(repo().join(path)).unwrap();
    text.split("```yaml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_owned())
        .collect()
}

/// Item 8: the migration path in docs/migration.md is the fixture profiles'
/// (`migrate-permissive` then `migrate-strict`, both golden renders), and `meshgen diff`
/// between them shows exactly what the last step turns on.
#[test]
fn the_migration_path_is_tested() {
    let blocks = yaml_blocks("docs/migration.md");
    let strip = |text: &str| -> String {
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (index, fixture) in [(0, "migrate-permissive"), (1, "migrate-strict")] {
        let file = fs::read_to_string(fixtures().join(format!("profiles/{fixture}.yaml"))).unwrap();
        assert_eq!(
            strip(&blocks[index]),
            strip(&file),
            "docs/migration.md YAML block {index} is tests/fixtures/profiles/{fixture}.yaml"
        );
    }
    let before = Test::new()
        .copy_fixture("profiles/migrate-permissive.yaml", "step1.yaml")
        .copy_fixture("profiles/migrate-strict.yaml", "step4.yaml")
        .args(["render", "step1.yaml"])
        .run();
    fs::write(before.path().join("step1.out.yaml"), &before.stdout).unwrap();
    let after = Test::with_tempdir(before.tempdir)
        .args(["render", "step4.yaml"])
        .run();
    fs::write(after.path().join("step4.out.yaml"), &after.stdout).unwrap();
    let diff = Test::with_tempdir(after.tempdir)
        .args(["diff", "step1.out.yaml", "step4.out.yaml"])
        .status(1)
        .run();
    let changed: BTreeMap<char, Vec<&str>> = diff
        .stdout
        .lines()
        .filter(|line| line.starts_with(['+', '-', '~']) && line.contains("security.istio.io"))
        .fold(BTreeMap::new(), |mut map, line| {
            map.entry(line.chars().next().unwrap())
                .or_default()
                .push(line);
            map
        });
    let added = changed.get(&'+').cloned().unwrap_or_default().join("\n");
    for object in [
        "AuthorizationPolicy/shop/allow-knative-system",
        "PeerAuthentication/knative-serving/webhook",
        "PeerAuthentication/knative-eventing/inmemorychannel-webhook",
    ] {
        assert!(added.contains(object), "{object} added:\n{}", diff.stdout);
    }
    assert!(
        diff.stdout
            .contains("PeerAuthentication/istio-system/default"),
        "{}",
        diff.stdout
    );
    assert!(
        !changed.contains_key(&'-'),
        "nothing removed:\n{}",
        diff.stdout
    );
    let doc = fs::read_to_string(repo().join("docs/migration.md")).unwrap();
    for step in [
        "kubectl rollout restart",
        "security.istio.io/tlsMode",
        "extends: permissive",
    ] {
        assert!(doc.contains(step), "docs/migration.md: {step}");
    }
}

/// Item 10: the local gateway stays on port 80 (any other value is refused).
#[test]
fn the_local_gateway_port_is_80() {
    Test::new()
        .copy_fixture("errors/local-port.yaml", "p.yaml")
        .args(["render", "p.yaml"])
        .status(2)
        .stderr_contains("must be on port 80, not 8081")
        .run();
    for (path, render) in golden_renders() {
        let objects = parse(&render);
        for gateway in objects.iter().filter(|o| kind(o) == "Gateway") {
            if gateway["metadata"]["annotations"]["networking.istio.io/service-type"] == "ClusterIP"
                && gateway["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.contains("local") || n == "internal")
            {
                assert_eq!(
                    gateway["spec"]["listeners"][0]["port"],
                    80,
                    "{}",
                    path.display()
                );
            }
        }
    }
}
