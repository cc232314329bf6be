//! Ranking-quality measures for the matching benchmark, defined as in the peer baselines
//! (`../shared/bench/peer_bm25s.py`): binary relevance, cut-off `k`.

use std::collections::HashSet;

/// The measures of one query's ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryScores {
    /// 1 / rank of the first relevant result within the top `k`, else 0.
    pub reciprocal_rank: f64,
    /// Share of the relevant documents found within the top `k`.
    pub recall: f64,
    /// DCG of the top `k` over the ideal DCG (all relevant first), gain 1 / log2(rank + 1).
    pub ndcg: f64,
}

/// Scores `ranked` (best first) against the `relevant` ids at cut-off `k`. A query without
/// relevant documents scores 0 everywhere.
pub fn score_ranking(ranked: &[&str], relevant: &HashSet<&str>, k: usize) -> QueryScores {
    let mut rr = 0.0;
    let mut hits = 0usize;
    let mut dcg = 0.0;
    for (i, id) in ranked.iter().take(k).enumerate() {
        let rank = i + 1;
        if relevant.contains(id) {
            if rr == 0.0 {
                rr = 1.0 / rank as f64;
            }
            hits += 1;
            dcg += discount(rank);
        }
    }
    let ideal: f64 = (1..=relevant.len().min(k)).map(discount).sum();
    if relevant.is_empty() {
        return QueryScores { reciprocal_rank: 0.0, recall: 0.0, ndcg: 0.0 };
    }
    QueryScores { reciprocal_rank: rr, recall: hits as f64 / relevant.len() as f64, ndcg: dcg / ideal }
}

fn discount(rank: usize) -> f64 {
    1.0 / ((rank + 1) as f64).log2()
}

/// The `p`-th percentile (0–100) with linear interpolation between the closest ranks
/// (numpy's default). `None` for no values.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut xs = values.to_vec();
    xs.sort_by(f64::total_cmp);
    let k = (xs.len() - 1) as f64 * p / 100.0;
    let (f, c) = (k.floor(), k.ceil());
    let (lo, hi) = (xs[f as usize], xs[c as usize]);
    Some(if f == c { lo } else { lo + (hi - lo) * (k - f) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set<'a>(ids: &[&'a str]) -> HashSet<&'a str> {
        ids.iter().copied().collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn first_place_hit_is_perfect() {
        let s = score_ranking(&["a", "b", "c"], &set(&["a"]), 10);
        assert_eq!(s.reciprocal_rank, 1.0);
        assert_eq!(s.recall, 1.0);
        assert_eq!(s.ndcg, 1.0);
    }

    #[test]
    fn single_relevant_at_rank_three() {
        let s = score_ranking(&["x", "y", "a"], &set(&["a"]), 10);
        assert!(close(s.reciprocal_rank, 1.0 / 3.0));
        assert_eq!(s.recall, 1.0);
        // DCG = 1/log2(4) = 0.5, IDCG = 1.
        assert!(close(s.ndcg, 0.5));
    }

    #[test]
    fn several_relevant_partly_found() {
        // Relevant a, b, c; found a at rank 2 and c at rank 3.
        let s = score_ranking(&["x", "a", "c", "y"], &set(&["a", "b", "c"]), 10);
        assert!(close(s.reciprocal_rank, 0.5));
        assert!(close(s.recall, 2.0 / 3.0));
        let dcg = 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!(close(s.ndcg, dcg / idcg));
    }

    #[test]
    fn hits_beyond_the_cut_off_do_not_count() {
        let s = score_ranking(&["x", "y", "a"], &set(&["a"]), 2);
        assert_eq!(s, QueryScores { reciprocal_rank: 0.0, recall: 0.0, ndcg: 0.0 });
    }

    #[test]
    fn ideal_dcg_is_capped_at_k() {
        // 3 relevant, k = 2, both top places relevant: perfect nDCG, recall 2/3.
        let s = score_ranking(&["a", "b"], &set(&["a", "b", "c"]), 2);
        assert!(close(s.ndcg, 1.0));
        assert!(close(s.recall, 2.0 / 3.0));
    }

    #[test]
    fn empty_ranking_and_no_relevant() {
        assert_eq!(score_ranking(&[], &set(&["a"]), 10).ndcg, 0.0);
        assert_eq!(score_ranking(&["a"], &set(&[]), 10).recall, 0.0);
    }

    #[test]
    fn percentiles_interpolate() {
        let xs = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(percentile(&xs, 50.0), Some(2.5));
        assert_eq!(percentile(&xs, 0.0), Some(1.0));
        assert_eq!(percentile(&xs, 100.0), Some(4.0));
        assert!(close(percentile(&xs, 99.0).unwrap(), 3.97));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
