//! YAML in and out, through one crate (serde-saphyr) and one set of scalar rules: this is the
//! only module that knows it. It parses user files into JSON values plus an index of where every
//! key and value came from, parses rendered template output, and writes the canonical YAML
//! stream. serde-saphyr was chosen because it quotes the YAML 1.1 spellings (`"on"`, `"yes"`,
//! `"0755"`) that Kubernetes' reader would otherwise turn into booleans and numbers.
//!
//! Two hot paths have a fast implementation beside serde-saphyr: reading meshgen's own template
//! output ([`fast_read`], a block subset) and writing ([`fast_write`]). With serde-saphyr alone,
//! `meshgen render default` executes about 2.2 times the instructions and takes 1.5 times as
//! long (measured: `valgrind --tool=callgrind`, `hyperfine -N`; see the README's "Speed"), far
//! over the 20 % that would justify one path only. The risk of two paths — their scalar rules
//! disagreeing, which would change the bytes users commit — is kept out by construction and by
//! test: the fast paths handle only scalars that are unambiguous in every YAML version (the YAML
//! 1.1 words are listed once, here) and hand everything else to serde-saphyr; tests compare
//! both paths on every built-in and fixture render, and fuzz targets compare them on arbitrary
//! input.
//!
//! Every parse runs under a budget (depth, nodes, documents), so a hostile input fails with a
//! positioned error instead of exhausting memory or the stack.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::{Location, MessageFormatter as _, Spanned};

use super::pointer;

mod fast_read;
mod fast_write;

/// The words some YAML reader takes for a boolean, null or special float (in any letter case):
/// never written or read as plain strings by the fast paths, which leave them to serde-saphyr
/// (`nan` and `inf`: the `yaml_writer` fuzz target found serde-saphyr quoting `nAn`).
const YAML_1_1_WORDS: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity",
];

pub(crate) fn is_yaml_1_1_word(text: &str) -> bool {
    YAML_1_1_WORDS
        .iter()
        .any(|word| word.eq_ignore_ascii_case(text))
}

/// A 1-based line and column in a YAML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    pub line: u64,
    pub column: u64,
}

impl Loc {
    /// The start of a text.
    pub const START: Loc = Loc { line: 1, column: 1 };
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
}

/// What kind of YAML problem a [`SyntaxError`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxKind {
    /// A mapping repeats a key.
    DuplicateKey(String),
    /// A single-document file holds several documents.
    MultipleDocuments,
    /// The input exceeds a parsing budget (depth, nodes, documents, aliases).
    Budget,
    /// A number JSON cannot hold (NaN, infinity).
    NonFiniteNumber,
    /// Any other syntax error.
    Syntax,
}

/// A YAML syntax (or structure) error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: SyntaxKind,
    /// The problem in the YAML author's terms, without a position.
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
        let (kind, message) = match error {
            serde_saphyr::Error::DuplicateMappingKey { key, .. } => {
                let key = key.clone().unwrap_or_default();
                let message = format!("duplicate key `{}`", super::diagnostic::shown(&key));
                (SyntaxKind::DuplicateKey(key), message)
            }
            serde_saphyr::Error::MultipleDocuments { .. } => (
                SyntaxKind::MultipleDocuments,
                "more than one YAML document".to_owned(),
            ),
            serde_saphyr::Error::Budget { .. } => (
                SyntaxKind::Budget,
                format!(
                    "the YAML is larger or deeper than meshgen reads ({})",
                    serde_saphyr::UserMessageFormatter.format_message(error)
                ),
            ),
            // The scanner's own bound on flow nesting (`[[[…`): a depth budget too.
            serde_saphyr::Error::ExternalMessage { source, .. }
                if matches!(
                    &**source,
                    serde_saphyr::localizer::ExternalMessageSource::Parser(scan)
                        if matches!(scan.kind(), serde_saphyr::granit_parser::ErrorKind::RecursionLimitExceeded)
                ) =>
            {
                (
                    SyntaxKind::Budget,
                    "the YAML is larger or deeper than meshgen reads (flow collections nest too deeply)"
                        .to_owned(),
                )
            }
            other => (
                SyntaxKind::Syntax,
                serde_saphyr::UserMessageFormatter
                    .format_message(other)
                    .into_owned(),
            ),
        };
        SyntaxError { kind, message, loc }
    }
}

/// How much of a YAML text meshgen is willing to read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Nesting of mappings and sequences.
    pub depth: usize,
    /// Documents in one stream.
    pub documents: usize,
    /// Nodes (scalars, mappings, sequences) in one text.
    pub nodes: usize,
}

impl Limits {
    /// A file a person writes: a profile, an overlay, a lock file, plugin parameters.
    pub const AUTHORED: Limits = Limits {
        depth: 64,
        // One document is read; the parser's own check names a second one.
        documents: 16,
        nodes: 1_000_000,
    };
    /// A manifest stream: CRD bundles, overlay resource files, renders given to `diff` and
    /// `lint`. Room for the largest real renders (hundreds of thousands of objects) and for
    /// CRD schemas, which nest deepest (28 levels in Istio 1.30.3's).
    pub const MANIFESTS: Limits = Limits {
        depth: 64,
        documents: 1_000_000,
        nodes: 100_000_000,
    };

    fn budget(self) -> serde_saphyr::Budget {
        let mut budget = serde_saphyr::Budget::default();
        budget.max_depth = self.depth;
        budget.max_documents = self.documents;
        budget.max_nodes = self.nodes;
        budget.max_events = self.nodes.saturating_mul(2);
        budget
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
                kind: SyntaxKind::NonFiniteNumber,
                message: format!("`{f}` is not a number JSON can hold; quote it if it is a string"),
                loc: Some(node.referenced.into()),
            })?,
        Node::Str(s) => Value::String(s),
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let len = pointer.len();
                pointer::push(pointer, &index.to_string());
                out.push(into_json(item, pointer, positions)?);
                pointer.truncate(len);
            }
            Value::Array(out)
        }
        Node::Map(entries) => {
            let mut out = Map::with_capacity(entries.len());
            for (key, value) in entries {
                let len = pointer.len();
                pointer::push(pointer, &key.value);
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
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
        budget: Some(Limits::AUTHORED.budget()),
    };
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

/// Parses a stream of Kubernetes manifests (overlay resources, CRD bundles, manifests a user
/// diffs or lints) the way the API server's reader sees them: YAML 1.1 booleans and legacy
/// octal numbers. Empty documents are skipped. Each document comes with its positions.
///
/// Streams can be large (a render of thousands of namespaces, 100,000 documents), and
/// serde-saphyr with positions costs about 15,000 instructions a line, so the stream is split
/// at its `---` lines and each document the fast reader understands is read by it, with the
/// position of the document alone (enough to name the object; a problem inside it is found by
/// the checks that read it again). Other documents, and streams with directives or `...`, are
/// read by serde-saphyr with every position.
pub fn parse_stream(text: &str) -> Result<Vec<(Value, Positions)>, SyntaxError> {
    let Some(parts) = split_documents(text) else {
        return parse_stream_with_saphyr(text);
    };
    if parts.len() > Limits::MANIFESTS.documents {
        return Err(SyntaxError {
            kind: SyntaxKind::Budget,
            message: format!(
                "the YAML is larger or deeper than meshgen reads (more than {} documents)",
                Limits::MANIFESTS.documents
            ),
            loc: Some(Loc {
                line: parts[Limits::MANIFESTS.documents].0,
                column: 1,
            }),
        });
    }
    let mut documents = Vec::new();
    for (first_line, part) in parts {
        let fast = fast_read::parse(part).filter(|docs| docs.len() <= 1);
        match fast {
            Some(docs) => {
                if let Some(value) = docs.into_iter().next() {
                    let mut positions = Positions::default();
                    positions
                        .values
                        .insert(String::new(), content_start(part, first_line));
                    documents.push((value, positions));
                }
            }
            None => {
                let shift = |loc: Loc| Loc {
                    line: loc.line + first_line - 1,
                    column: loc.column,
                };
                let parsed = parse_stream_with_saphyr(part).map_err(|mut error| {
                    error.loc = error.loc.map(shift);
                    error
                })?;
                for (value, mut positions) in parsed {
                    for loc in positions
                        .values
                        .values_mut()
                        .chain(positions.keys.values_mut())
                    {
                        *loc = shift(*loc);
                    }
                    documents.push((value, positions));
                }
            }
        }
    }
    Ok(documents)
}

/// The documents of a stream as (line of their first line, text), split at lines that are
/// exactly `---` (YAML forbids such a line inside a document, so the split is exact). `None`
/// for streams whose markers the split does not cover: directives (`%`), `...`, or `---` with
/// content after it.
fn split_documents(text: &str) -> Option<Vec<(u64, &str)>> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut first_line = 1u64;
    let mut offset = 0;
    for (line_number, line) in (1u64..).zip(text.split_inclusive('\n')) {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        let bare = bare.strip_suffix('\r').unwrap_or(bare);
        if bare == "---" {
            parts.push((first_line, &text[start..offset]));
            start = offset + line.len();
            first_line = line_number + 1;
        } else if bare.starts_with('%') || bare.starts_with("---") || bare.starts_with("...") {
            return None;
        }
        offset += line.len();
    }
    parts.push((first_line, &text[start..]));
    Some(parts)
}

/// Where the content of a document starts: its first line that is not blank or a comment.
fn content_start(part: &str, first_line: u64) -> Loc {
    for (index, line) in part.lines().enumerate() {
        let text = line.trim_start_matches(' ');
        if !(text.is_empty() || text.starts_with('#')) {
            return Loc {
                line: first_line + index as u64,
                column: (line.len() - text.len()) as u64 + 1,
            };
        }
    }
    Loc {
        line: first_line,
        column: 1,
    }
}

/// [`parse_stream`] by serde-saphyr alone, with every position.
fn parse_stream_with_saphyr(text: &str) -> Result<Vec<(Value, Positions)>, SyntaxError> {
    let options = serde_saphyr::options! {
        legacy_octal_numbers: true,
        with_snippet: false,
        budget: Some(Limits::MANIFESTS.budget()),
    };
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
/// never shown to users as source. Same reading rules as [`parse_stream`]; most template
/// output is read by the fast reader.
pub fn parse_manifests(text: &str) -> Result<Vec<Value>, SyntaxError> {
    match fast_read::parse(text) {
        Some(documents) => Ok(documents),
        None => parse_manifests_with_saphyr(text),
    }
}

/// Both readers' results, for the tests and fuzz targets that keep them in agreement: the fast
/// reader's (`None` when it gives up) and serde-saphyr's.
pub fn parse_both_ways(text: &str) -> (Option<Vec<Value>>, Result<Vec<Value>, SyntaxError>) {
    (fast_read::parse(text), parse_manifests_with_saphyr(text))
}

pub(crate) fn parse_manifests_with_saphyr(text: &str) -> Result<Vec<Value>, SyntaxError> {
    let options = serde_saphyr::options! {
        legacy_octal_numbers: true,
        with_snippet: false,
        budget: Some(Limits::MANIFESTS.budget()),
    };
    let documents: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| SyntaxError::from_saphyr(&e))?;
    Ok(documents.into_iter().filter(|d| !d.is_null()).collect())
}

/// Writes one document as YAML, ending with a newline (the fast writer).
pub fn to_yaml(value: &Value) -> String {
    fast_write::write(value)
}

/// serde-saphyr's spelling of a whole document: the reference the fast writer must equal.
pub fn to_yaml_with_saphyr(value: &Value) -> String {
    // Long single-line strings (annotations, JSON) stay on one line: folding is legal but makes
    // noisy diffs.
    let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
    let mut text = serde_saphyr::to_string_with_options(value, options)
        .expect("a JSON value always serialises to YAML");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
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
        assert_eq!(dup.kind, SyntaxKind::DuplicateKey("a".into()));
        assert_eq!(dup.message, "duplicate key `a`");
        assert_eq!(dup.loc, Some(Loc { line: 2, column: 1 }));
        let multi = parse_document("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(multi.kind, SyntaxKind::MultipleDocuments);
        assert!(parse_document("# nothing\n").unwrap().is_none());
    }

    #[test]
    fn deep_nesting_is_refused_with_a_position() {
        // The depth budget bounds the parser's recursion; a test thread's default stack is
        // smaller than the binary's (`cli::run` gives the work a large one).
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(|| {
                let flow = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
                let error = parse_document(&flow).unwrap_err();
                assert!(error.loc.is_some(), "{error}");
                assert_eq!(error.kind, SyntaxKind::Budget, "{error}");
                assert_eq!(parse_stream(&flow).unwrap_err().kind, SyntaxKind::Budget);
                let block: String = (0..100)
                    .map(|i| format!("{}a:\n", "  ".repeat(i)))
                    .collect();
                assert_eq!(parse_stream(&block).unwrap_err().kind, SyntaxKind::Budget);
                assert_eq!(parse_document(&block).unwrap_err().kind, SyntaxKind::Budget);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn writer_quotes_yaml_1_1_lookalikes() {
        let text = to_yaml(&serde_json::json!({"on": "on", "v": "1.10", "o": "0755", "t": true}));
        assert_eq!(text, "\"on\": \"on\"\nv: \"1.10\"\no: \"0755\"\nt: true\n");
    }

    #[test]
    fn writer_uses_literal_blocks_and_kubectl_sequences() {
        let text = to_yaml(&serde_json::json!({"data": {"mesh": "a: 1\nb: 2\n"}, "l": ["x"]}));
        assert_eq!(text, "data:\n  mesh: |\n    a: 1\n    b: 2\nl:\n- x\n");
    }

    #[test]
    fn the_fast_writer_agrees_with_serde_saphyr() {
        let cases = serde_json::json!({
            "a": [[1, 2], ["x"], {}, [], {"k": "v", "l": [1]}, "multi\nline\n", "  lead\nx\n"],
            "f": 0.5, "g": 1e20, "h": -3, "n": null, "e": {}, "m": "x\n\n\n", "t": "a\tb\nc  \n",
            "k": {"deep": {"x": "trail\n", "y": "no end\nline"}}, "s": "", "q": "it's", "u": "é ü",
            "dash": "-x", "colon": "a: b", "url": "http://x", "star": "*", "p": "50%", "tilde": "~",
            "Yes": "NO", "On": "off", "y": "Y", "1.10": "0755", "date": "2001-12-14", "cr": "a\r\nb",
            "blank": "a\n   \nb\n", "tab": "\tx\ny", "nel": "a\u{85}b", "key with space": "v v",
            "lead_newline": "\nabc\n", "multi\nline key": {"@\n": null}, "nAn": 1, "Inf": "NaN", "image": "docker.io/istio/pilot:1.30.3", "json": "{\"a\": 1}", "hash": "a #b",
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
    fn control_characters_are_left_to_serde_saphyr_which_refuses_them() {
        // The fast reader once accepted a NUL inside a comment.
        let (fast, reference) = parse_both_ways("# a\0comment\nkind: A\n");
        assert!(fast.is_none());
        assert!(reference.is_err());
        assert!(parse_manifests("# a\0comment\nkind: A\n").is_err());
    }

    #[test]
    fn long_comment_blocks_inside_a_mapping_are_read() {
        // serde-saphyr's `comments` feature refused more than a few dozen comment lines while
        // it looked ahead in a mapping (found by the `yaml_reader` fuzz target); meshgen reads
        // no comments, so the feature is off.
        let comments: String = (0..500).map(|i| format!("  # note {i}\n")).collect();
        let text = format!("metadata:\n{comments}  name: x\n");
        let (value, _) = parse_document(&text).unwrap().unwrap();
        assert_eq!(value["metadata"]["name"], "x");
        assert_eq!(parse_manifests(&text).unwrap()[0]["metadata"]["name"], "x");
    }

    #[test]
    fn tabs_and_long_keys_are_left_to_serde_saphyr() {
        // Found by the fuzz targets: a trailing tab the fast reader kept, and a key so long
        // serde-saphyr writes it as an explicit `? key` entry.
        let (fast, reference) = parse_both_ways("a: b  c\t\n");
        assert!(fast.is_none());
        assert_eq!(reference.unwrap()[0]["a"], "b  c");
        let (fast, reference) = parse_both_ways("a:\n  b: x\ry\n");
        assert!(fast.is_none());
        assert!(reference.is_err(), "a carriage return is a line break");
        let long = serde_json::json!({ "\u{17}".repeat(400): 1, "k": {"\r".repeat(600): null} });
        assert!(
            to_yaml_with_saphyr(&long).starts_with("? "),
            "an explicit key"
        );
        assert_eq!(to_yaml(&long), to_yaml_with_saphyr(&long));
    }

    #[test]
    fn spaces_past_a_literal_blocks_indentation_at_its_end_are_content() {
        // The fast reader once dropped the last line's four spaces.
        let text = "mesh: |-\n    a:\n    - b:\n        ";
        let (fast, reference) = parse_both_ways(text);
        assert!(fast.is_none());
        assert_eq!(reference.unwrap()[0]["mesh"], "a:\n- b:\n    ");
    }

    #[test]
    fn streams_read_the_same_split_or_whole() {
        let text = "# lead\napiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n\n  # c\napiVersion: v1\nkind: B\nmetadata:\n  name: b\n---\n---\nx: on\n";
        let split = parse_stream(text).unwrap();
        let whole = parse_stream_with_saphyr(text).unwrap();
        let values: Vec<&Value> = split.iter().map(|(v, _)| v).collect();
        assert_eq!(values, whole.iter().map(|(v, _)| v).collect::<Vec<_>>());
        // Document positions agree whichever reader read the document.
        for ((_, fast), (_, reference)) in split.iter().zip(&whole) {
            assert_eq!(fast.values[""], reference.values[""]);
        }
        // A problem in a later document is at its line in the stream.
        let error = parse_stream("a: 1\n---\nb: 1\nb: 2\n").unwrap_err();
        assert_eq!(error.loc, Some(Loc { line: 4, column: 1 }));
    }

    #[test]
    fn stream_reads_like_kubernetes() {
        let docs = parse_stream("a: on\nm: 0644\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].0, serde_json::json!({"a": true, "m": 420}));
        let plain = parse_manifests("a: on\nm: 0644\n---\n---\nb: 2\n").unwrap();
        assert_eq!(plain, vec![docs[0].0.clone(), docs[1].0.clone()]);
    }
}
