//! YAML in and out. This is the only module that knows the YAML crate (serde-saphyr): it parses
//! user files into JSON values plus an index of where every value came from, parses rendered
//! template output, and writes the canonical YAML stream. serde-saphyr was chosen because it
//! quotes the YAML 1.1 spellings (`"on"`, `"yes"`, `"0755"`) that Kubernetes' reader would
//! otherwise turn into booleans and numbers.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::{Location, Spanned};

mod subset;

/// A 1-based line and column in a YAML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    pub line: u64,
    pub column: u64,
}

impl From<Location> for Loc {
    fn from(location: Location) -> Loc {
        Loc {
            line: location.line(),
            column: location.column(),
        }
    }
}

/// Where every value of a parsed document came from, keyed by JSON Pointer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Positions {
    /// Position of each value (the root is `""`).
    pub values: BTreeMap<String, Loc>,
    /// Position of the key of each mapping entry.
    pub keys: BTreeMap<String, Loc>,
}

impl Positions {
    /// Best position to point at for the entry at `pointer`: its key, else its value, else the
    /// nearest enclosing entry.
    pub fn locate(&self, pointer: &str) -> Option<Loc> {
        let mut current = pointer;
        loop {
            if let Some(loc) = self.keys.get(current).or_else(|| self.values.get(current)) {
                return Some(*loc);
            }
            current = &current[..current.rfind('/')?];
        }
    }

    /// Position of the value at `pointer` (falls back like [`Positions::locate`]).
    pub fn locate_value(&self, pointer: &str) -> Option<Loc> {
        self.values
            .get(pointer)
            .copied()
            .or_else(|| self.locate(pointer))
    }

    /// Forgets everything at and below `pointer`.
    pub fn remove_subtree(&mut self, pointer: &str) {
        let below = format!("{pointer}/");
        let keep = |key: &String| key != pointer && !key.starts_with(&below);
        self.values.retain(|key, _| keep(key));
        self.keys.retain(|key, _| keep(key));
    }

    /// Takes over every position of `other` (later layers win).
    pub fn overlay(&mut self, other: &Positions) {
        self.values
            .extend(other.values.iter().map(|(k, v)| (k.clone(), *v)));
        self.keys
            .extend(other.keys.iter().map(|(k, v)| (k.clone(), *v)));
    }
}

/// A YAML syntax (or structure) error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub loc: Option<Loc>,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(loc) = self.loc {
            write!(f, " (line {}, column {})", loc.line, loc.column)?;
        }
        Ok(())
    }
}

impl SyntaxError {
    fn from_saphyr(error: &serde_saphyr::Error) -> SyntaxError {
        let loc = error.location().map(Loc::from).filter(|loc| loc.line > 0);
        let mut message = error.to_string();
        // The crate appends " at line N, column M"; the position is reported separately.
        if let Some(index) = message.rfind(" at line ") {
            message.truncate(index);
        }
        // Replace the crate's advice to Rust programmers with advice to YAML authors.
        if let Some(key) = message.strip_prefix("duplicate mapping key: ") {
            let key = key.split(',').next().unwrap_or(key);
            message = format!("duplicate key `{key}`");
        } else if message.starts_with("multiple YAML documents detected") {
            message = "more than one YAML document".to_owned();
        }
        SyntaxError { message, loc }
    }
}

/// A YAML node with the position of every value, as deserialised through `Spanned`.
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::UInt(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = access.next_element()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = access.next_entry()? {
                    entries.push(entry);
                }
                Ok(Node::Map(entries))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

fn into_json(
    node: Spanned<Node>,
    pointer: &mut String,
    positions: &mut Positions,
) -> Result<Value, SyntaxError> {
    positions
        .values
        .insert(pointer.clone(), node.referenced.into());
    Ok(match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => Value::from(i),
        Node::UInt(u) => Value::from(u),
        Node::Float(f) => Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| SyntaxError {
                message: format!("`{f}` is not a number JSON can hold; quote it if it is a string"),
                loc: Some(node.referenced.into()),
            })?,
        Node::Str(s) => Value::String(s),
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                out.push(into_json(item, pointer, positions)?);
                pointer.truncate(len);
            }
            Value::Array(out)
        }
        Node::Map(entries) => {
            let mut out = Map::with_capacity(entries.len());
            for (key, value) in entries {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.value.replace('~', "~0").replace('/', "~1"));
                positions
                    .keys
                    .insert(pointer.clone(), key.referenced.into());
                let value = into_json(value, pointer, positions)?;
                pointer.truncate(len);
                out.insert(key.value, value);
            }
            Value::Object(out)
        }
    })
}

/// Parses a user-written file that must hold exactly one YAML document. YAML 1.2 booleans only
/// (`on` stays a string): the profile is meshgen's own format, so there is no 1.1 legacy to honour.
/// Returns `Ok(None)` for an empty document.
pub fn parse_document(text: &str) -> Result<Option<(Value, Positions)>, SyntaxError> {
    let options = serde_saphyr::options! { strict_booleans: true, with_snippet: false };
    let node: Spanned<Node> = serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| SyntaxError::from_saphyr(&e))?;
    if matches!(node.value, Node::Null)
        && text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---")
    {
        return Ok(None);
    }
    let mut positions = Positions::default();
    let value = into_json(node, &mut String::new(), &mut positions)?;
    Ok(Some((value, positions)))
}

/// Parses a stream of Kubernetes manifests (rendered templates, overlay resources, manifests a
/// user lints) the way the API server's reader sees them: YAML 1.1 booleans and legacy octal
/// numbers. Empty documents are skipped. Each document comes with its starting line.
pub fn parse_stream(text: &str) -> Result<Vec<(Value, Positions)>, SyntaxError> {
    let options = serde_saphyr::options! { legacy_octal_numbers: true, with_snippet: false };
    let nodes: Vec<Spanned<Node>> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| SyntaxError::from_saphyr(&e))?;
    let mut documents = Vec::with_capacity(nodes.len());
    for node in nodes {
        if matches!(node.value, Node::Null) {
            continue;
        }
        let mut positions = Positions::default();
        let value = into_json(node, &mut String::new(), &mut positions)?;
        documents.push((value, positions));
    }
    Ok(documents)
}

/// Parses a stream of manifests without positions: meshgen's own rendered templates, which are
/// never shown to users as source. Same reading rules as [`parse_stream`]. Most template output
/// stays inside a simple block subset that a dedicated reader handles several times faster;
/// anything else is read by serde-saphyr.
pub fn parse_manifests(text: &str) -> Result<Vec<Value>, SyntaxError> {
    match subset::parse(text) {
        Some(documents) => Ok(documents),
        None => parse_manifests_with_saphyr(text),
    }
}

/// Both readers' results, for the test that keeps them in agreement.
#[cfg(test)]
pub(crate) fn parse_both_ways(text: &str) -> (Option<Vec<Value>>, Result<Vec<Value>, SyntaxError>) {
    (subset::parse(text), parse_manifests_with_saphyr(text))
}

fn parse_manifests_with_saphyr(text: &str) -> Result<Vec<Value>, SyntaxError> {
    let options = serde_saphyr::options! { legacy_octal_numbers: true, with_snippet: false };
    let documents: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| SyntaxError::from_saphyr(&e))?;
    Ok(documents.into_iter().filter(|d| !d.is_null()).collect())
}

fn writer_options() -> serde_saphyr::SerializerOptions {
    // Long single-line strings (annotations, JSON) stay on one line: folding is legal but makes
    // noisy diffs.
    serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX }
}

/// Writes one document as YAML, ending with a newline.
///
/// The structure (block maps, kubectl-style block sequences, literal blocks for multi-line
/// strings) is written here directly; every scalar whose plain spelling could be misread —
/// YAML 1.1 booleans, numbers, dates, indicators — is written by serde-saphyr, which knows how
/// to quote it. A test checks this writer against serde-saphyr's whole-document output on every
/// built-in profile, so the two never disagree; this one is several times faster.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0, false),
        other => {
            write_inline(&mut out, other, 2);
            out.push('\n');
        }
    }
    out
}

/// The reference writer: serde-saphyr for the whole document.
fn to_yaml_with_saphyr(value: &Value) -> String {
    let mut text = serde_saphyr::to_string_with_options(value, writer_options())
        .expect("a JSON value always serialises to YAML");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A block mapping at `indent`; with `first_inline` its first key continues the current line
/// (after a sequence dash).
fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize, first_inline: bool) {
    for (index, (key, value)) in map.iter().enumerate() {
        if index > 0 || !first_inline {
            pad(out, indent);
        }
        write_scalar_str(out, key, indent + 2);
        out.push(':');
        match value {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                write_map(out, child, indent + 2, false);
            }
            // kubectl style: a sequence under a key starts at the key's column.
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, indent, false);
            }
            other => {
                out.push(' ');
                write_inline(out, other, indent + 2);
                out.push('\n');
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize, first_inline: bool) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 || !first_inline {
            pad(out, indent);
        }
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => write_map(out, map, indent + 2, true),
            Value::Array(inner) if !inner.is_empty() => write_seq(out, inner, indent + 2, true),
            other => {
                write_inline(out, other, indent + 2);
                out.push('\n');
            }
        }
    }
}

/// A value that fits after `key: ` or `- `: a scalar, an empty collection, or the header and
/// lines of a literal block (whose content goes at `indent`). Writes no final newline.
fn write_inline(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) if !number.is_f64() => out.push_str(&number.to_string()),
        Value::Number(_) => write_with_saphyr(out, value, indent),
        Value::String(text) => write_scalar_str(out, text, indent),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

fn write_scalar_str(out: &mut String, text: &str, indent: usize) {
    if is_plain_safe(text) {
        out.push_str(text);
    } else if is_literal_block_safe(text) {
        write_literal_block(out, text, indent);
    } else {
        write_with_saphyr(out, &Value::String(text.to_owned()), indent);
    }
}

/// Plain scalars that no YAML reader (1.1 or 1.2) takes for anything but this string: a
/// letter or `/` first, then only characters without meaning in YAML, and not one of the YAML
/// 1.1 boolean or null words.
fn is_plain_safe(text: &str) -> bool {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '/') {
        return false;
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-' | b' '))
    {
        return false;
    }
    if text.ends_with(' ') || text.contains("  ") {
        return false;
    }
    const WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    !WORDS.iter().any(|word| word.eq_ignore_ascii_case(text))
}

/// Multi-line text that reads back unchanged from a literal block without an indentation
/// indicator.
fn is_literal_block_safe(text: &str) -> bool {
    let body = text.trim_end_matches('\n');
    if body.is_empty() || !text.contains('\n') || text.starts_with([' ', '\t', '\n']) {
        return false;
    }
    // One pass over the bytes (payloads run to 100 KB): no line may be only blanks, and no
    // character may need escaping.
    let mut blank_line = true;
    let mut line_empty = true;
    for &byte in body.as_bytes() {
        match byte {
            b'\n' => {
                if blank_line && !line_empty {
                    return false;
                }
                blank_line = true;
                line_empty = true;
            }
            b' ' | b'\t' => line_empty = false,
            0..=0x1f | 0x7f => return false,
            _ => {
                blank_line = false;
                line_empty = false;
            }
        }
    }
    if blank_line && !line_empty {
        return false;
    }
    // Non-ASCII text: C1 controls, line and paragraph separators and the BOM need escaping too.
    body.is_ascii()
        || body
            .chars()
            .all(|c| !(c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')))
}

fn write_literal_block(out: &mut String, text: &str, indent: usize) {
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    out.push_str(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// serde-saphyr's spelling of one scalar, re-indented when it is a block.
fn write_with_saphyr(out: &mut String, value: &Value, indent: usize) {
    let text = to_yaml_with_saphyr(value);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let mut lines = text.split('\n');
    out.push_str(lines.next().unwrap_or_default());
    // Its blocks are indented by two at top level; ours go at `indent`.
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent.saturating_sub(2));
            out.push_str(line);
        }
    }
}

/// Writes documents as one YAML stream separated by `---`.
pub fn to_yaml_stream<'a>(values: impl IntoIterator<Item = &'a Value>) -> String {
    let mut out = String::new();
    for value in values {
        out.push_str("---\n");
        out.push_str(&to_yaml(value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_point_at_keys_and_values() {
        let (value, positions) = parse_document("a: 1\nb:\n  - x: on\n").unwrap().unwrap();
        assert_eq!(value, serde_json::json!({"a": 1, "b": [{"x": "on"}]}));
        assert_eq!(positions.keys["/b/0/x"], Loc { line: 3, column: 5 });
        assert_eq!(positions.values["/b/0/x"], Loc { line: 3, column: 8 });
        assert_eq!(
            positions.locate("/b/0/missing"),
            Some(Loc { line: 3, column: 5 })
        );
    }

    #[test]
    fn duplicate_keys_and_documents_are_errors() {
        let dup = parse_document("a: 1\na: 2\n").unwrap_err();
        assert_eq!(dup.message, "duplicate key `a`");
        assert_eq!(dup.loc, Some(Loc { line: 2, column: 1 }));
        let multi = parse_document("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(multi.message, "more than one YAML document");
        assert!(parse_document("# nothing\n").unwrap().is_none());
    }

    #[test]
    fn writer_agrees_with_serde_saphyr() {
        let cases = serde_json::json!({
            "a": [[1, 2], ["x"], {}, [], {"k": "v", "l": [1]}, "multi\nline\n", "  lead\nx\n"],
            "f": 0.5, "g": 1e20, "h": -3, "n": null, "e": {}, "m": "x\n\n\n", "t": "a\tb\nc  \n",
            "k": {"deep": {"x": "trail\n", "y": "no end\nline"}}, "s": "", "q": "it's", "u": "é ü",
            "dash": "-x", "colon": "a: b", "url": "http://x", "star": "*", "p": "50%", "tilde": "~",
            "Yes": "NO", "On": "off", "y": "Y", "1.10": "0755", "date": "2001-12-14", "cr": "a\r\nb",
            "blank": "a\n   \nb\n", "tab": "\tx\ny", "nel": "a\u{85}b", "key with space": "v v",
            "lead_newline": "\nabc\n", "image": "docker.io/istio/pilot:1.30.3", "json": "{\"a\": 1}", "hash": "a #b",
        });
        assert_eq!(to_yaml(&cases), to_yaml_with_saphyr(&cases));
        for scalar in [
            serde_json::json!("on"),
            serde_json::json!(null),
            serde_json::json!({}),
            serde_json::json!([]),
        ] {
            assert_eq!(to_yaml(&scalar), to_yaml_with_saphyr(&scalar));
        }
    }

    #[test]
    fn writer_agrees_with_serde_saphyr_on_every_builtin_render() {
        let root = crate::paths::ProjectRoot::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap();
        for (name, _) in crate::profile::load::BUILTIN_PROFILES {
            let source = crate::profile::ProfileSource::Builtin((*name).to_owned());
            for resource in crate::pipeline::render(&source, &root).unwrap().resources {
                assert_eq!(
                    to_yaml(&resource.object),
                    to_yaml_with_saphyr(&resource.object),
                    "{name}: {}",
                    resource.identity()
                );
            }
        }
    }

    #[test]
    fn writer_quotes_yaml_1_1_lookalikes() {
        let text = to_yaml(&serde_json::json!({"on": "on", "v": "1.10", "o": "0755", "t": true}));
        assert_eq!(text, "\"on\": \"on\"\nv: \"1.10\"\no: \"0755\"\nt: true\n");
    }

    #[test]
    fn fast_path_reads_like_the_positioned_one() {
        let text = "a: on\nm: 0644\nl: [1, x]\n---\n---\nb: 2\n";
        let positioned: Vec<Value> = parse_stream(text)
            .unwrap()
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        assert_eq!(parse_manifests(text).unwrap(), positioned);
    }

    #[test]
    fn stream_reads_like_kubernetes() {
        let docs = parse_stream("a: on\nm: 0644\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].0, serde_json::json!({"a": true, "m": 420}));
    }
}
