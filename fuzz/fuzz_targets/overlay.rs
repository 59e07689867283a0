//! The overlay loader and patch engine on arbitrary bytes as an overlay file, applied to the
//! built-in default profile's render: reading, targeting, JSON Patch and Merge Patch (also on
//! embedded documents), the budgets on patch results, finishing and typed validation must end
//! in a render or an input error, never a panic, a hang or unbounded memory.

#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use meshgen::core::paths::ProjectRoot;
use meshgen::error::Error;
use meshgen::pipeline;
use meshgen::profile::ProfileSource;

static PROJECT: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("a temporary directory"));

fuzz_target!(|data: &[u8]| {
    let path: PathBuf = PROJECT.path().join("overlay.yaml");
    std::fs::write(&path, data).expect("write the overlay");
    let root = ProjectRoot::new(PROJECT.path()).expect("the project root");
    let source = ProfileSource::Builtin("default".into());
    let loaded = pipeline::load_profile(&source, &root).expect("the default profile loads");
    match pipeline::render(loaded, &root, &[path]) {
        Ok(_) | Err(Error::Input(_) | Error::Inputs(_) | Error::Io { .. } | Error::Lint(_)) => {}
        Err(error @ Error::Template { .. }) => panic!("the default profile fails: {error:?}"),
    }
});
