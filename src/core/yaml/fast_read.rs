//! The fast reader for the block-YAML subset meshgen's own templates produce: block mappings
//! and sequences, plain, quoted and literal-block scalars, empty flow collections. Anything
//! else — flow collections with content, anchors, tags, folded or indicated blocks, escapes,
//! multi-line plain scalars, YAML 1.1 spellings that need resolving — makes it give up, and
//! the caller reads the text with serde-saphyr instead. Where it answers, it must answer as
//! serde-saphyr does: a test checks every template of every built-in and fixture profile, and
//! the `yaml_reader` fuzz target checks arbitrary texts.

use serde_json::{Map, Value};

/// Characters YAML 1.2 does not allow in a stream (its `c-printable` set, with tab, line feed
/// and carriage return allowed).
fn is_outside_yaml_charset(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\x7f')
        || ('\u{80}'..='\u{9f}').contains(&c) && c != '\u{85}'
        || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// One line: its indentation and the text after it.
#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// The documents of `text`, or `None` when it leaves the subset. Empty documents are skipped.
pub fn parse(text: &str) -> Option<Vec<Value>> {
    // YAML refuses most control characters anywhere, comments included; serde-saphyr says
    // where. Found by the `yaml_reader` fuzz target (a NUL in a comment).
    // Tabs, carriage returns and the other characters some YAML version takes for white space or
    // a line break, too: rules this reader does not implement (found by the fuzz target: a
    // trailing tab kept, a carriage return inside a line not taken for a line break).
    if text.contains(['\t', '\r', '\u{85}', '\u{2028}', '\u{2029}', '\u{feff}'])
        || text.chars().any(is_outside_yaml_charset)
    {
        return None;
    }
    let mut documents = Vec::new();
    let mut current: Vec<Line> = Vec::new();
    for raw in text.split('\n') {
        if raw == "---" {
            documents.extend(parse_document(&mut current)?);
            current.clear();
            continue;
        }
        let text = raw.trim_start_matches(' ');
        current.push(Line {
            indent: raw.len() - text.len(),
            text,
        });
    }
    documents.extend(parse_document(&mut current)?);
    Some(documents)
}

fn parse_document(lines: &mut [Line]) -> Option<Option<Value>> {
    let mut parser = Parser {
        lines,
        pos: 0,
        depth: 0,
    };
    parser.skip_blank();
    if parser.pos == parser.lines.len() {
        return Some(None);
    }
    let first = parser.lines[parser.pos];
    if first.indent != 0 || first.text.starts_with(['%', '&', '!', '*', '[', '{']) {
        return None;
    }
    let value = parser.node(0)?;
    parser.skip_blank();
    (parser.pos == parser.lines.len()).then_some(Some(value))
}

struct Parser<'l, 'a> {
    lines: &'l mut [Line<'a>],
    pos: usize,
    /// Mappings and sequences open around the current line.
    depth: usize,
}

/// Deepest nesting the fast reader follows; deeper text goes to serde-saphyr, whose budget
/// refuses it with a position. Bounds the recursion on hostile input (a line indented a million
/// spaces deep would otherwise be a million frames).
const MAX_DEPTH: usize = super::Limits::MANIFESTS.depth;

impl<'a> Parser<'_, 'a> {
    /// Moves past blank and comment-only lines.
    fn skip_blank(&mut self) {
        while self.pos < self.lines.len() {
            let text = self.lines[self.pos].text;
            if !(text.is_empty() || text.starts_with('#')) {
                break;
            }
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<Line<'a>> {
        self.skip_blank();
        self.lines.get(self.pos).copied()
    }

    /// The node starting at the current line, which is indented by `indent`.
    fn node(&mut self, indent: usize) -> Option<Value> {
        let line = self.peek()?;
        if line.indent != indent {
            return None;
        }
        if is_item(line.text) {
            self.sequence(indent)
        } else {
            self.mapping(indent)
        }
    }

    fn mapping(&mut self, indent: usize) -> Option<Value> {
        self.enter()?;
        let map = self.mapping_entries(indent);
        self.depth -= 1;
        map
    }

    /// One more level of nesting, unless that is past [`MAX_DEPTH`].
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        Some(())
    }

    fn mapping_entries(&mut self, indent: usize) -> Option<Value> {
        let mut map = Map::new();
        while let Some(line) = self.peek() {
            if line.indent < indent || (line.indent == indent && is_item(line.text)) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let (key, rest) = split_key(line.text)?;
            self.pos += 1;
            let value = self.value_after(rest, indent, true)?;
            if map.insert(key, value).is_some() {
                return None; // duplicate key: let serde-saphyr report it
            }
        }
        Some(Value::Object(map))
    }

    fn sequence(&mut self, indent: usize) -> Option<Value> {
        self.enter()?;
        let items = self.sequence_items(indent);
        self.depth -= 1;
        items
    }

    fn sequence_items(&mut self, indent: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent < indent || (line.indent == indent && !is_item(line.text)) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let rest = line.text[1..].trim_start_matches(' ');
            let content_indent = indent + (line.text.len() - rest.len());
            if rest.starts_with('-') && is_item(rest) {
                return None; // `- - x`: nested sequence on one line
            }
            if !rest.is_empty()
                && !rest.starts_with(['|', '"', '\'', '{', '[', '#'])
                && split_key(rest).is_some()
            {
                // `- key: value`: a mapping whose first line starts after the dash.
                self.lines[self.pos] = Line {
                    indent: content_indent,
                    text: rest,
                };
                items.push(self.mapping(content_indent)?);
            } else {
                self.pos += 1;
                items.push(self.value_after(rest, indent, false)?);
            }
        }
        Some(Value::Array(items))
    }

    /// The value after `key:` or `- ` on a line indented by `indent`.
    fn value_after(&mut self, rest: &str, indent: usize, after_key: bool) -> Option<Value> {
        if rest.is_empty() {
            return match self.peek() {
                Some(next) if next.indent > indent => self.node(next.indent),
                // kubectl style: a sequence under a key starts at the key's column.
                Some(next) if after_key && next.indent == indent && is_item(next.text) => {
                    self.sequence(indent)
                }
                _ => Some(Value::Null),
            };
        }
        if let Some(header) = rest.strip_prefix('|') {
            return self.literal_block(header, indent);
        }
        let value = scalar(rest)?;
        // A more indented line after a scalar would continue it (multi-line plain scalar).
        match self.peek() {
            Some(next) if next.indent > indent => None,
            _ => Some(value),
        }
    }

    fn literal_block(&mut self, header: &str, indent: usize) -> Option<Value> {
        let trailing = match header {
            "" => Chomp::Clip,
            "-" => Chomp::Strip,
            "+" => Chomp::Keep,
            _ => return None,
        };
        let start = self.pos;
        let mut end = start;
        let mut block_indent = None;
        while end < self.lines.len() {
            let line = self.lines[end];
            if line.text.is_empty() {
                end += 1;
                continue;
            }
            if line.indent <= indent {
                break;
            }
            match block_indent {
                None => block_indent = Some(line.indent),
                Some(block) if line.indent < block => return None,
                Some(_) => {}
            }
            end += 1;
        }
        let block = block_indent?;
        // Blank lines after the last content line belong to the chomping, not the content.
        let mut last = end;
        while last > start && self.lines[last - 1].text.is_empty() {
            last -= 1;
        }
        // ... unless they hold spaces past the indentation, which are content (found by the
        // `yaml_reader` fuzz target).
        if self.lines[last..end].iter().any(|line| line.indent > block) {
            return None;
        }
        let mut text = String::new();
        for line in &self.lines[start..last] {
            if line.text.is_empty() {
                if line.indent > block {
                    return None; // whitespace-only line longer than the indentation
                }
            } else {
                text.extend(std::iter::repeat_n(' ', line.indent - block));
                text.push_str(line.text);
            }
            text.push('\n');
        }
        match trailing {
            Chomp::Strip => {
                text.pop();
            }
            Chomp::Clip => {}
            // Trailing blank lines are kept only up to the end of the document; whether the
            // last one is a real line break depends on what follows: leave it to serde-saphyr.
            Chomp::Keep => return None,
        }
        self.pos = end;
        Some(Value::String(text))
    }
}

enum Chomp {
    Strip,
    Clip,
    Keep,
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// `key: rest` or `key:`; the key plain (name-like) or double-quoted without escapes.
fn split_key(text: &str) -> Option<(String, &str)> {
    let (key, rest) = if let Some(quoted) = text.strip_prefix('"') {
        let close = quoted.find('"')?;
        let key = &quoted[..close];
        if key.contains('\\') {
            return None;
        }
        (key, quoted[close + 1..].strip_prefix(':')?)
    } else {
        let colon = text.find(':')?;
        let key = &text[..colon];
        let name_like = key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'));
        if key.is_empty()
            || !name_like
            || !key.as_bytes()[0].is_ascii_alphabetic()
            || is_special_word(key)
        {
            return None;
        }
        (key, &text[colon + 1..])
    };
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key.to_owned(), rest.trim_start_matches(' ')))
}

/// Words YAML 1.1 resolves to booleans or null in some spelling: left to serde-saphyr.
fn is_special_word(text: &str) -> bool {
    super::is_yaml_1_1_word(text)
}

/// An inline scalar (after `key: ` or `- `).
fn scalar(text: &str) -> Option<Value> {
    let text = text.trim_end_matches(' ');
    match text {
        "{}" => return Some(Value::Object(Map::new())),
        "[]" => return Some(Value::Array(Vec::new())),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "null" | "~" => return Some(Value::Null),
        _ => {}
    }
    if let Some(inner) = text.strip_prefix('"') {
        let inner = inner.strip_suffix('"')?;
        return (!inner.contains(['"', '\\'])).then(|| Value::String(inner.to_owned()));
    }
    if let Some(inner) = text.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'')?;
        return (!inner.contains('\'')).then(|| Value::String(inner.to_owned()));
    }
    let first = text.as_bytes()[0];
    let second = text.as_bytes().get(1).copied().unwrap_or(b' ');
    if first == b'-' && (second.is_ascii_alphabetic() || second == b'-') {
        // `--flag`, `-x`: never a number.
        return plain_string(text);
    }
    // `30m`, `2048Mi`, `100%`: a character no YAML 1.1 number, date or time can hold makes it
    // a string (hex digits, radix letters and the `T`/`Z` of timestamps do not count).
    let never_numeric = |b: u8| {
        matches!(b, b'%' | b'/')
            || (b.is_ascii_alphabetic() && !b"abcdefABCDEFxXoObBtTzZ".contains(&b))
    };
    if first.is_ascii_digit() && text.bytes().any(never_numeric) {
        return plain_string(text);
    }
    if first.is_ascii_digit() || first == b'-' {
        // Plain decimal integers only; floats, octals and the rest go to serde-saphyr.
        let digits = text.strip_prefix('-').unwrap_or(text);
        let canonical = digits == "0" || (!digits.starts_with('0') && !digits.is_empty());
        if canonical && digits.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse::<i64>().ok().map(Value::from);
        }
        return None;
    }
    if !(first.is_ascii_alphabetic() || first == b'/') || is_special_word(text) {
        return None;
    }
    plain_string(text)
}

/// A plain scalar that is certainly a string, once its first characters are known to be.
fn plain_string(text: &str) -> Option<Value> {
    let plain = !text.contains(": ") && !text.contains(" #") && !text.ends_with(':');
    plain.then(|| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saphyr(text: &str) -> Vec<Value> {
        super::super::parse_manifests_with_saphyr(text).unwrap()
    }

    #[test]
    fn agrees_with_serde_saphyr() {
        let text = "apiVersion: v1\nkind: X\nmetadata:\n  name: a\n  labels:\n    app.kubernetes.io/name: \"x\"\n    k: 'q'\nspec:\n  list:\n  - a\n  - name: b\n    port: 80\n    nested:\n    - 1\n    - -2\n  - |\n    block\n      more\n\n    end\n  - key: |-\n      text\n  empty: {}\n  none: []\n  nothing:\n  image: docker.io/istio/pilot:1.30.3\n  words: it is plain\n  args:\n  - --flag=:1\n  - -v\n  - 30m\n  - 2048Mi\n---\n# comment only\n---\na: 0\n";
        assert_eq!(parse(text).unwrap(), saphyr(text));
    }

    #[test]
    fn gives_up_deeper_than_the_budget() {
        // serde-saphyr then refuses it with a position; the recursion here stays bounded.
        let deep: String = (0..100_000)
            .map(|i| format!("{}a:\n", " ".repeat(i % 200)))
            .collect();
        let nested: String = (0..100).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        assert!(parse(&nested).is_none());
        let _ = parse(&deep);
        let shallow: String = (0..64).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        assert!(parse(&shallow).is_some());
        assert!(super::super::parse_manifests_with_saphyr(&shallow).is_ok());
    }

    #[test]
    fn gives_up_outside_the_subset() {
        for text in [
            "a: on\n",
            "a: 0755\n",
            "a: 1.5\n",
            "a: {b: 1}\n",
            "a: [1]\n",
            "a: &x 1\n",
            "a: >\n  folded\n",
            "a: \"esc\\n\"\n",
            "a: plain\n  continued\n",
            "a: 1\na: 2\n",
            "- - x\n",
            "a: |+\n  keep\n\n",
            "? complex\n",
            "a: x # comment\n",
            "yes: 1\n",
            "a: 2001-12-14\n",
            "a: 1e5\n",
            "a: 0x1f\n",
            "a: -.inf\n",
            "a: 12:30\n",
        ] {
            assert!(
                parse(text).is_none(),
                "{text:?} should be left to serde-saphyr"
            );
        }
    }
}
