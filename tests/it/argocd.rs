//! `meshgen argocd generate` run the way Argo CD's repo-server runs a sidecar plugin: the
//! repository copied into a fresh directory under a `_cmp_server/<id>` working dir, every file
//! mode 0644 and directory 0755 (the default without `preserveFileMode`), the command started in
//! the app's directory with only Argo CD's variables and `PATH` in the environment (no `HOME`).
//! Its stream must be byte for byte what `meshgen render` prints for the same inputs, and it
//! must write nothing.

use std::fs;
use std::path::Path;

use crate::harness::{Test, repo};

const FIXTURE: &str = "argocd/repo";
const WORK: &str = "_cmp_server/0b8f8a2e-1d4c-4a57-9a1e-6f2c1d0e5a11";
const APP: &str = "clusters/prod";

/// A test whose temporary directory holds the repository the way the sidecar receives it.
fn checkout() -> Test {
    let test = Test::new().copy_fixture(FIXTURE, WORK);
    set_modes(&test.path().join(WORK));
    test
}

#[cfg(unix)]
fn set_modes(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        let mode = if entry.file_type().is_dir() {
            0o755
        } else {
            0o644
        };
        fs::set_permissions(entry.path(), fs::Permissions::from_mode(mode)).unwrap();
    }
}

#[cfg(not(unix))]
fn set_modes(_: &Path) {}

/// The environment argocd-cmp-server gives `generate` (its own is reduced to PATH here), in
/// `app` (relative to the copy), with the Application's parameters.
fn generate(test: Test, app: &str, parameters: Option<&str>) -> Test {
    let mut test = test
        .args(["argocd", "generate"])
        .current_dir(format!("{WORK}/{app}"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ARGOCD_APP_NAME", "mesh-prod")
        .env("ARGOCD_APP_NAMESPACE", "istio-system")
        .env("ARGOCD_APP_PROJECT_NAME", "default")
        .env(
            "ARGOCD_APP_REVISION",
            "4d94549a0c1f2e3d4b5a69788796a5b4c3d2e1f0",
        )
        .env("ARGOCD_APP_REVISION_SHORT", "4d94549")
        .env("ARGOCD_APP_REVISION_SHORT_8", "4d94549a")
        .env(
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://git.example.com/platform/mesh.git",
        )
        .env("ARGOCD_APP_SOURCE_PATH", APP)
        .env("ARGOCD_APP_SOURCE_TARGET_REVISION", "main")
        .env("KUBE_VERSION", "1.35.0")
        .env(
            "KUBE_API_VERSIONS",
            "v1,apps/v1,gateway.networking.k8s.io/v1",
        )
        // Argo CD 3 passes empty plugin env entries too.
        .env("ARGOCD_ENV_MESHGEN_DATAPLANE_MODE", "");
    if let Some(parameters) = parameters {
        test = test.env("ARGOCD_APP_PARAMETERS", parameters);
    }
    test
}

/// What `meshgen render ARGS` prints from the fixture repository.
fn render(args: &[&str]) -> String {
    Test::new()
        .copy_fixture(FIXTURE, "repo")
        .current_dir("repo")
        .arg("render")
        .args(args)
        .run()
        .stdout
}

#[test]
fn generate_matches_render_byte_for_byte_and_writes_nothing() {
    let expected = render(&[
        "clusters/prod/meshgen.yaml",
        "--overlay",
        "overlays/team-label.yaml",
    ]);
    assert!(
        expected.contains("team: platform"),
        "the parameter's overlay applied"
    );
    assert!(
        expected.contains("accessLogFile: /dev/stdout"),
        "the profile's overlay applied"
    );
    generate(
        checkout(),
        APP,
        Some(r#"[{"name":"overlays","array":["../../overlays/team-label.yaml"]}]"#),
    )
    .stdout(expected)
    .stderr("")
    .expect_unchanged("")
    .run();
}

#[test]
fn environment_variables_and_overrides() {
    // The profile from the plugin env, overlays as a comma-separated string, scalar overrides.
    let run = generate(
        checkout(),
        APP,
        Some(
            r#"[{"name":"overlays","string":"../../overlays/team-label.yaml"},{"name":"mtls-mode","string":"PERMISSIVE"},{"name":"gateway-class","string":"istio"}]"#,
        ),
    )
    .env("ARGOCD_ENV_MESHGEN_PROFILE", "meshgen.yaml")
    .stdout_contains("team: platform")
    .stdout_contains("mode: PERMISSIVE")
    .run();
    assert!(
        !run.stdout.contains("mode: STRICT"),
        "the override reached the render"
    );

    // A built-in profile works without any file.
    generate(
        checkout(),
        APP,
        Some(r#"[{"name":"profile","string":"default"}]"#),
    )
    .stdout(render(&["default"]))
    .run();
}

/// ARGOCD_APP_PARAMETERS, extra environment, expected text on stderr.
type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_input_fails_with_stderr_only() {
    let outside = "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\nresources: []\n";
    let cases: &[Case] = &[
        // Leaves the repository copy: refused even though the file exists.
        (
            Some(r#"[{"name":"overlays","array":["../../../../outside.yaml"]}]"#),
            &[],
            "outside the project root",
        ),
        (
            Some(r#"[{"name":"profile","string":"../../../../outside.yaml"}]"#),
            &[],
            "outside the project root",
        ),
        (
            Some(r#"[{"name":"mtls-mode","string":"STRIKT"}]"#),
            &[],
            "invalid value `STRIKT` for plugin parameter `mtls-mode`\n --> ARGOCD_APP_PARAMETERS:1:",
        ),
        (
            Some(r#"[{"name":"mtlsMode","string":"STRICT"}]"#),
            &[],
            "did you mean `mtls-mode`?",
        ),
        (Some("[{"), &[], "ARGOCD_APP_PARAMETERS is not valid JSON"),
        (
            None,
            &[("ARGOCD_ENV_MESHGEN_PROFLE", "x.yaml")],
            "did you mean `ARGOCD_ENV_MESHGEN_PROFILE`?",
        ),
        (
            None,
            &[("ARGOCD_ENV_MESHGEN_PROFILE", "missing.yaml")],
            "missing.yaml` does not exist",
        ),
        (
            Some(r#"[{"name":"gateway-class","string":"Not_A_Name"}]"#),
            &[],
            "the value comes from parameter `gateway-class`",
        ),
    ];
    for (parameters, extra, expected) in cases {
        let mut test = generate(checkout().write("outside.yaml", outside), APP, *parameters)
            .status(2)
            .stderr_contains(*expected)
            .expect_unchanged("");
        for (key, value) in *extra {
            test = test.env(*key, *value);
        }
        test.run();
    }

    // No meshgen.yaml in the app directory.
    checkout()
        .args(["argocd", "generate"])
        .current_dir(format!("{WORK}/clusters/empty"))
        .env_clear()
        .env("ARGOCD_APP_SOURCE_PATH", "clusters/empty")
        .status(2)
        .stderr_contains("no meshgen.yaml in the app directory")
        .run();

    // The working directory must be the app's path inside the copy.
    generate(checkout(), "base", None)
        .status(2)
        .stderr_contains("does not end with ARGOCD_APP_SOURCE_PATH")
        .run();
}

#[test]
fn plugin_files_agree_with_the_command() {
    let plugin = fs::read_to_string(repo().join("argocd/plugin.yaml")).unwrap();
    assert!(plugin.contains("command: [meshgen, argocd, generate]"));
    let mut announced = 0;
    for parameter in meshgen::argocd::parameter_names() {
        assert!(
            plugin.contains(&format!("- name: {parameter}\n")),
            "{parameter} is announced"
        );
        announced += 1;
    }
    assert_eq!(announced, 5);
    assert!(plugin.contains("version: v1"));
    let application = fs::read_to_string(repo().join("argocd/application.yaml")).unwrap();
    assert!(
        application.contains("name: meshgen-v1"),
        "Applications name the plugin <name>-<version>"
    );
    for option in ["ServerSideApply=true", "RespectIgnoreDifferences=true"] {
        assert!(application.contains(option));
    }
    let patch = fs::read_to_string(repo().join("argocd/repo-server-patch.yaml")).unwrap();
    assert!(patch.contains("runAsUser: 999"));
    assert!(patch.contains("mountPath: /tmp"));
}
