//! Stage 1, the profile: meshgen's public input format ([`types`]), the built-in profiles
//! ([`builtin`]), loading a profile file with its `extends` chain ([`load`]), where every field
//! of the merged result was written ([`origins`]), its JSON Schema ([`schema`]) and the rules
//! that span several fields ([`validate`]).

pub mod builtin;
pub mod grammar;
pub mod load;
pub mod origins;
pub mod schema;
pub mod types;
pub mod validate;

pub use load::{LoadedProfile, ProfileSource, load};
pub use types::*;
