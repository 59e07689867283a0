//! `meshgen argocd generate` run the way Argo CD's repo-server runs a sidecar plugin: the
//! repository copied into a fresh directory under a `_cmp_server/<id>` working dir, every file
//! mode 0644 and directory 0755 (the default without `preserveFileMode`), the command started in
//! the app's directory with only Argo CD's variables and `PATH` in the environment (no `HOME`).
//! Its stream must be byte for byte what `meshgen render` prints for the same inputs, and it
//! must write nothing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURE: &str = "tests/fixtures/argocd/repo";
const APP: &str = "clusters/prod";

/// Copies the fixture repository the way the sidecar receives it.
fn checkout(tmp: &Path) -> PathBuf {
    let work = tmp.join("_cmp_server/0b8f8a2e-1d4c-4a57-9a1e-6f2c1d0e5a11");
    for entry in walkdir::WalkDir::new(FIXTURE).sort_by_file_name() {
        let entry = entry.unwrap();
        let relative = entry.path().strip_prefix(FIXTURE).unwrap();
        let target = work.join(relative);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
            set_mode(&target, 0o755);
        } else {
            fs::copy(entry.path(), &target).unwrap();
            set_mode(&target, 0o644);
        }
    }
    work
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

/// The environment argocd-cmp-server gives `generate` (its own is reduced to PATH here).
fn generate(app_dir: &Path, parameters: Option<&str>, extra: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meshgen"));
    command
        .args(["argocd", "generate"])
        .current_dir(app_dir)
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
        command.env("ARGOCD_APP_PARAMETERS", parameters);
    }
    for (key, value) in extra {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn render(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshgen"))
        .current_dir(FIXTURE)
        .arg("render")
        .args(args)
        .output()
        .unwrap()
}

fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let bytes = if e.file_type().is_file() {
                fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (e.path().to_path_buf(), bytes)
        })
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn generate_matches_render_byte_for_byte_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let work = checkout(tmp.path());
    let before = tree(tmp.path());
    let output = generate(
        &work.join(APP),
        Some(r#"[{"name":"overlays","array":["../../overlays/team-label.yaml"]}]"#),
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        output.stderr.is_empty(),
        "nothing on stderr: {}",
        text(&output.stderr)
    );
    let expected = render(&[
        "clusters/prod/meshgen.yaml",
        "--overlay",
        "overlays/team-label.yaml",
    ]);
    assert!(expected.status.success(), "{}", text(&expected.stderr));
    assert!(!output.stdout.is_empty());
    assert_eq!(
        text(&output.stdout),
        text(&expected.stdout),
        "same bytes as render"
    );
    assert!(
        text(&output.stdout).contains("team: platform"),
        "the parameter's overlay applied"
    );
    assert!(
        text(&output.stdout).contains("accessLogFile: /dev/stdout"),
        "the profile's overlay applied"
    );
    assert_eq!(tree(tmp.path()), before, "generate writes nothing");
}

#[test]
fn environment_variables_and_overrides() {
    let tmp = tempfile::tempdir().unwrap();
    let work = checkout(tmp.path());
    // The profile from the plugin env, overlays as a comma-separated string, scalar overrides.
    let output = generate(
        &work.join(APP),
        Some(
            r#"[{"name":"overlays","string":"../../overlays/team-label.yaml"},{"name":"mtls-mode","string":"PERMISSIVE"},{"name":"gateway-class","string":"istio"}]"#,
        ),
        &[("ARGOCD_ENV_MESHGEN_PROFILE", "meshgen.yaml")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stream = text(&output.stdout);
    assert!(stream.contains("team: platform"));
    assert!(
        stream.contains("mode: PERMISSIVE"),
        "the override reached the render"
    );
    assert!(!stream.contains("mode: STRICT"));

    // A built-in profile works without any file.
    let builtin = generate(
        &work.join(APP),
        Some(r#"[{"name":"profile","string":"default"}]"#),
        &[],
    );
    assert_eq!(builtin.status.code(), Some(0));
    assert_eq!(text(&builtin.stdout), text(&render(&["default"]).stdout));
}

/// ARGOCD_APP_PARAMETERS, extra environment, expected text on stderr.
type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_input_fails_with_stderr_only() {
    let tmp = tempfile::tempdir().unwrap();
    let work = checkout(tmp.path());
    fs::write(
        tmp.path().join("outside.yaml"),
        "apiVersion: meshgen.dev/v1alpha1\nkind: Overlay\nresources: []\n",
    )
    .unwrap();
    let app = work.join(APP);
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
        let output = generate(&app, *parameters, extra);
        let stderr = text(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{parameters:?} {extra:?}: {stderr}"
        );
        assert!(output.stdout.is_empty(), "no YAML on failure");
        assert!(
            stderr.contains(expected),
            "{parameters:?} {extra:?}: expected {expected:?} in\n{stderr}"
        );
    }

    // No meshgen.yaml in the app directory.
    let empty_app = work.join("clusters/empty");
    fs::create_dir_all(&empty_app).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_meshgen"))
        .args(["argocd", "generate"])
        .current_dir(&empty_app)
        .env_clear()
        .env("ARGOCD_APP_SOURCE_PATH", "clusters/empty")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no meshgen.yaml in the app directory"));
    assert!(output.stdout.is_empty());

    // The working directory must be the app's path inside the copy.
    let wrong = generate(&work.join("base"), None, &[]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong.stderr).contains("does not end with ARGOCD_APP_SOURCE_PATH"));
}

#[test]
fn plugin_files_agree_with_the_command() {
    let plugin = fs::read_to_string("argocd/plugin.yaml").unwrap();
    assert!(plugin.contains("command: [meshgen, argocd, generate]"));
    for parameter in meshgen::argocd::PARAMETERS {
        assert!(
            plugin.contains(&format!("- name: {parameter}\n")),
            "{parameter} is announced"
        );
    }
    assert!(plugin.contains("version: v1"));
    let application = fs::read_to_string("argocd/application.yaml").unwrap();
    assert!(
        application.contains("name: meshgen-v1"),
        "Applications name the plugin <name>-<version>"
    );
    for option in ["ServerSideApply=true", "RespectIgnoreDifferences=true"] {
        assert!(application.contains(option));
    }
    let patch = fs::read_to_string("argocd/repo-server-patch.yaml").unwrap();
    assert!(patch.contains("runAsUser: 999"));
    assert!(patch.contains("mountPath: /tmp"));
}
