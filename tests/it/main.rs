//! The integration tests, one binary (`cargo test --test it`), one module per suite. Every
//! test that runs `meshgen` does it through [`harness::Test`]; every snapshot follows the one
//! naming rule in [`harness`] (`golden/SUITE/CASE.snap` ↔ `tests/fixtures/SUITE/CASE.yaml`).
//!
//! - [`cli`]: `render` (stream, directory contract), bad profiles (suite `errors`), `profile`,
//!   `schema`, `--version`, usage errors, completions, a closed stdout;
//! - [`golden`]: golden renders of the built-in and fixture profiles (suites `builtin`,
//!   `profiles`), binding key order, and the naming rule itself;
//! - [`determinism`]: the same bytes across environments, locales and working directories;
//! - [`overlay`]: overlay errors (suite `overlays/errors`), behaviour, typed validation of
//!   patched objects, the example overlays (suite `overlays/examples`);
//! - [`compare`]: `check`, `diff`, `render --fail-on-change`, objects found twice;
//! - [`lint`]: every rule's trigger and pass fixtures (suite `lint`), the reports, `meshgen lint`;
//! - [`safety`]: issue #10's invariants over every golden render (CRDs pinned or warned about,
//!   no wave waiting on outside health, nothing shared prunable) and one test per item;
//! - [`sarif`]: SARIF validity against the vendored schema, placement in files;
//! - [`argocd`]: the Argo CD config-management plugin contract;
//! - [`generated`]: committed derived files (schemas, docs, man pages, CRD schemas);
//! - [`injection`]: meshgen's contract with istiod's injection templates;
//! - [`hostile`]: hostile input of every class (special files, budgets, values that would break
//!   the output, positions, the project root, the Argo CD environment), each bounded in time
//!   and memory (suites `hostile/profiles`, `hostile/overlays`, `hostile/manifests`);
//! - [`istio`]: revisions, tags, the canary upgrade doc, the knob fixtures against upstream;
//! - [`upstream`]: typed validation and the analyzers over upstream's own manifests;
//! - [`writer`]: `render --out` never damages a repository: refused `--out`s, foreign files,
//!   tampered locks, unique file names, interrupted renders, the SIGKILL crash test.

mod argocd;
mod cli;
mod compare;
mod determinism;
mod generated;
mod golden;
mod harness;
mod hostile;
mod injection;
mod istio;
mod lint;
mod overlay;
mod safety;
mod sarif;
mod upstream;
mod writer;
