//! The command line as users run it: `render` to stdout and into a directory (the directory
//! contract: kustomization, lock, pruning, foreign files), bad profiles (suite `errors`: every
//! `tests/fixtures/errors/CASE.yaml` ↔ `golden/errors/CASE.snap`), `profile list|show`,
//! `schema`, `--version`, usage errors, completions, a closed stdout.

use std::fs;

use crate::harness::{Output, Test, assert_golden, fixture_cases, repo, snapshot_dir};

/// A previous render of `default` in `manifests/`, plus a file meshgen does not own.
fn previous_output() -> Output {
    let run = Test::new()
        .args(["render", "default", "--out", "manifests"])
        .run();
    fs::write(run.path().join("manifests/NOTES.md"), "kept\n").unwrap();
    run
}

/// Every bad profile, rendered with `--out` over a previous render, shares one contract: exit
/// 2, a message on stderr that starts with `error: `, points at a line and column of the
/// fixture and carries a help, nothing on stdout, the output directory untouched.
#[test]
fn bad_profiles_are_positioned_and_change_nothing() {
    let mut dir = previous_output().tempdir;
    for (case, _) in fixture_cases("errors") {
        let run = Test::with_tempdir(dir)
            .copy_fixture("errors", "errors")
            .copy_fixture("crds", "crds")
            .args([
                "render",
                &format!("errors/{case}.yaml"),
                "--out",
                "manifests",
            ])
            .status(2)
            .expect_unchanged("manifests")
            .run();
        let stderr = &run.stderr;
        assert!(stderr.starts_with("error: "), "{case}: {stderr}");
        assert!(
            stderr.contains("--> errors/"),
            "{case}: the message points into the file: {stderr}"
        );
        assert!(stderr.contains("= help: "), "{case}: no help: {stderr}");
        assert_golden("errors", &case, stderr);
        dir = run.tempdir;
    }
}

#[test]
fn missing_profile_path() {
    let run = Test::new()
        .args(["render", "nowhere/meshgen.yaml"])
        .status(2)
        .run();
    assert_golden("cli", "missing-profile", &run.stderr);
}

#[test]
fn profile_path_is_a_directory() {
    let run = Test::new()
        .copy_fixture("profiles", "profiles")
        .args(["render", "profiles/"])
        .status(2)
        .run();
    assert_golden("cli", "profile-is-directory", &run.stderr);
}

#[test]
fn no_profile_and_no_meshgen_yaml() {
    let run = Test::new().args(["render"]).status(2).run();
    assert_golden("cli", "no-profile", &run.stderr);
}

#[test]
fn out_is_a_file() {
    Test::new()
        .write("manifests", "not a directory\n")
        .args(["render", "default", "--out", "manifests"])
        .status(2)
        .stderr_contains("is a file, not a directory")
        .expect_file("manifests", "not a directory\n")
        .run();
}

#[test]
fn out_under_a_file_is_unwritable() {
    let run = Test::new()
        .write("blocker", "x")
        .args(["render", "default", "--out", "blocker/manifests"])
        .status(2)
        .expect_file("blocker", "x")
        .run();
    assert!(
        run.stderr.contains("does not exist") || run.stderr.contains("cannot"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot_dir(run.path()).len(), 1, "nothing was written");
}

#[test]
fn render_to_stdout_is_one_stream() {
    let run = Test::new().args(["render", "default"]).stderr("").run();
    assert!(
        run.stdout
            .starts_with("---\napiVersion: v1\nkind: Namespace\n")
    );
    assert!(run.stdout.ends_with('\n') && !run.stdout.contains('\r'));
}

#[test]
fn out_directory_contract() {
    let previous = previous_output();
    let out = previous.path().join("manifests");
    assert_eq!(
        previous.stderr,
        format!(
            "wrote {} and removed 0 file(s) in manifests ({} files rendered)\n",
            snapshot_dir(&out).len() - 1,
            snapshot_dir(&out).len() - 1
        ),
        "a one-line summary"
    );
    let kustomization = fs::read_to_string(out.join("kustomization.yaml")).unwrap();
    assert!(
        kustomization.contains("- namespaces/namespace_istio-system.yaml"),
        "{kustomization}"
    );
    let lock = fs::read_to_string(out.join("meshgen.lock")).unwrap();
    assert!(lock.contains("name: builtin:default"), "{lock}");
    assert!(lock.contains("path: kustomization.yaml"), "{lock}");

    // Up to date: nothing written, and said so.
    let again = Test::with_tempdir(previous.tempdir)
        .args(["render", "default", "--out", "manifests"])
        .stderr("manifests is up to date\n")
        .expect_unchanged("manifests")
        .run();

    // Switching profile prunes the owned files no longer rendered and keeps foreign ones;
    // -v names them.
    let stale = "manifests/security/peerauthentication_knative-serving_webhook.yaml";
    assert!(again.path().join(stale).exists());
    Test::with_tempdir(again.tempdir)
        .args(["render", "permissive", "--out", "manifests", "-v"])
        .stderr_contains(format!("removed {stale}\n"))
        .expect_absent(stale)
        .expect_file("manifests/NOTES.md", "kept\n")
        .run();
}

#[test]
fn foreign_file_in_the_way_is_not_overwritten() {
    let file = "manifests/istiod/serviceaccount_istio-system_istiod.yaml";
    let run = Test::new()
        .write(file, "mine\n")
        .args(["render", "default", "--out", "manifests"])
        .status(2)
        .stderr_contains("meshgen does not own it")
        .expect_file(file, "mine\n")
        .run();
    assert_eq!(snapshot_dir(&run.path().join("manifests")).len(), 1);
}

#[test]
fn broken_pipe_is_success() {
    Test::new()
        .args(["render", "default"])
        .close_stdout_after(16)
        .stderr("")
        .run();
}

#[test]
fn profile_list_and_show() {
    let list = Test::new().args(["profile", "list"]).run();
    assert_golden("cli", "profile-list", &list.stdout);
    let show = Test::new().args(["profile", "show", "ambient"]).run();
    assert_golden("cli", "profile-show-ambient", &show.stdout);
    // A fully merged profile is itself a valid profile that renders the same set.
    let builtin = Test::new().args(["render", "ambient"]).run();
    Test::new()
        .write("meshgen.yaml", &show.stdout)
        .args(["render"])
        .stdout(builtin.stdout)
        .run();
}

#[test]
fn schemas_are_the_committed_files() {
    for (args, file) in [
        (&["schema"][..], "meshgen.schema.json"),
        (&["schema", "profile"][..], "meshgen.schema.json"),
        (&["schema", "overlay"][..], "overlay.schema.json"),
    ] {
        let committed = fs::read_to_string(repo().join(file)).unwrap();
        Test::new().args(args).stdout(committed).stderr("").run();
    }
}

#[test]
fn version_and_usage_errors() {
    Test::new()
        .args(["-V"])
        .stdout(format!("meshgen {}\n", env!("CARGO_PKG_VERSION")))
        .run();
    // The long version says what the binary is built from and renders for.
    let run = Test::new().args(["--version"]).run();
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("meshgen {} (git ", env!("CARGO_PKG_VERSION"))),
        "{first}"
    );
    for pin in [
        "Istio 1.30.3",
        "Gateway API v1.5.1",
        "knative-v1.23",
        "Knative Eventing knative-v1.22",
    ] {
        assert!(
            run.stdout.contains(pin),
            "--version lacks {pin}: {}",
            run.stdout
        );
    }
    Test::new().args(["render", "--bogus"]).status(2).run();
    Test::new()
        .args(["render", "default", "--fail-on-change"])
        .status(2)
        .stderr_contains("--out")
        .run();
}

#[test]
fn completions_offer_builtin_profiles_and_directories() {
    let bash = Test::new().args(["completions", "bash"]).run().stdout;
    // `meshgen render <TAB>` offers the built-in profiles (files come from `-o default`).
    assert!(bash.contains("ambient default permissive"), "{bash}");
    assert!(bash.contains("-o default"), "{bash}");
    for shell in ["zsh", "fish"] {
        let script = Test::new().args(["completions", shell]).run().stdout;
        assert!(script.contains("default"), "{shell}: {script}");
    }
    // --out and --root complete directories.
    let zsh = Test::new().args(["completions", "zsh"]).run().stdout;
    assert!(
        zsh.contains("--out=[") && zsh.contains("_files -/"),
        "{zsh}"
    );
}

#[test]
fn every_command_has_examples_in_its_long_help() {
    for command in [
        vec!["render"],
        vec!["check"],
        vec!["diff"],
        vec!["lint"],
        vec!["argocd"],
        vec!["profile"],
        vec!["schema"],
        vec!["completions"],
    ] {
        let mut args = command.clone();
        args.push("--help");
        Test::new().args(args).stdout_contains("Examples").run();
    }
}
