//! Same inputs, same bytes: renders in child processes with different environments, working
//! directories and locales must be identical, stream and directory alike.

use crate::harness::{Test, snapshot_dir};

#[test]
fn renders_are_byte_identical_across_environments() {
    let first = Test::new()
        .copy_fixture("profiles/namespaces.yaml", "project/namespaces.yaml")
        .current_dir("project")
        .env_clear()
        .env("TZ", "UTC")
        .env("LANG", "C")
        .args(["render", "namespaces.yaml"])
        .run();
    // The same files, named by absolute paths from another directory, in another locale.
    let project = first.path().join("project");
    let elsewhere = Test::new();
    let home = elsewhere.path().to_path_buf();
    elsewhere
        .current_dir("somewhere/else")
        .env_clear()
        .env("TZ", "Pacific/Chatham")
        .env("LANG", "tr_TR.UTF-8")
        .env("LC_ALL", "tr_TR.UTF-8")
        .env("HOME", &home)
        .arg("render")
        .arg(project.join("namespaces.yaml"))
        .arg("--root")
        .arg(&project)
        .stdout(first.stdout)
        .run();
}

#[test]
fn directory_renders_are_byte_identical() {
    let a = Test::new()
        .env("TZ", "UTC")
        .args(["render", "ambient", "--out", "out"])
        .run();
    let b = Test::new()
        .env("TZ", "Asia/Kathmandu")
        .env("LC_ALL", "de_DE.UTF-8")
        .current_dir("deeper")
        .args(["render", "ambient", "--out", "../out"])
        .run();
    assert_eq!(
        snapshot_dir(&a.path().join("out")),
        snapshot_dir(&b.path().join("out"))
    );
}
