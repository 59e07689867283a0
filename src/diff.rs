//! Comparing renders. Two questions GitOps users ask: "is the committed output directory still
//! what meshgen would write?" ([`check_directory`], behind `meshgen check`: byte-exact, per
//! file, with unified diffs) and "what changes between these two renders?" ([`diff_objects`],
//! behind `meshgen diff`: by object identity, field by field, ignoring file layout, order and
//! formatting). Neither writes anything.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::emit::{self, OutputFile};
use crate::error::{Diagnostic, Error, Result};
use crate::patch::json_equal;
use crate::resource::Identity;
use crate::yaml;

/// How an output directory differs from a fresh render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    /// Files whose contents differ, with a unified diff (on disk → rendered).
    pub changed: Vec<(String, String)>,
    /// Files render would create.
    pub missing: Vec<String>,
    /// Files the lock says meshgen owns that render would delete.
    pub extra: Vec<String>,
    /// Files render would have to overwrite although meshgen does not own them.
    pub foreign: Vec<String>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.foreign.is_empty()
    }

    /// The report: a unified diff per changed file, then the lists. `out` prefixes paths.
    pub fn report(&self, out: &Path) -> String {
        let show = |path: &str| out.join(path).display().to_string();
        let mut text = String::new();
        for (path, diff) in &self.changed {
            let _ = writeln!(text, "--- {}", show(path));
            let _ = writeln!(text, "+++ {} (rendered)", show(path));
            text.push_str(diff);
        }
        for path in &self.missing {
            let _ = writeln!(text, "missing: {} (render would create it)", show(path));
        }
        for path in &self.extra {
            let _ = writeln!(
                text,
                "extra: {} (listed in {}, no longer rendered: render would delete it)",
                show(path),
                emit::LOCK_FILE
            );
        }
        for path in &self.foreign {
            let _ = writeln!(
                text,
                "conflict: {} (differs, and meshgen does not own it: render would refuse to overwrite it)",
                show(path)
            );
        }
        text
    }

    /// One line: how many files differ, and how.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (count, what) in [
            (self.changed.len(), "changed"),
            (self.missing.len(), "missing"),
            (self.extra.len(), "extra"),
            (self.foreign.len(), "in conflict"),
        ] {
            if count > 0 {
                parts.push(format!("{count} {what}"));
            }
        }
        parts.join(", ")
    }
}

/// Compares the directory `out` with `plan` (what render would write) without writing.
pub fn check_directory(out: &Path, plan: &[OutputFile]) -> Result<Drift> {
    if out.exists() && !out.is_dir() {
        return Err(Error::input(
            Diagnostic::new(format!(
                "--out `{}` is a file, not a directory",
                out.display()
            ))
            .help("name the directory `meshgen render --out` writes"),
        ));
    }
    let owned = emit::owned_files(out)?;
    let mut drift = Drift::default();
    let planned: BTreeSet<&str> = plan.iter().map(|f| f.path.as_str()).collect();
    for file in plan {
        let path = out.join(&file.path);
        match fs::read(&path) {
            Ok(existing) if existing == file.contents.as_bytes() => {}
            Ok(existing) => {
                if owned.contains(&file.path) {
                    let old = String::from_utf8_lossy(&existing);
                    drift
                        .changed
                        .push((file.path.clone(), unified_diff(&old, &file.contents, 3)));
                } else {
                    drift.foreign.push(file.path.clone());
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                drift.missing.push(file.path.clone());
            }
            Err(error) => return Err(Error::io("read", path, error)),
        }
    }
    for path in owned {
        if !planned.contains(path.as_str()) && out.join(&path).exists() {
            drift.extra.push(path);
        }
    }
    Ok(drift)
}

/// One edit of a line diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Equal(usize, usize),
    Delete(usize),
    Insert(usize),
}

/// Myers' O((N+M)·D) shortest edit script between line lists. Past `MAX_EDITS` differences it
/// gives up and reports a full replacement, bounding memory on unrelated files.
fn edit_script(a: &[&str], b: &[&str]) -> Vec<Edit> {
    const MAX_EDITS: usize = 2000;
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut edits: Vec<Edit> = (0..prefix).map(|i| Edit::Equal(i, i)).collect();
    let middle = myers(a_mid, b_mid, MAX_EDITS).unwrap_or_else(|| {
        (0..a_mid.len())
            .map(Edit::Delete)
            .chain((0..b_mid.len()).map(Edit::Insert))
            .collect()
    });
    edits.extend(middle.into_iter().map(|edit| match edit {
        Edit::Equal(x, y) => Edit::Equal(x + prefix, y + prefix),
        Edit::Delete(x) => Edit::Delete(x + prefix),
        Edit::Insert(y) => Edit::Insert(y + prefix),
    }));
    let (a_end, b_end) = (a.len() - suffix, b.len() - suffix);
    edits.extend((0..suffix).map(|i| Edit::Equal(a_end + i, b_end + i)));
    edits
}

fn myers(a: &[&str], b: &[&str], max_edits: usize) -> Option<Vec<Edit>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let offset = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    // trace[d] holds v[k] for k in -d..=d after round d.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut found = None;
    'rounds: for d in 0..=max.min(max_edits) as isize {
        for k in (-d..=d).step_by(2) {
            let down =
                k == -d || (k != d && v[(offset + k - 1) as usize] < v[(offset + k + 1) as usize]);
            let mut x = if down {
                v[(offset + k + 1) as usize]
            } else {
                v[(offset + k - 1) as usize] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[(offset + k) as usize] = x;
            if x >= n && y >= m {
                trace.push(v[(offset - d) as usize..=(offset + d) as usize].to_vec());
                found = Some(d);
                break 'rounds;
            }
        }
        trace.push(v[(offset - d) as usize..=(offset + d) as usize].to_vec());
    }
    let depth = found?;
    let mut edits = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..=depth).rev() {
        let previous = &trace[(d - 1) as usize];
        let at = |k: isize| previous[(k + d - 1) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
            edits.push(Edit::Equal(x as usize, y as usize));
        }
        if x == prev_x {
            edits.push(Edit::Insert(prev_y as usize));
        } else {
            edits.push(Edit::Delete(prev_x as usize));
        }
        x = prev_x;
        y = prev_y;
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        edits.push(Edit::Equal(x as usize, y as usize));
    }
    edits.reverse();
    Some(edits)
}

/// A unified diff of two texts (hunks only, no `---`/`+++` header), `context` lines around
/// each change. Empty when equal.
pub fn unified_diff(old: &str, new: &str, context: usize) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let edits = edit_script(&a, &b);
    let changes: Vec<usize> = edits
        .iter()
        .enumerate()
        .filter(|(_, e)| !matches!(e, Edit::Equal(..)))
        .map(|(i, _)| i)
        .collect();
    let mut out = String::new();
    let mut i = 0;
    while i < changes.len() {
        let start = changes[i].saturating_sub(context);
        let mut end = (changes[i] + context + 1).min(edits.len());
        let mut j = i + 1;
        while j < changes.len() && changes[j] <= end + context {
            end = (changes[j] + context + 1).min(edits.len());
            j += 1;
        }
        let hunk = &edits[start..end];
        let old_start = hunk.iter().find_map(|e| match e {
            Edit::Equal(x, _) | Edit::Delete(x) => Some(*x),
            Edit::Insert(_) => None,
        });
        let new_start = hunk.iter().find_map(|e| match e {
            Edit::Equal(_, y) | Edit::Insert(y) => Some(*y),
            Edit::Delete(_) => None,
        });
        let old_count = hunk
            .iter()
            .filter(|e| !matches!(e, Edit::Insert(_)))
            .count();
        let new_count = hunk
            .iter()
            .filter(|e| !matches!(e, Edit::Delete(_)))
            .count();
        // Unified format: an empty range names the line before it.
        let range = |start: Option<usize>, count: usize, before: usize| match (start, count) {
            (_, 0) => format!("{before},0"),
            (Some(s), 1) => format!("{}", s + 1),
            (Some(s), c) => format!("{},{c}", s + 1),
            (None, c) => format!("{before},{c}"),
        };
        let old_before = edits[..start]
            .iter()
            .filter(|e| !matches!(e, Edit::Insert(_)))
            .count();
        let new_before = edits[..start]
            .iter()
            .filter(|e| !matches!(e, Edit::Delete(_)))
            .count();
        let _ = writeln!(
            out,
            "@@ -{} +{} @@",
            range(old_start, old_count, old_before),
            range(new_start, new_count, new_before)
        );
        for edit in hunk {
            match edit {
                Edit::Equal(x, _) => {
                    let _ = writeln!(out, " {}", a[*x]);
                }
                Edit::Delete(x) => {
                    let _ = writeln!(out, "-{}", a[*x]);
                }
                Edit::Insert(y) => {
                    let _ = writeln!(out, "+{}", b[*y]);
                }
            }
        }
        i = j;
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

/// A render read back: its objects by identity (group, kind, namespace, name).
#[derive(Debug, Clone, Default)]
pub struct ObjectSet {
    pub objects: BTreeMap<(String, String, String, String), Value>,
}

fn key_of(identity: &Identity) -> (String, String, String, String) {
    (
        identity.group.clone(),
        identity.kind.clone(),
        identity.namespace.clone(),
        identity.name.clone(),
    )
}

fn display_key(key: &(String, String, String, String)) -> String {
    Identity {
        group: key.0.clone(),
        version: String::new(),
        kind: key.1.clone(),
        namespace: key.2.clone(),
        name: key.3.clone(),
    }
    .to_string()
}

impl ObjectSet {
    fn add_stream(&mut self, name: &str, text: &str) -> Result<()> {
        let documents = yaml::parse_stream(text).map_err(|error| {
            Error::input(
                Diagnostic::new(format!("`{name}` is not a YAML stream: {error}"))
                    .help("give a directory written by `meshgen render --out` or a YAML stream"),
            )
        })?;
        for (object, _) in documents {
            let identity = Identity::of(&object);
            // Kustomize's own file is not part of the render.
            if identity.group == "kustomize.config.k8s.io" || identity.kind.is_empty() {
                continue;
            }
            let key = key_of(&identity);
            if self.objects.insert(key, object).is_some() {
                return Err(Error::input(
                    Diagnostic::new(format!("`{identity}` appears twice in `{name}`")).help(
                        "a render holds each object once; compare renders, not concatenations",
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Reads a YAML stream (`name` is shown in messages).
    pub fn from_stream(name: &str, text: &str) -> Result<ObjectSet> {
        let mut set = ObjectSet::default();
        set.add_stream(name, text)?;
        Ok(set)
    }

    /// Reads a directory (every `.yaml`/`.yml` file below it, sorted) or a YAML stream file.
    pub fn from_path(path: &Path) -> Result<ObjectSet> {
        let mut set = ObjectSet::default();
        if path.is_dir() {
            for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
                let entry = entry
                    .map_err(|e| Error::io("read", path, std::io::Error::other(e.to_string())))?;
                let file = entry.path();
                let is_yaml = file.extension().is_some_and(|e| e == "yaml" || e == "yml");
                if entry.file_type().is_file() && is_yaml {
                    let text = fs::read_to_string(file).map_err(|e| Error::io("read", file, e))?;
                    set.add_stream(&file.display().to_string(), &text)?;
                }
            }
        } else {
            let text = fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
            set.add_stream(&path.display().to_string(), &text)?;
        }
        Ok(set)
    }
}

/// One difference inside an object.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldChange {
    Added(String, Value),
    Removed(String, Value),
    Changed(String, Value, Value),
    /// A multi-line string changed: its line diff.
    Text(String, String),
    /// Same named items, another order.
    Reordered(String),
}

/// How two renders differ, object by object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<(String, Vec<FieldChange>)>,
}

impl ObjectDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// `- removed`, `+ added`, `~ changed` with one line per field.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for identity in &self.removed {
            let _ = writeln!(out, "- {identity}");
        }
        for identity in &self.added {
            let _ = writeln!(out, "+ {identity}");
        }
        for (identity, changes) in &self.changed {
            let _ = writeln!(out, "~ {identity}");
            for change in changes {
                match change {
                    FieldChange::Added(path, value) if is_container(value) => {
                        let _ = writeln!(out, "    {path}: added");
                        block(&mut out, value);
                    }
                    FieldChange::Added(path, value) => {
                        let _ = writeln!(out, "    {path}: added {}", short(value));
                    }
                    FieldChange::Removed(path, value) if is_container(value) => {
                        let _ = writeln!(out, "    {path}: removed");
                        block(&mut out, value);
                    }
                    FieldChange::Removed(path, value) => {
                        let _ = writeln!(out, "    {path}: removed (was {})", short(value));
                    }
                    FieldChange::Changed(path, old, new) => {
                        let _ = writeln!(out, "    {path}: {} -> {}", short(old), short(new));
                    }
                    FieldChange::Reordered(path) => {
                        let _ = writeln!(out, "    {path}: same items, new order");
                    }
                    FieldChange::Text(path, diff) => {
                        let _ = writeln!(out, "    {path}:");
                        for line in diff.lines() {
                            let _ = writeln!(out, "      {line}");
                        }
                    }
                }
            }
        }
        let _ = writeln!(
            out,
            "{} changed, {} added, {} removed",
            self.changed.len(),
            self.added.len(),
            self.removed.len()
        );
        out
    }
}

fn is_container(value: &Value) -> bool {
    matches!(value, Value::Object(m) if !m.is_empty())
        || matches!(value, Value::Array(a) if !a.is_empty())
}

/// A structured value as indented YAML under its field line.
fn block(out: &mut String, value: &Value) {
    for line in yaml::to_yaml(value).lines() {
        let _ = writeln!(out, "      {line}");
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 100 {
        format!("{}…", text.chars().take(97).collect::<String>())
    } else {
        text
    }
}

/// Compares two renders by object identity.
pub fn diff_objects(old: &ObjectSet, new: &ObjectSet) -> ObjectDiff {
    let mut diff = ObjectDiff::default();
    for (key, old_object) in &old.objects {
        match new.objects.get(key) {
            None => diff.removed.push(display_key(key)),
            Some(new_object) => {
                let mut changes = Vec::new();
                diff_values("", old_object, new_object, &mut changes);
                if !changes.is_empty() {
                    diff.changed.push((display_key(key), changes));
                }
            }
        }
    }
    for key in new.objects.keys() {
        if !old.objects.contains_key(key) {
            diff.added.push(display_key(key));
        }
    }
    diff
}

fn push_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    } else {
        format!("{path}[{key:?}]")
    }
}

/// Names of a list's items when every item is a mapping with a unique string `name` (containers,
/// env, ports, volumes): such lists are compared by name, as Kubernetes merges them.
fn item_names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items
        .iter()
        .map(|item| item.get("name").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let unique: BTreeSet<&&str> = names.iter().collect();
    (unique.len() == names.len() && !names.is_empty()).then_some(names)
}

fn diff_values(path: &str, old: &Value, new: &Value, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, old_value) in a {
                let child = push_key(path, key);
                match b.get(key) {
                    Some(new_value) => diff_values(&child, old_value, new_value, out),
                    None => out.push(FieldChange::Removed(child, old_value.clone())),
                }
            }
            for (key, new_value) in b {
                if !a.contains_key(key) {
                    out.push(FieldChange::Added(push_key(path, key), new_value.clone()));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => match (item_names(a), item_names(b)) {
            (Some(a_names), Some(b_names)) => {
                for (index, name) in a_names.iter().enumerate() {
                    let child = format!("{path}[name={name}]");
                    match b_names.iter().position(|n| n == name) {
                        Some(j) => diff_values(&child, &a[index], &b[j], out),
                        None => out.push(FieldChange::Removed(child, a[index].clone())),
                    }
                }
                for (j, name) in b_names.iter().enumerate() {
                    if !a_names.contains(name) {
                        out.push(FieldChange::Added(
                            format!("{path}[name={name}]"),
                            b[j].clone(),
                        ));
                    }
                }
                let common_a: Vec<_> = a_names.iter().filter(|n| b_names.contains(n)).collect();
                let common_b: Vec<_> = b_names.iter().filter(|n| a_names.contains(n)).collect();
                if common_a != common_b {
                    out.push(FieldChange::Reordered(path.to_owned()));
                }
            }
            _ => {
                for index in 0..a.len().max(b.len()) {
                    let child = format!("{path}[{index}]");
                    match (a.get(index), b.get(index)) {
                        (Some(x), Some(y)) => diff_values(&child, x, y, out),
                        (Some(x), None) => out.push(FieldChange::Removed(child, x.clone())),
                        (None, Some(y)) => out.push(FieldChange::Added(child, y.clone())),
                        (None, None) => {}
                    }
                }
            }
        },
        (Value::String(a), Value::String(b))
            if a != b && (a.contains('\n') || b.contains('\n')) =>
        {
            out.push(FieldChange::Text(path.to_owned(), unified_diff(a, b, 2)));
        }
        _ => {
            if !json_equal(old, new) {
                out.push(FieldChange::Changed(
                    path.to_owned(),
                    old.clone(),
                    new.clone(),
                ));
            }
        }
    }
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
    fn myers_matches_a_naive_lcs_length() {
        let a: Vec<&str> = "abcabba".split("").filter(|s| !s.is_empty()).collect();
        let b: Vec<&str> = "cbabac".split("").filter(|s| !s.is_empty()).collect();
        let edits = myers(&a, &b, 100).unwrap();
        let changes = edits
            .iter()
            .filter(|e| !matches!(e, Edit::Equal(..)))
            .count();
        assert_eq!(changes, 5, "Myers' classic example has D = 5");
    }

    #[test]
    fn objects_compare_by_identity_and_name() {
        let old = ObjectSet::from_stream(
            "old",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: ns}\nspec:\n  replicas: 1\n  containers: [{name: web, image: i1}, {name: side}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone, namespace: ns}\n",
        )
        .unwrap();
        let new = ObjectSet::from_stream(
            "new",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: ns, labels: {a.b/c: d}}\nspec:\n  replicas: 3\n  containers: [{name: side}, {name: web, image: i2}]\n",
        )
        .unwrap();
        let diff = diff_objects(&old, &new);
        assert_eq!(diff.removed, ["ConfigMap/ns/gone"]);
        assert_eq!(
            diff.report(),
            "- ConfigMap/ns/gone\n~ apps/Deployment/ns/a\n    metadata.labels: added\n      a.b/c: d\n    spec.replicas: 1 -> 3\n    spec.containers[name=web].image: \"i1\" -> \"i2\"\n    spec.containers: same items, new order\n1 changed, 0 added, 1 removed\n"
        );
    }
}
