//! The profile loader on arbitrary bytes as `meshgen.yaml`: loading (YAML, schema, `extends`,
//! merge, cross-field rules and value grammars) must end in a profile or an input error, and
//! every profile it accepts must render — a profile that loads but fails in a template, typed
//! validation or the analyzers' setup is a meshgen bug the fuzzer reports as a crash.

#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use meshgen::core::paths::ProjectRoot;
use meshgen::error::Error;
use meshgen::pipeline;
use meshgen::profile::ProfileSource;

/// A scratch project, one per fuzzing process.
static PROJECT: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("a temporary directory"));

fuzz_target!(|data: &[u8]| {
    let path: PathBuf = PROJECT.path().join("meshgen.yaml");
    std::fs::write(&path, data).expect("write the profile");
    let root = ProjectRoot::new(PROJECT.path()).expect("the project root");
    let Ok(loaded) = pipeline::load_profile(&ProfileSource::Path(path), &root) else {
        return;
    };
    match pipeline::render(loaded, &root, &[]) {
        Ok(_) => {}
        // Inputs a profile can name (missing CRD bundles, overlays) are fine to refuse ...
        Err(Error::Input(_) | Error::Inputs(_) | Error::Io { .. } | Error::Lint(_)) => {}
        // ... a template failing on an accepted profile is not.
        Err(error @ Error::Template { .. }) => {
            panic!("accepted profile fails to render: {error:?}")
        }
    }
});
