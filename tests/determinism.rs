//! Same inputs, same bytes: renders in child processes with different environments, working
//! directories and locales must be identical, stream and directory alike.

mod common;

use common::{Meshgen, snapshot_dir};

#[test]
fn renders_are_byte_identical_across_environments() {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let profile = format!("{manifest}/tests/fixtures/profiles/namespaces.yaml");
    let first = Meshgen::new()
        .env_clear()
        .env("TZ", "UTC")
        .env("LANG", "C")
        .args(["render", &profile, "--root", manifest])
        .run();
    let elsewhere = tempfile::tempdir().unwrap();
    let second = Meshgen::new()
        .env_clear()
        .env("TZ", "Pacific/Chatham")
        .env("LANG", "tr_TR.UTF-8")
        .env("LC_ALL", "tr_TR.UTF-8")
        .env("HOME", elsewhere.path())
        .current_dir(elsewhere.path())
        .args(["render", &profile, "--root", manifest])
        .run();
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn directory_renders_are_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for (dir, tz) in [(&a, "UTC"), (&b, "Asia/Kathmandu")] {
        let run = Meshgen::new()
            .env("TZ", tz)
            .args(["render", "ambient", "--out"])
            .args([dir.path().join("out")])
            .run();
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_eq!(
        snapshot_dir(&a.path().join("out")),
        snapshot_dir(&b.path().join("out"))
    );
}
