//! Differential: where the fast YAML reader answers, it must answer exactly as serde-saphyr
//! does (the reference), so the fast path can never change what a template's output means.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meshgen::core::yaml;

fuzz_target!(|text: &str| {
    let (fast, reference) = yaml::parse_both_ways(text);
    if let Some(fast) = fast {
        match reference {
            Ok(reference) => assert_eq!(fast, reference, "the readers disagree on {text:?}"),
            Err(error) => {
                panic!("the fast reader accepts what serde-saphyr refuses ({error}): {text:?}")
            }
        }
    }
});
