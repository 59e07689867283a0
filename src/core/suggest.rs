//! "Did you mean": the closest of a set of names to a misspelt one. One threshold and one
//! wording for every message that offers a correction (profile keys, overlay keys, built-in
//! profiles, analyzer codes, plugin parameters, fields a type knows).

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// `did you mean `close`? <list_label>: a, b, c` (or just the list when nothing is close).
pub fn help_listing<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
    list_label: &str,
) -> String {
    let list = candidates
        .clone()
        .into_iter()
        .collect::<Vec<_>>()
        .join(", ");
    match closest(word, candidates) {
        Some(close) => format!("did you mean `{close}`? {list_label}: {list}"),
        None => format!("{list_label}: {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_word() {
        let keys = ["replicas", "autoscale", "resources"];
        assert_eq!(closest("replcias", keys), Some("replicas"));
        assert_eq!(closest("zzz", keys), None);
        assert_eq!(
            help_listing("replcias", keys, "valid keys here"),
            "did you mean `replicas`? valid keys here: replicas, autoscale, resources"
        );
    }
}
