//! The fast writer: block mappings, kubectl-style block sequences and literal blocks written
//! directly, with serde-saphyr writing every scalar whose plain spelling could be misread (YAML
//! 1.1 booleans, numbers, dates, indicators). It must give serde-saphyr's bytes exactly: the
//! tests compare the two on every built-in and fixture render, and the `yaml_writer` fuzz
//! target compares them on arbitrary values.

use serde_json::{Map, Value};

/// Writes one document as YAML, ending with a newline.
///
/// The structure (block maps, kubectl-style block sequences, literal blocks for multi-line
/// strings) is written here directly; every scalar whose plain spelling could be misread —
/// YAML 1.1 booleans, numbers, dates, indicators — is written by serde-saphyr, which knows how
/// to quote it. A test checks this writer against serde-saphyr's whole-document output on every
/// built-in profile, so the two never disagree; this one is several times faster.
pub fn write(value: &Value) -> String {
    if !every_key_inline(value) {
        // A key serde-saphyr writes as an explicit `? key` entry (a long or multi-line one):
        // rare enough to leave the whole document to it.
        return super::to_yaml_with_saphyr(value);
    }
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
        write_key(out, key);
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

/// A mapping key: plain when it can be, else serde-saphyr's spelling of it as a key, which is
/// never a block (a literal block there would turn the whole mapping into one string; found by
/// the `yaml_writer` fuzz target).
fn write_key(out: &mut String, key: &str) {
    if is_plain_safe(key) {
        out.push_str(key);
    } else if let Some(spelling) = quoted_key(key) {
        out.push_str(&spelling);
    }
}

/// serde-saphyr's spelling of a non-plain key when it writes it inline (`"a: b": …`); `None`
/// when it writes an explicit `? key` entry instead (found by the `yaml_writer` fuzz target).
fn quoted_key(key: &str) -> Option<String> {
    let mut entry = Map::new();
    entry.insert(key.to_owned(), Value::Null);
    let text = super::to_yaml_with_saphyr(&Value::Object(entry));
    let spelling = text.strip_suffix(": null\n")?;
    (!spelling.contains('\n') && !spelling.starts_with('?')).then(|| spelling.to_owned())
}

/// Whether every mapping key in `value` can be written on its entry's line.
fn every_key_inline(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().all(|(key, child)| {
            (is_plain_safe(key) || quoted_key(key).is_some()) && every_key_inline(child)
        }),
        Value::Array(items) => items.iter().all(every_key_inline),
        _ => true,
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
    !super::is_yaml_1_1_word(text)
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
    let text = super::to_yaml_with_saphyr(value);
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
