use serde_json::{Value, json};

use super::*;
use crate::core::resource::Component;

fn canary() -> RevisionKnobs {
    RevisionKnobs {
        revision: Some("canary".into()),
        ..RevisionKnobs::default()
    }
}

fn ambient() -> RevisionKnobs {
    RevisionKnobs {
        ambient: true,
        ..RevisionKnobs::default()
    }
}

fn fixed_replicas(replicas: u32) -> RevisionKnobs {
    let mut knobs = RevisionKnobs::default();
    knobs.pilot.autoscale = None;
    knobs.pilot.replicas = replicas;
    knobs
}

/// The value at a dotted path (`global.proxy.image`), if every segment exists.
fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

// ---------------------------------------------------------------- names and labels

#[test]
fn default_revision_names_have_no_suffix() {
    let ctx = revision_context(&RevisionKnobs::default());
    assert_eq!(ctx["rev"], "default");
    assert_eq!(ctx["revision"], "");
    assert_eq!(ctx["has_revision"], false);
    assert_eq!(ctx["names"]["istiod"], "istiod");
    let config_maps: Vec<_> = revision_config_maps(&RevisionKnobs::default())
        .into_iter()
        .map(|cm| cm["metadata"]["name"].clone())
        .collect();
    assert_eq!(config_maps, ["values", "istio", "istio-sidecar-injector"]);
    assert_eq!(ctx["names"]["injector_webhook"], "istio-sidecar-injector");
    assert_eq!(
        ctx["names"]["validator_webhook"],
        "istio-validator-istio-system"
    );
    assert_eq!(
        ctx["names"]["clusterrole"],
        "istiod-clusterrole-istio-system"
    );
    assert_eq!(
        context(&IstioKnobs::default())["default_validator"],
        json!({ "service": "istiod", "rev": "default" })
    );
    assert_eq!(ctx["istiod_selector"], json!({ "istio": "pilot" }));
    assert_eq!(
        ctx["istiod_service_selector"],
        json!({ "app": "istiod", "istio": "pilot" })
    );
    assert_eq!(ctx["ca_address"], "istiod.istio-system.svc:15012");
}

#[test]
fn revision_suffixes_names_labels_selectors_and_addresses() {
    let ctx = revision_context(&canary());
    assert_eq!(ctx["rev"], "canary");
    assert_eq!(ctx["has_revision"], true);
    let names = &ctx["names"];
    assert_eq!(names["istiod"], "istiod-canary");
    let config_maps: Vec<_> = revision_config_maps(&canary())
        .into_iter()
        .map(|cm| cm["metadata"]["name"].clone())
        .collect();
    assert_eq!(
        config_maps,
        [
            "values-canary",
            "istio-canary",
            "istio-sidecar-injector-canary"
        ]
    );
    assert_eq!(names["injector_webhook"], "istio-sidecar-injector-canary");
    assert_eq!(
        names["validator_webhook"],
        "istio-validator-canary-istio-system"
    );
    assert_eq!(
        names["clusterrole"],
        "istiod-clusterrole-canary-istio-system"
    );
    assert_eq!(
        names["gateway_controller_clusterrole"],
        "istiod-gateway-controller-canary-istio-system"
    );
    assert_eq!(
        names["reader_clusterrole"],
        "istio-reader-clusterrole-canary-istio-system"
    );
    // shared by all revisions
    assert_eq!(
        names["reader_service_account"],
        "istio-reader-service-account"
    );
    // the base chart's default validator belongs to the default revision only, and a named
    // revision is the default only when the profile says so
    assert_eq!(
        context(&IstioKnobs::single(canary()))["default_validator"],
        Value::Null
    );
    // a named revision's pods must not match the unnamed revision's Service and PDB
    // (`{app: istiod, istio: pilot}`): upstream labels them `istio: istiod`
    assert_eq!(ctx["pod_istio_label"], "istiod");
    assert_eq!(
        revision_context(&RevisionKnobs::default())["pod_istio_label"],
        "pilot"
    );
    let by_rev = json!({ "app": "istiod", "istio.io/rev": "canary" });
    assert_eq!(ctx["istiod_selector"], by_rev);
    assert_eq!(ctx["istiod_service_selector"], by_rev);
    assert_eq!(ctx["ca_address"], "istiod-canary.istio-system.svc:15012");
    assert_eq!(
        mesh_config(&canary())["defaultConfig"]["discoveryAddress"],
        ctx["ca_address"]
    );
    assert_eq!(values(&canary())["revision"], "canary");
}

#[test]
fn injector_webhook_name_carries_a_non_default_namespace() {
    let knobs = RevisionKnobs {
        namespace: "mesh".into(),
        ..canary()
    };
    let ctx = revision_context(&knobs);
    assert_eq!(
        ctx["names"]["injector_webhook"],
        "istio-sidecar-injector-canary-mesh"
    );
    assert_eq!(
        ctx["names"]["validator_webhook"],
        "istio-validator-canary-mesh"
    );
    assert_eq!(mesh_config(&knobs)["rootNamespace"], "mesh");
    assert_eq!(
        at(&values(&knobs), "global.istioNamespace"),
        Some(&json!("mesh"))
    );
}

#[test]
fn images_follow_hub_tag_and_the_ambient_variant() {
    let knobs = RevisionKnobs {
        hub: "registry.example/istio".into(),
        tag: "1.30.3-fips".into(),
        ..RevisionKnobs::default()
    };
    let ctx = revision_context(&knobs);
    assert_eq!(
        ctx["images"]["pilot"],
        "registry.example/istio/pilot:1.30.3-fips"
    );
    let merged = helm_values(&knobs);
    assert_eq!(
        at(&merged, "global.hub"),
        Some(&json!("registry.example/istio"))
    );
    assert_eq!(at(&merged, "global.tag"), Some(&json!("1.30.3-fips")));
    assert_eq!(
        context(&IstioKnobs::single(knobs.clone()))["cni"]["agent_version"],
        "1.30.3-fips"
    );

    let ctx = revision_context(&ambient());
    assert_eq!(
        ctx["images"]["pilot"],
        "docker.io/istio/pilot:1.30.3-distroless"
    );
    assert_eq!(
        ctx["images"]["install_cni"],
        "docker.io/istio/install-cni:1.30.3-distroless"
    );
    assert_eq!(
        ctx["images"]["ztunnel"],
        "docker.io/istio/ztunnel:1.30.3-distroless"
    );
}

// ---------------------------------------------------------------- scaling

#[test]
fn pdb_only_when_more_than_one_istiod_is_guaranteed() {
    let mut knobs = RevisionKnobs::default();
    assert!(!pdb_enabled(&knobs.pilot), "autoscale min 1");
    knobs.pilot.replicas = 3;
    assert!(
        !pdb_enabled(&knobs.pilot),
        "replicas are ignored while autoscaling, as in Helm"
    );
    knobs.pilot.autoscale = Some(AutoscaleKnobs {
        min: 2,
        max: 5,
        target_cpu: 80,
    });
    assert!(pdb_enabled(&knobs.pilot), "autoscale min 2");
    assert!(pdb_enabled(&fixed_replicas(3).pilot));
    assert!(!pdb_enabled(&fixed_replicas(1).pilot));
}

#[test]
fn fixed_replicas_turn_off_the_hpa_and_set_replicas() {
    let ctx = revision_context(&fixed_replicas(3));
    assert_eq!(ctx["pilot"]["replicas"], 3);
    assert_eq!(ctx["pilot"]["hpa"], false);
    assert_eq!(ctx["pilot"]["pdb"], true);
    let merged = helm_values(&fixed_replicas(3));
    assert_eq!(merged["replicaCount"], 3);
    assert_eq!(merged["autoscaleEnabled"], false);

    let ctx = revision_context(&RevisionKnobs::default());
    assert_eq!(
        ctx["pilot"]["replicas"],
        Value::Null,
        "the HPA owns the replica count"
    );
    assert_eq!(ctx["pilot"]["hpa"], true);
    assert_eq!(ctx["pilot"]["autoscale_min"], 1);
    assert_eq!(ctx["pilot"]["autoscale_max"], 5);
    assert_eq!(ctx["pilot"]["target_cpu"], 80);
}

#[test]
fn autoscale_and_resources_land_on_their_helm_paths() {
    let mut knobs = RevisionKnobs::default();
    knobs.pilot.autoscale = Some(AutoscaleKnobs {
        min: 2,
        max: 7,
        target_cpu: 60,
    });
    knobs.pilot.resources = ResourceKnobs {
        requests_cpu: Some("1".into()),
        requests_memory: Some("1Gi".into()),
        limits_cpu: None,
        limits_memory: Some("4Gi".into()),
    };
    let merged = helm_values(&knobs);
    assert_eq!(merged["autoscaleEnabled"], true);
    assert_eq!(merged["autoscaleMin"], 2);
    assert_eq!(merged["autoscaleMax"], 7);
    assert_eq!(
        at(&merged, "cpu.targetAverageUtilization"),
        Some(&json!(60))
    );
    let expected =
        json!({ "limits": { "memory": "4Gi" }, "requests": { "cpu": "1", "memory": "1Gi" } });
    assert_eq!(merged["resources"], expected);
    assert_eq!(revision_context(&knobs)["pilot"]["resources"], expected);

    knobs.pilot.resources = ResourceKnobs::default();
    assert_eq!(revision_context(&knobs)["pilot"]["resources"], json!({}));
}

// ---------------------------------------------------------------- values

#[test]
fn default_values_are_upstreams_plus_the_gitops_failure_policy() {
    let merged = helm_values(&RevisionKnobs::default());
    let upstream: Value = serde_json::from_str(include_str!("values.json")).unwrap();
    let mut expected = upstream.clone();
    expected["base"]["validationFailurePolicy"] = json!("Fail");
    assert_eq!(merged, expected);
    assert_eq!(
        original_values(&RevisionKnobs::default()),
        json!({
            "base": { "validationFailurePolicy": "Fail" },
            "global": { "hub": "docker.io/istio", "tag": "1.30.3" }
        })
    );
}

#[test]
fn injector_values_hold_what_the_injection_templates_read() {
    let injector = values(&RevisionKnobs::default());
    let keys: Vec<&String> = injector.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "gateways",
            "global",
            "pilot",
            "revision",
            "sidecarInjectorWebhook"
        ]
    );
    // every `.Values` path upstream's injector values hold that the templates read
    for path in [
        "gateways.seccompProfile",
        "gateways.securityContext",
        "global.caAddress",
        "global.caName",
        "global.hub",
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
        "global.proxy.clusterDomain",
        "global.proxy.componentLogLevel",
        "global.proxy.excludeIPRanges",
        "global.proxy.excludeInboundPorts",
        "global.proxy.excludeOutboundPorts",
        "global.proxy.image",
        "global.proxy.includeIPRanges",
        "global.proxy.includeInboundPorts",
        "global.proxy.includeOutboundPorts",
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
        "global.tag",
        "global.variant",
        "global.waypoint.affinity",
        "global.waypoint.nodeSelector",
        "global.waypoint.resources",
        "global.waypoint.tolerations",
        "global.waypoint.topologySpreadConstraints",
        "pilot.cni.enabled",
        "pilot.cni.provider",
        "pilot.env",
        "revision",
        "sidecarInjectorWebhook.rewriteAppHTTPProbe",
    ] {
        assert!(at(&injector, path).is_some(), "injector values lack {path}");
    }
}

#[test]
fn ambient_switches_the_values_as_the_ambient_profile_does() {
    let merged = helm_values(&ambient());
    assert_eq!(merged["profile"], "ambient");
    assert_eq!(
        at(&merged, "env.PILOT_ENABLE_AMBIENT"),
        Some(&json!("true"))
    );
    assert_eq!(at(&merged, "cni.ambient.enabled"), Some(&json!(true)));
    assert_eq!(at(&merged, "global.variant"), Some(&json!("distroless")));
    let injector = values(&ambient());
    assert_eq!(
        at(&injector, "pilot.env.PILOT_ENABLE_AMBIENT"),
        Some(&json!("true"))
    );
    assert_eq!(
        at(&injector, "pilot.cni.ambient.enabled"),
        Some(&json!(true))
    );
    assert_eq!(
        revision_context(&ambient())["pilot"]["env"],
        json!([{ "name": "PILOT_ENABLE_AMBIENT", "value": "true" }])
    );
    assert_eq!(
        original_values(&ambient()),
        json!({
            "base": { "validationFailurePolicy": "Fail" },
            "global": { "hub": "docker.io/istio", "tag": "1.30.3" },
            "profile": "ambient"
        })
    );
}

// ---------------------------------------------------------------- mesh config

#[test]
fn default_mesh_config_is_the_charts() {
    assert_eq!(
        mesh_config(&RevisionKnobs::default()),
        json!({
            "defaultConfig": { "discoveryAddress": "istiod.istio-system.svc:15012" },
            "defaultProviders": { "metrics": ["prometheus"] },
            "enablePrometheusMerge": true,
            "rootNamespace": "istio-system",
            "trustDomain": "cluster.local"
        })
    );
}

#[test]
fn mesh_knobs_land_in_mesh_config_and_values() {
    let knobs = RevisionKnobs {
        trust_domain: "example.org".into(),
        mesh: MeshKnobs {
            access_log_file: Some("/dev/stdout".into()),
            access_log_encoding: Some("JSON".into()),
            outbound_traffic_policy: Some("REGISTRY_ONLY".into()),
            discovery_selectors: vec![json!({ "matchLabels": { "istio-discovery": "enabled" } })],
            hold_application_until_proxy_starts: Some(true),
            ..MeshKnobs::default()
        },
        ..RevisionKnobs::default()
    };
    let mesh = mesh_config(&knobs);
    assert_eq!(mesh["accessLogFile"], "/dev/stdout");
    assert_eq!(mesh["accessLogEncoding"], "JSON");
    assert_eq!(
        mesh["outboundTrafficPolicy"],
        json!({ "mode": "REGISTRY_ONLY" })
    );
    assert_eq!(
        mesh["discoverySelectors"],
        json!([{ "matchLabels": { "istio-discovery": "enabled" } }])
    );
    assert_eq!(mesh["trustDomain"], "example.org");
    assert_eq!(
        mesh["defaultConfig"]["holdApplicationUntilProxyStarts"],
        true
    );
    assert_eq!(
        mesh["defaultConfig"]["discoveryAddress"],
        "istiod.istio-system.svc:15012"
    );
    let merged = helm_values(&knobs);
    assert_eq!(
        at(&merged, "meshConfig.trustDomain"),
        Some(&json!("example.org"))
    );
    assert_eq!(
        at(&merged, "meshConfig.enablePrometheusMerge"),
        Some(&json!(true))
    );
    // what a Helm user would have passed: the knobs, not the chart default
    let original = &original_values(&knobs)["meshConfig"];
    assert_eq!(original["accessLogFile"], "/dev/stdout");
    assert_eq!(original["trustDomain"], "example.org");
    assert!(original.get("enablePrometheusMerge").is_none());
}

#[test]
fn ambient_mesh_config_adds_hbone_distroless_and_global_scope() {
    let mesh = mesh_config(&ambient());
    assert_eq!(
        mesh["defaultConfig"]["image"],
        json!({ "imageType": "distroless" })
    );
    assert_eq!(
        mesh["defaultConfig"]["proxyMetadata"],
        json!({ "ISTIO_META_ENABLE_HBONE": "true" })
    );
    assert_eq!(mesh["serviceScopeConfigs"][0]["scope"], "GLOBAL");
    // YAML 1.1 booleans stay strings in the text istiod reads
    let data = config_map_data(&ambient(), "istio");
    let text = data["mesh"].as_str().unwrap();
    assert!(text.contains("ISTIO_META_ENABLE_HBONE: \"true\""), "{text}");
}

// ---------------------------------------------------------------- injector config

#[test]
fn injector_config_embeds_the_go_templates_verbatim() {
    let sidecar = include_str!("../../templates/istiod/injection/sidecar.gotmpl");
    let gateway = include_str!("../../templates/istiod/injection/kube-gateway.gotmpl");
    let waypoint = include_str!("../../templates/istiod/injection/waypoint.gotmpl");
    let injected_gateway = include_str!("../../templates/istiod/injection/gateway.gotmpl");

    let config = injector_config(&RevisionKnobs::default());
    let keys: Vec<&String> = config.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "defaultTemplates",
            "policy",
            "alwaysInjectSelector",
            "neverInjectSelector",
            "injectedAnnotations",
            "template",
            "templates"
        ]
    );
    assert_eq!(config["defaultTemplates"], json!(["sidecar"]));
    assert_eq!(config["policy"], "enabled");
    assert_eq!(
        config["templates"],
        json!({ "sidecar": sidecar, "gateway": injected_gateway, "kube-gateway": gateway })
    );

    let config = injector_config(&ambient());
    assert_eq!(config["templates"]["waypoint"], waypoint);

    // the YAML text istiod parses gives the templates back byte for byte
    let data = config_map_data(&ambient(), "istio-sidecar-injector");
    let parsed = crate::core::yaml::parse_manifests(data["config"].as_str().unwrap())
        .unwrap()
        .remove(0);
    assert_eq!(parsed["templates"]["sidecar"], sidecar);
    assert_eq!(parsed["templates"]["kube-gateway"], gateway);
    assert_eq!(parsed["templates"]["waypoint"], waypoint);
    assert_eq!(parsed["templates"]["gateway"], injected_gateway);
    assert_eq!(parsed["injectedAnnotations"], Value::Null);
}

#[test]
fn config_map_payloads_parse_back_to_their_documents() {
    let knobs = ambient();
    let parse_json = |text: &Value| serde_json::from_str::<Value>(text.as_str().unwrap()).unwrap();
    let values_data = config_map_data(&knobs, "values");
    assert_eq!(
        parse_json(&values_data["merged-values"]),
        helm_values(&knobs)
    );
    assert_eq!(
        parse_json(&values_data["original-values"]),
        original_values(&knobs)
    );
    let injector = config_map_data(&knobs, "istio-sidecar-injector");
    assert_eq!(parse_json(&injector["values"]), values(&knobs));
    let mesh = config_map_data(&knobs, "istio");
    let parsed = crate::core::yaml::parse_manifests(mesh["mesh"].as_str().unwrap())
        .unwrap()
        .remove(0);
    assert_eq!(parsed, mesh_config(&knobs));
    assert_eq!(mesh["meshNetworks"], "networks: {}");
}

// ---------------------------------------------------------------- templates

/// Every object of `component` as the render engine produces it for these knobs.
fn render(component: &str, knobs: &RevisionKnobs) -> Vec<Value> {
    let component = Component::ALL
        .into_iter()
        .find(|c| c.as_str() == component)
        .expect("a component");
    let install = IstioKnobs::single(knobs.clone());
    let ctx = minijinja::context! { istio => minijinja::Value::from(minijinja::value::Serde(context(&install))) };
    let mut docs = crate::render::render_templates(component, &ctx, 10_000_000)
        .unwrap_or_else(|e| panic!("{e}"));
    if component == Component::Istiod {
        docs.extend(revision_config_maps(knobs));
    }
    docs
}

/// The data of the generated ConfigMap `name` (without a revision suffix).
fn config_map_data(knobs: &RevisionKnobs, name: &str) -> Value {
    let name = suffixed(name, knobs);
    revision_config_maps(knobs)
        .into_iter()
        .find(|cm| cm["metadata"]["name"] == json!(name))
        .map(|cm| cm["data"].clone())
        .unwrap_or_else(|| panic!("no ConfigMap {name}"))
}

fn identities(docs: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = docs
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["kind"].as_str().unwrap(),
                d["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    ids.sort();
    ids
}

fn find<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn default_render_has_upstreams_objects() {
    let knobs = RevisionKnobs::default();
    assert_eq!(
        identities(&render("base", &knobs)),
        [
            "ServiceAccount/istio-reader-service-account",
            "ValidatingWebhookConfiguration/istiod-default-validator"
        ]
    );
    let istiod = render("istiod", &knobs);
    assert_eq!(
        identities(&istiod),
        [
            "ClusterRole/istio-reader-clusterrole-istio-system",
            "ClusterRole/istiod-clusterrole-istio-system",
            "ClusterRole/istiod-gateway-controller-istio-system",
            "ClusterRoleBinding/istio-reader-clusterrole-istio-system",
            "ClusterRoleBinding/istiod-clusterrole-istio-system",
            "ClusterRoleBinding/istiod-gateway-controller-istio-system",
            "ConfigMap/istio",
            "ConfigMap/istio-sidecar-injector",
            "ConfigMap/values",
            "Deployment/istiod",
            "HorizontalPodAutoscaler/istiod",
            "MutatingWebhookConfiguration/istio-sidecar-injector",
            "Role/istiod",
            "RoleBinding/istiod",
            "Service/istiod",
            "ServiceAccount/istiod",
            "ValidatingWebhookConfiguration/istio-validator-istio-system",
        ]
    );
    let deployment = find(&istiod, "Deployment");
    assert!(deployment["spec"].get("replicas").is_none());
    let mwc = find(&istiod, "MutatingWebhookConfiguration");
    assert_eq!(mwc["webhooks"].as_array().unwrap().len(), 4);
    for vwc in istiod
        .iter()
        .chain(render("base", &knobs).iter())
        .filter(|d| d["kind"] == "ValidatingWebhookConfiguration")
    {
        assert_eq!(vwc["webhooks"][0]["failurePolicy"], "Fail");
    }
    assert!(
        render("istio-cni", &knobs).is_empty(),
        "istio-cni is ambient only"
    );
    assert!(
        render("ztunnel", &knobs).is_empty(),
        "ztunnel is ambient only"
    );
}

#[test]
fn injector_config_map_carries_the_templates_as_data() {
    let istiod = render("istiod", &ambient());
    let cm = istiod
        .iter()
        .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == "istio-sidecar-injector")
        .unwrap();
    let config = crate::core::yaml::parse_manifests(cm["data"]["config"].as_str().unwrap())
        .unwrap()
        .remove(0);
    assert_eq!(config, injector_config(&ambient()));
}

#[test]
fn revision_render_uses_revision_webhooks_only() {
    let knobs = canary();
    assert_eq!(
        identities(&render("base", &knobs)),
        ["ServiceAccount/istio-reader-service-account"]
    );
    let istiod = render("istiod", &knobs);
    let mwc = find(&istiod, "MutatingWebhookConfiguration");
    assert_eq!(mwc["metadata"]["name"], "istio-sidecar-injector-canary");
    assert_eq!(mwc["metadata"]["labels"]["istio.io/rev"], "canary");
    let webhooks = mwc["webhooks"].as_array().unwrap();
    let names: Vec<&str> = webhooks
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "rev.namespace.sidecar-injector.istio.io",
            "rev.object.sidecar-injector.istio.io"
        ]
    );
    for webhook in webhooks {
        assert_eq!(webhook["clientConfig"]["service"]["name"], "istiod-canary");
    }
    assert_eq!(
        webhooks[0]["namespaceSelector"]["matchExpressions"][0]["values"],
        json!(["canary"])
    );
    assert_eq!(
        webhooks[1]["objectSelector"]["matchExpressions"][1]["values"],
        json!(["canary"])
    );

    let deployment = find(&istiod, "Deployment");
    assert_eq!(deployment["metadata"]["name"], "istiod-canary");
    assert_eq!(
        deployment["spec"]["selector"]["matchLabels"],
        json!({ "app": "istiod", "istio.io/rev": "canary" })
    );
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    assert!(env.contains(&json!({ "name": "REVISION", "value": "canary" })));
    let service = find(&istiod, "Service");
    assert_eq!(
        service["spec"]["selector"],
        json!({ "app": "istiod", "istio.io/rev": "canary" })
    );
    let vwc = find(&istiod, "ValidatingWebhookConfiguration");
    assert_eq!(
        vwc["metadata"]["name"],
        "istio-validator-canary-istio-system"
    );
    assert_eq!(
        vwc["webhooks"][0]["objectSelector"]["matchExpressions"][0]["values"],
        json!(["canary"])
    );
}

#[test]
fn fixed_replicas_render_a_pdb_and_no_hpa() {
    let istiod = render("istiod", &fixed_replicas(3));
    let ids = identities(&istiod);
    assert!(ids.contains(&"PodDisruptionBudget/istiod".to_string()));
    assert!(
        !ids.iter()
            .any(|id| id.starts_with("HorizontalPodAutoscaler/"))
    );
    assert_eq!(find(&istiod, "Deployment")["spec"]["replicas"], 3);
    let pdb = find(&istiod, "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        json!({ "app": "istiod", "istio": "pilot" })
    );
}

#[test]
fn ambient_render_adds_the_data_plane() {
    let knobs = RevisionKnobs {
        revision: Some("canary".into()),
        ..ambient()
    };
    assert_eq!(
        identities(&render("istio-cni", &knobs)),
        [
            "ClusterRole/istio-cni",
            "ClusterRole/istio-cni-ambient",
            "ClusterRole/istio-cni-repair-role",
            "ClusterRoleBinding/istio-cni",
            "ClusterRoleBinding/istio-cni-ambient",
            "ClusterRoleBinding/istio-cni-repair-rolebinding",
            "ConfigMap/istio-cni-config",
            "DaemonSet/istio-cni-node",
            "ServiceAccount/istio-cni",
        ]
    );
    let ztunnel = render("ztunnel", &knobs);
    assert_eq!(
        identities(&ztunnel),
        ["DaemonSet/ztunnel", "ServiceAccount/ztunnel"]
    );
    let env =
        find(&ztunnel, "DaemonSet")["spec"]["template"]["spec"]["containers"][0]["env"].clone();
    for name in ["CA_ADDRESS", "XDS_ADDRESS"] {
        let entry = env
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap();
        assert_eq!(entry["value"], "istiod-canary.istio-system.svc:15012");
    }
    let istiod = render("istiod", &knobs);
    let container = &find(&istiod, "Deployment")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["image"],
        "docker.io/istio/pilot:1.30.3-distroless"
    );
    assert!(
        container["env"]
            .as_array()
            .unwrap()
            .contains(&json!({ "name": "PILOT_ENABLE_AMBIENT", "value": "true" }))
    );
}
