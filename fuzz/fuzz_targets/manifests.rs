//! The manifest-stream reader `diff` and `lint --manifests` use, on arbitrary text: parsing,
//! the object checks, the duplicate check and the analyzers (typed validation included) over
//! whatever it accepts must end in a result or an input error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meshgen::compare::Manifests;
use meshgen::lint::LintOptions;

fuzz_target!(|text: &str| {
    let Ok(manifests) = Manifests::from_stream("fuzz.yaml", text) else {
        return;
    };
    let _ = manifests.lint(&LintOptions::default());
    let _ = meshgen::compare::diff_objects(&manifests, &manifests);
});
