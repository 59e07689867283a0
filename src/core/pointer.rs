//! JSON Pointers (RFC 6901): the one place that escapes and unescapes reference tokens, and the
//! one way meshgen shows a pointer to people (`spec.istio.pilot`, `patches[0].target`,
//! `metadata.labels["istio.io/rev"]`). Profiles, overlays, analyzers, typed validation and
//! diffs all name fields through this module, so a field is spelled the same in every message.

use std::borrow::Cow;
use std::fmt;

/// A parsed JSON Pointer: its reference tokens, unescaped (`~1` → `/`, `~0` → `~`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pointer {
    pub tokens: Vec<String>,
}

/// Why a string is not a JSON Pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointerError {
    #[error(
        "`{0}` is not a JSON Pointer: it must start with `/` (or be empty for the whole object)"
    )]
    NoLeadingSlash(String),
    #[error("`{0}` is not a JSON Pointer: `~` must be followed by `0` (for `~`) or `1` (for `/`)")]
    BadEscape(String),
}

impl Pointer {
    /// The pointer to the whole document.
    pub fn root() -> Pointer {
        Pointer::default()
    }

    /// Parses `text` (`""` is the whole document).
    pub fn parse(text: &str) -> Result<Pointer, PointerError> {
        if text.is_empty() {
            return Ok(Pointer::root());
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(PointerError::NoLeadingSlash(text.to_owned()));
        };
        rest.split('/')
            .map(|raw| unescape(raw).ok_or_else(|| PointerError::BadEscape(text.to_owned())))
            .collect::<Result<_, _>>()
            .map(|tokens| Pointer { tokens })
    }

    /// This pointer with one more token.
    pub fn child(&self, token: impl Into<String>) -> Pointer {
        let mut tokens = self.tokens.clone();
        tokens.push(token.into());
        Pointer { tokens }
    }

    /// The first `depth` tokens, written back as a pointer string.
    pub fn prefix(&self, depth: usize) -> String {
        join(self.tokens[..depth.min(self.tokens.len())].iter())
    }

    /// How people read it: see [`human`].
    pub fn human(&self) -> String {
        human_tokens(self.tokens.iter().map(String::as_str))
    }
}

impl fmt::Display for Pointer {
    /// The RFC 6901 string form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&join(self.tokens.iter()))
    }
}

/// Escapes one reference token (`~` → `~0`, `/` → `~1`).
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Unescapes one reference token; `None` when a `~` is not followed by `0` or `1`.
pub fn unescape(raw: &str) -> Option<String> {
    let mut token = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => token.push('~'),
                Some('1') => token.push('/'),
                _ => return None,
            }
        } else {
            token.push(c);
        }
    }
    Some(token)
}

/// Appends `/<escaped token>` to a pointer string.
pub fn push(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&escape(token));
}

/// `pointer` + `/<escaped token>`.
pub fn join_token(pointer: &str, token: &str) -> String {
    let mut joined = pointer.to_owned();
    push(&mut joined, token);
    joined
}

fn join<'a>(tokens: impl Iterator<Item = &'a String>) -> String {
    let mut out = String::new();
    for token in tokens {
        push(&mut out, token);
    }
    out
}

/// The tokens of a pointer string, unescaped; a malformed escape is kept as written.
pub fn tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|raw| unescape(raw).unwrap_or_else(|| raw.to_owned()))
        .collect()
}

/// A pointer string as people read a field path: `spec.istio.pilot`, `patches[0].target`,
/// `metadata.labels["istio.io/rev"]`; the whole document is `the top level`.
pub fn human(pointer: &str) -> String {
    let tokens = tokens(pointer);
    human_tokens(tokens.iter().map(String::as_str))
}

fn human_tokens<'a>(tokens: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for token in tokens {
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(token);
            out.push(']');
        } else if !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(token);
        } else {
            out.push_str(&format!("[{token:?}]"));
        }
    }
    if out.is_empty() {
        "the top level".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print_round_trip() {
        let pointer = Pointer::parse("/metadata/labels/istio.io~1rev/a~0b").unwrap();
        assert_eq!(
            pointer.tokens,
            ["metadata", "labels", "istio.io/rev", "a~b"]
        );
        assert_eq!(pointer.to_string(), "/metadata/labels/istio.io~1rev/a~0b");
        assert_eq!(pointer.prefix(2), "/metadata/labels");
        assert!(matches!(
            Pointer::parse("spec"),
            Err(PointerError::NoLeadingSlash(_))
        ));
        assert!(matches!(
            Pointer::parse("/a~2"),
            Err(PointerError::BadEscape(_))
        ));
    }

    #[test]
    fn human_paths() {
        assert_eq!(human(""), "the top level");
        assert_eq!(human("/spec/istio/pilot"), "spec.istio.pilot");
        assert_eq!(human("/patches/0/target"), "patches[0].target");
        assert_eq!(
            human("/metadata/labels/istio.io~1rev"),
            "metadata.labels[\"istio.io/rev\"]"
        );
    }
}
