//! `docs/analyzers.md` is generated from the analyzer catalogue and must not drift from it.
//! `MESHGEN_BLESS=1 cargo test --test lint_docs` rewrites it.

use std::path::PathBuf;

use meshgen::lint::{RULES, catalogue_markdown, explain};

#[test]
fn docs_analyzers_md_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/analyzers.md");
    let generated = catalogue_markdown();
    if std::env::var_os("MESHGEN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("docs dir")).expect("create docs/");
        std::fs::write(&path, &generated).expect("write docs/analyzers.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/analyzers.md is stale: run `MESHGEN_BLESS=1 cargo test --test lint_docs` and commit it"
    );
}

#[test]
fn every_rule_is_documented_and_explained() {
    let docs = catalogue_markdown();
    for rule in RULES {
        assert!(
            docs.contains(&format!("\n## {}\n", rule.code)),
            "{}",
            rule.code
        );
        let text = explain(rule.code).expect("explain knows every code");
        assert!(
            text.contains(rule.fix) && text.contains(rule.why),
            "{}",
            rule.code
        );
    }
}
