//! Shared vocabulary of every stage, with no knowledge of the pipeline: objects and their
//! identity ([`resource`]), where a problem is and how it is described ([`source`],
//! [`diagnostic`]), JSON Pointers and patches ([`pointer`], [`patch`]), YAML ([`yaml`]),
//! reading inputs ([`paths`]), schema checks ([`structural`]), label selectors ([`selector`]),
//! digests, suggestions and the names Istio, Knative and Argo CD give meaning to
//! ([`wellknown`]).

pub mod diagnostic;
pub mod digest;
pub mod patch;
pub mod paths;
pub mod pointer;
pub mod resource;
pub mod selector;
pub mod source;
pub mod structural;
pub mod suggest;
pub mod versions;
pub mod wellknown;
pub mod yaml;
