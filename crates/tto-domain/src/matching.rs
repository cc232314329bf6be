//! Supply-demand matching (供需匹配, measure 十五): how well an achievement answers a need,
//! why, and where the pair stands in the brokering pipeline.
//!
//! A match score is a weighted sum of features, each in 0–1: the lexical relevance the
//! search index found, the keywords the two records share, industrial-chain and discipline
//! agreement, whether the achievement's TRL lies in the range the need asks for, how recent
//! the achievement is, and whether the need's side has accepted matches from the
//! achievement's institution before. [`MatchFeatures::score`] turns them into 0–100 with
//! [`MatchWeights`]; the features themselves are the readable explanation (matched terms,
//! shared chains …), so a score never comes without its reasons.
//!
//! The pipeline of a pair that someone acted on is the state machine
//! [`MatchStatus::apply`]; accept/reject feedback of either side is kept per side.

use crate::chain::ChainCode;
use crate::tech_need::NeedAction;

code_enum! {
    /// Where a need × achievement pair stands.
    MatchStatus {
        Recommended => "recommended",
        Contacted => "contacted",
        Negotiating => "negotiating",
        Deal => "deal",
        Dropped => "dropped",
    }
}

code_enum! {
    /// The named steps of the pipeline.
    MatchAction {
        Contact => "contact",
        Negotiate => "negotiate",
        CloseDeal => "close_deal",
        Drop => "drop",
        Reopen => "reopen",
    }
}

code_enum! {
    /// A side's verdict on a recommended pair.
    FeedbackVerdict {
        Accept => "accept",
        Reject => "reject",
    }
}

code_enum! {
    /// Which side of a pair gave feedback: the need's institution or the achievement's.
    MatchSide {
        Need => "need",
        Achievement => "achievement",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a match that is {from}")]
pub struct IllegalMatchTransition {
    pub from: MatchStatus,
    pub action: MatchAction,
}

impl MatchStatus {
    /// The status after `action`, or why the action is not allowed now.
    ///
    /// ```text
    /// recommended ──contact──▶ contacted ──negotiate──▶ negotiating ──close_deal──▶ deal
    /// recommended ──negotiate──▶ negotiating
    /// recommended | contacted | negotiating ──drop──▶ dropped ──reopen──▶ recommended
    /// ```
    pub fn apply(self, action: MatchAction) -> Result<MatchStatus, IllegalMatchTransition> {
        use MatchAction as A;
        use MatchStatus as S;
        Ok(match (self, action) {
            (S::Recommended, A::Contact) => S::Contacted,
            (S::Recommended | S::Contacted, A::Negotiate) => S::Negotiating,
            (S::Negotiating, A::CloseDeal) => S::Deal,
            (S::Recommended | S::Contacted | S::Negotiating, A::Drop) => S::Dropped,
            (S::Dropped, A::Reopen) => S::Recommended,
            (from, action) => return Err(IllegalMatchTransition { from, action }),
        })
    }

    pub fn allowed_actions(self) -> Vec<MatchAction> {
        MatchAction::ALL.iter().copied().filter(|a| self.apply(*a).is_ok()).collect()
    }

    /// Still being worked on (counts towards a manager's load).
    pub fn is_open(self) -> bool {
        matches!(self, MatchStatus::Recommended | MatchStatus::Contacted | MatchStatus::Negotiating)
    }

    /// What reaching this status does to the pair's need: talks under way mean the need
    /// has found its match (`published → matched`); a deal means work on it has begun
    /// (`published | matched → in_progress`). The step is taken only where the need's own
    /// lifecycle allows it ([`NeedStatus::apply`]); closing a need stays its owner's call.
    ///
    /// [`NeedStatus::apply`]: crate::tech_need::NeedStatus::apply
    pub fn need_action(self) -> Option<NeedAction> {
        match self {
            MatchStatus::Negotiating => Some(NeedAction::Match),
            MatchStatus::Deal => Some(NeedAction::Start),
            MatchStatus::Recommended | MatchStatus::Contacted | MatchStatus::Dropped => None,
        }
    }
}

/// How an achievement's TRL relates to the range a need asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrlFit {
    /// The need names no range, or the record has no level.
    Unknown,
    Within {
        level: u8,
    },
    /// Below the minimum by `gap` levels.
    Below {
        level: u8,
        gap: u8,
    },
    /// Above the maximum by `gap` levels (usually harmless: more mature than asked).
    Above {
        level: u8,
        gap: u8,
    },
}

impl TrlFit {
    pub fn of(level: Option<u8>, min: Option<u8>, max: Option<u8>) -> TrlFit {
        let Some(level) = level else { return TrlFit::Unknown };
        if min.is_none() && max.is_none() {
            return TrlFit::Unknown;
        }
        match (min, max) {
            (Some(lo), _) if level < lo => TrlFit::Below { level, gap: lo - level },
            (_, Some(hi)) if level > hi => TrlFit::Above { level, gap: level - hi },
            _ => TrlFit::Within { level },
        }
    }

    /// 1 within the range; less the further below it (an immature result costs the
    /// enterprise development), a little less above it; ½ when unknown.
    pub fn value(self) -> f64 {
        match self {
            TrlFit::Unknown => 0.5,
            TrlFit::Within { .. } => 1.0,
            TrlFit::Below { gap, .. } => (1.0 - 0.34 * f64::from(gap)).max(0.0),
            TrlFit::Above { gap, .. } => (1.0 - 0.15 * f64::from(gap)).max(0.0),
        }
    }
}

/// The weight of each feature in the score; they add up to 1.
///
/// These are ranking settings, not policy: no law fixes them. They were set so that text
/// relevance leads and the structured agreements (chain, TRL, shared keywords) reorder
/// candidates of similar relevance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchWeights {
    pub lexical: f64,
    pub keywords: f64,
    pub chain: f64,
    pub discipline: f64,
    pub trl: f64,
    pub recency: f64,
    pub preference: f64,
}

impl Default for MatchWeights {
    fn default() -> Self {
        MatchWeights {
            lexical: 0.45,
            keywords: 0.15,
            chain: 0.15,
            discipline: 0.05,
            trl: 0.10,
            recency: 0.05,
            preference: 0.05,
        }
    }
}

/// A term the two records share and where the candidate has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedTerm {
    /// `title`, `keywords` or `body`.
    pub field: &'static str,
    pub term: String,
}

/// Why a candidate matches: every feature of the score with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchFeatures {
    /// Relevance relative to the best candidate, scaled by how many query terms matched (0–1).
    pub lexical: f64,
    /// Terms of the query found in the candidate, per field.
    pub matched_terms: Vec<MatchedTerm>,
    /// Keywords both records list (compared case-insensitively).
    pub shared_keywords: Vec<String>,
    /// Share of the asking record's keywords the candidate lists (0–1).
    pub keyword_overlap: f64,
    pub shared_chains: Vec<ChainCode>,
    pub same_discipline: bool,
    pub trl: TrlFit,
    /// Age of the achievement in whole years (from its completion date or record), if known.
    pub age_years: Option<i64>,
    /// The asking side accepted matches with the candidate's institution before.
    pub preferred_institution: bool,
}

impl MatchFeatures {
    /// 1 for this year's results, falling linearly to 0 at ten years; ½ when unknown.
    pub fn recency(&self) -> f64 {
        match self.age_years {
            None => 0.5,
            Some(y) => (1.0 - y.max(0) as f64 / 10.0).max(0.0),
        }
    }

    /// The score, 0–100.
    pub fn score(&self, w: &MatchWeights) -> i64 {
        let chain = if self.shared_chains.is_empty() { 0.0 } else { 1.0 };
        let discipline = if self.same_discipline { 1.0 } else { 0.0 };
        let preference = if self.preferred_institution { 1.0 } else { 0.0 };
        let total = w.lexical * self.lexical.clamp(0.0, 1.0)
            + w.keywords * self.keyword_overlap.clamp(0.0, 1.0)
            + w.chain * chain
            + w.discipline * discipline
            + w.trl * self.trl.value()
            + w.recency * self.recency()
            + w.preference * preference;
        (total * 100.0).round().clamp(0.0, 100.0) as i64
    }
}

/// Keywords of `a` that `b` also lists, in `a`'s order, compared case-insensitively and
/// ignoring surrounding space; and the share of `a`'s keywords that they are.
pub fn shared_keywords(a: &[String], b: &[String]) -> (Vec<String>, f64) {
    let norm = |k: &str| k.trim().to_lowercase();
    let theirs: std::collections::HashSet<String> = b.iter().map(|k| norm(k)).filter(|k| !k.is_empty()).collect();
    let mut seen = std::collections::HashSet::new();
    let mine: Vec<&String> = a.iter().filter(|k| !k.trim().is_empty() && seen.insert(norm(k))).collect();
    let shared: Vec<String> = mine.iter().filter(|k| theirs.contains(&norm(k))).map(|k| k.trim().to_string()).collect();
    let share = if mine.is_empty() { 0.0 } else { shared.len() as f64 / mine.len() as f64 };
    (shared, share)
}

/// Why a technology manager suits a need: their record on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ManagerFeatures {
    /// Pairs they were assigned to whose need shares a chain with this one.
    pub chain_cases: usize,
    /// Of those, closed as deals.
    pub chain_deals: usize,
    /// Pairs they were assigned to, in all.
    pub total_cases: usize,
    /// Of those, closed as deals.
    pub total_deals: usize,
    /// Pairs they are still working on.
    pub open_cases: usize,
    /// Keywords of this need that needs they handled also listed.
    pub shared_keywords: Vec<String>,
}

impl ManagerFeatures {
    /// Cases in the same chain count most (three make full experience), then shared
    /// keywords, then the deal rate; a heavy load (ten open cases) costs up to a tenth.
    /// 0–100.
    pub fn score(&self, need_keywords: usize) -> i64 {
        let experience = (self.chain_cases as f64 / 3.0).min(1.0);
        let keywords =
            if need_keywords == 0 { 0.0 } else { (self.shared_keywords.len() as f64 / need_keywords as f64).min(1.0) };
        let deal_rate = if self.total_cases == 0 { 0.0 } else { self.total_deals as f64 / self.total_cases as f64 };
        let free = 1.0 - (self.open_cases as f64 / 10.0).min(1.0);
        let total = 0.4 * experience + 0.3 * keywords + 0.2 * deal_rate + 0.1 * free;
        (total * 100.0).round() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::stored_chain_code;

    fn features() -> MatchFeatures {
        MatchFeatures {
            lexical: 1.0,
            matched_terms: vec![MatchedTerm { field: "title", term: "储能".into() }],
            shared_keywords: vec!["储能".into()],
            keyword_overlap: 1.0,
            shared_chains: vec![stored_chain_code("new_energy")],
            same_discipline: true,
            trl: TrlFit::Within { level: 6 },
            age_years: Some(0),
            preferred_institution: true,
        }
    }

    #[test]
    fn the_pipeline_moves_forward_and_can_be_dropped_and_reopened() {
        use MatchAction as A;
        use MatchStatus as S;
        assert_eq!(S::Recommended.apply(A::Contact), Ok(S::Contacted));
        assert_eq!(S::Contacted.apply(A::Negotiate), Ok(S::Negotiating));
        assert_eq!(S::Negotiating.apply(A::CloseDeal), Ok(S::Deal));
        assert_eq!(S::Contacted.apply(A::Drop), Ok(S::Dropped));
        assert_eq!(S::Dropped.apply(A::Reopen), Ok(S::Recommended));
        assert!(S::Deal.apply(A::Drop).is_err());
        assert!(S::Recommended.apply(A::CloseDeal).is_err());
        assert_eq!(S::Deal.allowed_actions(), Vec::<MatchAction>::new());
        assert!(S::Negotiating.is_open() && !S::Dropped.is_open());
    }

    #[test]
    fn talks_and_deals_move_the_need_where_its_lifecycle_allows() {
        use crate::tech_need::NeedStatus as N;
        let need_after = |pair: MatchStatus, need: N| pair.need_action().and_then(|a| need.apply(a).ok());
        assert_eq!(need_after(MatchStatus::Negotiating, N::Published), Some(N::Matched));
        assert_eq!(need_after(MatchStatus::Deal, N::Published), Some(N::InProgress));
        assert_eq!(need_after(MatchStatus::Deal, N::Matched), Some(N::InProgress));
        // Already further on, closed by its owner, or a mere suggestion: nothing moves.
        assert_eq!(need_after(MatchStatus::Negotiating, N::InProgress), None);
        assert_eq!(need_after(MatchStatus::Deal, N::Closed), None);
        assert_eq!(need_after(MatchStatus::Deal, N::Withdrawn), None);
        for quiet in [MatchStatus::Recommended, MatchStatus::Contacted, MatchStatus::Dropped] {
            assert_eq!(quiet.need_action(), None);
        }
    }

    #[test]
    fn trl_fit_prefers_the_asked_range() {
        assert_eq!(TrlFit::of(Some(6), Some(5), Some(7)), TrlFit::Within { level: 6 });
        assert_eq!(TrlFit::of(Some(3), Some(5), None), TrlFit::Below { level: 3, gap: 2 });
        assert_eq!(TrlFit::of(Some(9), None, Some(7)), TrlFit::Above { level: 9, gap: 2 });
        assert_eq!(TrlFit::of(None, Some(5), Some(7)), TrlFit::Unknown);
        assert_eq!(TrlFit::of(Some(4), None, None), TrlFit::Unknown);
        assert!(TrlFit::Below { level: 3, gap: 2 }.value() < TrlFit::Above { level: 9, gap: 2 }.value());
        assert_eq!(TrlFit::Below { level: 1, gap: 4 }.value(), 0.0);
    }

    #[test]
    fn every_feature_counts_and_the_score_stays_in_range() {
        let w = MatchWeights::default();
        let total = w.lexical + w.keywords + w.chain + w.discipline + w.trl + w.recency + w.preference;
        assert!((total - 1.0).abs() < 1e-9);
        let best = features();
        assert_eq!(best.score(&w), 100);
        let mut f = best.clone();
        f.shared_chains.clear();
        assert_eq!(f.score(&w), 85);
        f.lexical = 7.0; // out of range input is clamped
        assert_eq!(f.score(&w), 85);
        let mut f = best.clone();
        f.trl = TrlFit::Below { level: 2, gap: 3 };
        f.age_years = Some(20);
        f.preferred_institution = false;
        assert_eq!(f.score(&w), 100 - 10 - 5 - 5);
    }

    #[test]
    fn managers_with_experience_in_the_chain_come_first() {
        let novice = ManagerFeatures::default();
        assert_eq!(novice.score(3), 10);
        let busy = ManagerFeatures { open_cases: 20, ..ManagerFeatures::default() };
        assert_eq!(busy.score(3), 0);
        let expert = ManagerFeatures {
            chain_cases: 3,
            chain_deals: 1,
            total_cases: 4,
            total_deals: 2,
            open_cases: 2,
            shared_keywords: vec!["储能".into()],
        };
        // 0.4 + 0.3 × 1/3 + 0.2 × 1/2 + 0.1 × 0.8
        assert_eq!(expert.score(3), 68);
        assert!(expert.score(0) < expert.score(3));
    }

    #[test]
    fn shared_keywords_ignore_case_space_and_repeats() {
        let a = vec!["Graphene".to_string(), " 储能 ".into(), "储能".into(), "".into(), "电池".into()];
        let b = vec!["graphene".to_string(), "储能".into()];
        let (shared, share) = shared_keywords(&a, &b);
        assert_eq!(shared, vec!["Graphene".to_string(), "储能".into()]);
        assert!((share - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(shared_keywords(&[], &b).1, 0.0);
    }
}
