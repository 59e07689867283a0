//! Line diffs of two texts in unified format, through `similar` (Myers' algorithm, no time
//! limit, so the same texts always give the same diff).

use similar::TextDiff;

/// A unified diff of two texts (hunks only, no `---`/`+++` header), `context` lines around
/// each change. Empty when equal.
pub fn unified_diff(old: &str, new: &str, context: usize) -> String {
    if old == new {
        return String::new();
    }
    // Lines compare without their terminators: a last line without `\n` that stops being the
    // last one has not changed (the final newline is reported apart, below).
    fn lines(text: &str) -> Vec<&str> {
        text.split_inclusive('\n')
            .map(|line| line.strip_suffix('\n').unwrap_or(line))
            .collect()
    }
    let (old_lines, new_lines) = (lines(old), lines(new));
    let diff = TextDiff::from_slices(&old_lines, &new_lines);
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
            out.push_str(change.value());
            out.push('\n');
        }
    }
    if !old.is_empty() && !new.is_empty() && old.ends_with('\n') != new.ends_with('\n') {
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

    #[test]
    fn a_last_line_without_newline_that_gains_a_successor_is_unchanged() {
        assert_eq!(
            unified_diff("a\nb", "a\nb\nc", 1),
            "@@ -2 +2,2 @@\n b\n+c\n"
        );
        assert_eq!(
            unified_diff("a\n", "a", 1),
            "\\ the final newline differs\n"
        );
        assert_eq!(unified_diff("a\r\n", "a\n", 1), "@@ -1 +1 @@\n-a\r\n+a\n");
    }
}
