//! Renderers of a [`super::Report`] as data: JSON for scripts ([`json`]) and SARIF 2.1.0 for
//! code-scanning UIs ([`sarif`]). The human text report is rendered with every other diagnostic,
//! in `cli::report`.

pub mod json;
pub mod sarif;

pub use json::to_json;
pub use sarif::to_sarif;
