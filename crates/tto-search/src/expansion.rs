//! Query expansion for [`Ranking::Hybrid`](crate::Ranking::Hybrid): term associations
//! learned from the index itself.
//!
//! A short need ("大角度机动 平方和优化") often names a thing in other words than the
//! abstract that describes it. The documents that rank best for the query are, mostly,
//! about its topic; the words that make up a large share of them and are rare in the whole
//! index are the words the topic is described with (飞行器, 姿态, 控制器 …). Those words,
//! weighted, are added to the query, which is then run again (pseudo-relevance feedback, a
//! relevance model "RM3"). The associations are computed from the committed index at query
//! time, so they always follow the documents added, replaced and deleted through the index
//! API — there is no second structure to keep in step.

use std::collections::{HashMap, HashSet};

/// Parameters of the expansion (defaults measured best on the CSL dev queries).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpansionParams {
    /// Feedback documents: the best this many of the first search.
    pub docs: usize,
    /// Expansion terms added to the query.
    pub terms: usize,
    /// Weight of the best expansion term relative to a query word (the others in
    /// proportion). 0 switches the expansion off.
    pub weight: f32,
    /// Exponent of the inverse document frequency in a term's weight: 0 ignores rarity,
    /// 1 is the usual idf.
    pub idf_power: f32,
    /// A term in more than this share of the documents is never added.
    pub max_df_share: f32,
    /// A term must occur in at least this many feedback documents.
    pub min_docs: u32,
}

impl Default for ExpansionParams {
    fn default() -> Self {
        ExpansionParams { docs: 10, terms: 10, weight: 0.2, idf_power: 1.0, max_df_share: 0.1, min_docs: 3 }
    }
}

/// One feedback document: its first-search score, its length in terms, and its terms with
/// their frequencies.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackDoc {
    pub score: f32,
    pub len: u32,
    pub terms: Vec<(String, u32)>,
}

/// The expansion terms and their query weights, best first: for each term
/// `Σ_d p(d) · tf(t, d) / len(d)` (p(d) the document's share of the feedback scores),
/// times `idf(t)^idf_power`, scaled so the best gets `params.weight`. Terms of the query
/// (`exclude`), terms in fewer than `min_docs` feedback documents, and terms in more than
/// `max_df_share` of the `num_docs` documents are left out.
pub fn expansion_terms(
    docs: &[FeedbackDoc],
    exclude: &HashSet<&str>,
    df: impl Fn(&str) -> u64,
    num_docs: u64,
    params: &ExpansionParams,
) -> Vec<(String, f32)> {
    if params.terms == 0 || params.weight <= 0.0 {
        return Vec::new();
    }
    let total: f32 = docs.iter().map(|d| d.score.max(0.0)).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut acc: HashMap<&str, (f32, u32)> = HashMap::new();
    for d in docs {
        if d.len == 0 {
            continue;
        }
        let p = d.score.max(0.0) / total;
        for (term, tf) in &d.terms {
            if exclude.contains(term.as_str()) {
                continue;
            }
            let e = acc.entry(term.as_str()).or_default();
            e.0 += p * *tf as f32 / d.len as f32;
            e.1 += 1;
        }
    }
    let n = num_docs.max(1) as f32;
    let max_df = (params.max_df_share * n).max(1.0);
    let mut scored: Vec<(String, f32)> = acc
        .into_iter()
        .filter(|(_, (_, in_docs))| *in_docs >= params.min_docs)
        .filter_map(|(term, (w, _))| {
            let df = df(term) as f32;
            if df <= 0.0 || df > max_df {
                return None;
            }
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            Some((term.to_string(), w * idf.powf(params.idf_power)))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.truncate(params.terms);
    let best = scored.first().map_or(0.0, |s| s.1);
    if best <= 0.0 {
        return Vec::new();
    }
    for s in &mut scored {
        s.1 = params.weight * s.1 / best;
    }
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(score: f32, terms: &[(&str, u32)]) -> FeedbackDoc {
        FeedbackDoc {
            score,
            len: terms.iter().map(|t| t.1).sum(),
            terms: terms.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
        }
    }

    fn params() -> ExpansionParams {
        ExpansionParams { docs: 10, terms: 3, weight: 0.5, idf_power: 1.0, max_df_share: 0.5, min_docs: 2 }
    }

    #[test]
    fn shared_rare_terms_of_good_documents_win() {
        let docs = [
            doc(4.0, &[("机动", 2), ("飞行器", 3), ("姿态", 2), ("系统", 1)]),
            doc(3.0, &[("机动", 1), ("飞行器", 2), ("姿态", 1), ("系统", 2)]),
            doc(1.0, &[("机动", 1), ("系统", 3), ("土壤", 4)]),
        ];
        let df = |t: &str| match t {
            "系统" => 40,
            "飞行器" => 3,
            "姿态" => 5,
            _ => 2,
        };
        let exclude: HashSet<&str> = ["机动"].into_iter().collect();
        let terms = expansion_terms(&docs, &exclude, df, 100, &params());
        let names: Vec<&str> = terms.iter().map(|t| t.0.as_str()).collect();
        // 机动 is the query's own; 土壤 is in one document only.
        assert_eq!(names, vec!["飞行器", "姿态", "系统"]);
        assert!((terms[0].1 - 0.5).abs() < 1e-6, "the best term gets the full weight: {terms:?}");
        assert!(terms[1].1 < terms[0].1 && terms[2].1 < terms[1].1, "{terms:?}");
    }

    #[test]
    fn common_terms_are_left_out() {
        let docs = [doc(2.0, &[("系统", 5), ("飞行器", 1)]), doc(2.0, &[("系统", 5), ("飞行器", 1)])];
        let df = |t: &str| if t == "系统" { 80 } else { 4 };
        let terms = expansion_terms(&docs, &HashSet::new(), df, 100, &params());
        assert_eq!(terms.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(), vec!["飞行器"]);
    }

    #[test]
    fn nothing_to_learn_from_gives_nothing() {
        let df = |_: &str| 1;
        assert!(expansion_terms(&[], &HashSet::new(), df, 100, &params()).is_empty());
        let zero = [doc(0.0, &[("a", 1)]), doc(0.0, &[("a", 1)])];
        assert!(expansion_terms(&zero, &HashSet::new(), df, 100, &params()).is_empty());
        let off = ExpansionParams { weight: 0.0, ..params() };
        let docs = [doc(1.0, &[("a", 1)]), doc(1.0, &[("a", 1)])];
        assert!(expansion_terms(&docs, &HashSet::new(), df, 100, &off).is_empty());
        assert_eq!(expansion_terms(&docs, &HashSet::new(), df, 100, &params()).len(), 1);
    }
}
