//! Line diffs of two texts in unified format, through `similar` (Myers' algorithm, no time
//! limit, so the same texts always give the same diff).

use similar::TextDiff;

/// A unified diff of two texts (hunks only, no `---`/`+++` header), `context` lines around
/// each change. Empty when equal.
pub fn unified_diff(old: &str, new: &str, context: usize) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    for hunk in diff.unified_diff().context_radius(context).iter_hunks() {
        out.push_str(&hunk.header().to_string());
        out.push('\n');
        for change in hunk.iter_changes() {
            out.push_str(match change.tag() {
                similar::ChangeTag::Equal => " ",
                similar::ChangeTag::Delete => "-",
                similar::ChangeTag::Insert => "+",
            });
            out.push_str(change.value().trim_end_matches('\n'));
            out.push('\n');
        }
    }
    if !out.is_empty()
        && !old.is_empty()
        && !new.is_empty()
        && old.ends_with('\n') != new.ends_with('\n')
    {
        out.push_str("\\ the final newline differs\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_has_hunks() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\ni\n";
        let diff = unified_diff(old, new, 1);
        assert_eq!(
            diff,
            "@@ -3,3 +3,3 @@\n c\n-d\n+D\n e\n@@ -8 +8,2 @@\n h\n+i\n"
        );
        assert_eq!(unified_diff(old, old, 3), "");
        assert_eq!(unified_diff("", "x\n", 3), "@@ -0,0 +1 @@\n+x\n");
        assert_eq!(unified_diff("x\n", "", 3), "@@ -1 +0,0 @@\n-x\n");
    }
}
