//! Supply-demand matching (供需匹配, measure 十五): need → achievements, achievement → needs
//! (and so enterprises), need → technology managers; the brokering pipeline; feedback.
//!
//! Candidates come from the node's search index (only what the actor may see), queried
//! with the asking record's title, keywords and the start of its text; each is then scored
//! with the features of [`tto_domain::matching`] from the two full records, so the
//! structured agreements (chain, discipline, TRL, keywords) reorder what text relevance
//! found. Candidates are computed when asked and not stored; a pair is stored once someone
//! acts on it (accepts it, puts it in the pipeline), with the score and explanation it had.
//!
//! Who acts for which side: the need's side is whoever may manage the need (the enterprise,
//! the exchange that collected it, the platform); the achievement's side whoever may edit
//! the achievement (its TTO). A side's rejection drops the pair if it is in the pipeline and
//! moves it to the end of that side's list. The pipeline itself is worked by TTO staff, the
//! exchange, the platform and the assigned technology manager (`match.manage`).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};
use tto_domain::matching::{
    FeedbackVerdict, IllegalMatchTransition, ManagerFeatures, MatchAction, MatchFeatures, MatchSide, MatchStatus,
    MatchWeights, MatchedTerm, TrlFit, shared_keywords,
};
use tto_domain::{Achievement, AchievementId, ChainCode, InstitutionId, Violation};
use tto_store::matching::{self as repo, Feedback, MatchFilter, MatchRecord, MatchScope, NewMatch};
use tto_store::tech_needs::{self as need_repo, ContactAccess, Need};
use tto_store::{Scope, StoreError, accounts, achievements as achievement_repo};

use crate::authz::{Actor, Permission, Reach, Role};
use crate::search::{SearchKind, SearchQuery};
use crate::{App, AppError, Result};

/// Most candidates a list shows.
pub const MAX_CANDIDATES: usize = 50;
/// Candidates fetched from the index before scoring (the rest cannot reach the top).
const RETRIEVE: i64 = 100;
/// Characters of the asking record's text used for the query (after title and keywords).
const QUERY_TEXT_CHARS: usize = 240;
/// Longest note or reason, in characters.
pub const NOTE_MAX: usize = 1000;

/// The other record of a candidate pair, as a list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Counterpart {
    pub kind: SearchKind,
    pub id: i64,
    pub title: String,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    /// For needs collected by an association: the enterprise named on it.
    pub enterprise_name: Option<String>,
    pub chains: Vec<ChainCode>,
    pub discipline: Option<String>,
    /// The achievement's TRL, or the need's minimum.
    pub trl: Option<u8>,
    pub status: String,
}

/// One candidate with its score, reasons and where the pair stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub counterpart: Counterpart,
    pub score: i64,
    pub features: MatchFeatures,
    /// The pipeline record, when the pair has one the actor may see.
    pub pipeline: Option<MatchRecord>,
    /// The latest verdict of the need's side and of the achievement's side.
    pub need_verdict: Option<FeedbackVerdict>,
    pub achievement_verdict: Option<FeedbackVerdict>,
}

/// Candidates for one record, best first, and what the actor may do with them.
#[derive(Debug, Clone, PartialEq)]
pub struct Matches {
    /// The side the actor gives feedback as, if any.
    pub side: Option<MatchSide>,
    pub candidates: Vec<Candidate>,
}

/// Needs of one enterprise among an achievement's candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseMatch {
    pub name: String,
    pub institution_id: InstitutionId,
    pub best_score: i64,
    /// (need id, title, score), best first.
    pub needs: Vec<(i64, String, i64)>,
}

impl Matches {
    /// The enterprises behind the candidate needs, best first (a need collected by an
    /// association counts for the enterprise it names).
    pub fn by_enterprise(&self) -> Vec<EnterpriseMatch> {
        let mut out: Vec<EnterpriseMatch> = Vec::new();
        for c in self.candidates.iter().filter(|c| c.counterpart.kind == SearchKind::Need) {
            let p = &c.counterpart;
            let name = p.enterprise_name.clone().unwrap_or_else(|| p.institution_name.clone());
            let entry = match out.iter_mut().position(|e| e.name == name) {
                Some(i) => &mut out[i],
                None => {
                    out.push(EnterpriseMatch {
                        name,
                        institution_id: p.institution_id,
                        best_score: 0,
                        needs: Vec::new(),
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            entry.best_score = entry.best_score.max(c.score);
            entry.needs.push((p.id, p.title.clone(), c.score));
        }
        out.sort_by(|a, b| b.best_score.cmp(&a.best_score).then_with(|| a.name.cmp(&b.name)));
        out
    }
}

/// A technology manager proposed for a need.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagerCandidate {
    pub user_id: i64,
    pub name: String,
    pub institution_name: String,
    pub score: i64,
    pub features: ManagerFeatures,
}

/// A page of the pipeline with the total and counts per status.
#[derive(Debug, Clone)]
pub struct MatchListing {
    pub rows: Vec<MatchRecord>,
    pub total: i64,
    pub counts: Vec<(MatchStatus, i64)>,
}

/// A pipeline record with what the actor may do with it.
#[derive(Debug, Clone)]
pub struct MatchView {
    pub record: MatchRecord,
    pub features: Option<MatchFeatures>,
    pub actions: Vec<MatchAction>,
    pub can_assign: bool,
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "match" },
        other => other.into(),
    }
}

fn illegal(e: IllegalMatchTransition) -> AppError {
    AppError::conflict("status", Violation::Rule { code: "illegal_match_transition", detail: e.to_string() })
}

fn check_note(field: &str, note: Option<&str>) -> Result<Option<String>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > NOTE_MAX) {
        return Err(AppError::field(field, Violation::TooLong { max: NOTE_MAX }));
    }
    Ok(note.map(str::to_string))
}

/// The query a record is matched with: its title, its keywords and the start of its text.
pub(crate) fn query_text(title: &str, keywords: &[String], text: &str) -> String {
    let mut q = String::from(title);
    for k in keywords {
        q.push(' ');
        q.push_str(k);
    }
    q.push(' ');
    q.extend(text.chars().take(QUERY_TEXT_CHARS));
    q.chars().take(crate::search::MAX_QUERY_CHARS).collect()
}

/// Relevance relative to the best candidate, scaled by how many distinct query terms the
/// candidate has (all of them, up to eight, for full marks).
fn lexical(score: f32, best: f32, matched: &[(&'static str, String)], query_terms: usize) -> f64 {
    if best <= 0.0 {
        return 0.0;
    }
    let distinct: HashSet<&str> = matched.iter().map(|(_, term)| term.as_str()).collect();
    let wanted = query_terms.clamp(1, 8);
    let coverage = (distinct.len() as f64 / wanted as f64).min(1.0);
    f64::from(score / best).min(1.0) * (0.5 + 0.5 * coverage)
}

/// The features of a need × achievement pair that a search with the need's
/// [`query_text`] found (score `hit_score` of the best `best`), seen from the need's side.
/// Shared with the agenda of handshake events, so both rank pairs alike.
pub(crate) fn need_side_features(
    need: &Need,
    achievement: &Achievement,
    hit: (f32, f32, &[(&'static str, String)]),
    query_terms: usize,
    preferred: bool,
    today: time::Date,
) -> MatchFeatures {
    let (hit_score, best, matched) = hit;
    let f = &achievement.fields;
    pair_features(
        PairInput {
            need,
            achievement,
            asking: MatchSide::Need,
            lexical: lexical(hit_score, best, matched, query_terms),
            matched_terms: phrases(matched, &f.title, &f.keywords, &f.summary),
            preferred,
        },
        today,
    )
}

/// The matched terms of a hit as the phrases of the candidate's fields they form.
fn phrases(matched: &[(&'static str, String)], title: &str, keywords: &[String], body: &str) -> Vec<MatchedTerm> {
    let keywords = keywords.join("；");
    let mut out = Vec::new();
    for (field, text) in [("title", title), ("keywords", keywords.as_str()), ("body", body)] {
        let terms: HashSet<&str> = matched.iter().filter(|(f, _)| *f == field).map(|(_, t)| t.as_str()).collect();
        if terms.is_empty() {
            continue;
        }
        for term in crate::search::matched_phrases(text, &terms) {
            out.push(MatchedTerm { field, term });
        }
    }
    out
}

fn age_years(a: &Achievement, today: time::Date) -> i64 {
    let from = a.fields.completion_date.unwrap_or(a.created_at.date());
    i64::from(today.year() - from.year()).max(0)
}

/// The explanation as stored with a pipeline record and returned by the API.
pub fn features_json(f: &MatchFeatures) -> Value {
    let (fit, level, gap) = match f.trl {
        TrlFit::Unknown => ("unknown", None, None),
        TrlFit::Within { level } => ("within", Some(level), None),
        TrlFit::Below { level, gap } => ("below", Some(level), Some(gap)),
        TrlFit::Above { level, gap } => ("above", Some(level), Some(gap)),
    };
    json!({
        "lexical": (f.lexical * 1000.0).round() / 1000.0,
        "matched_terms": f.matched_terms.iter().map(|t| json!({"field": t.field, "term": t.term})).collect::<Vec<_>>(),
        "shared_keywords": f.shared_keywords,
        "keyword_overlap": (f.keyword_overlap * 1000.0).round() / 1000.0,
        "shared_chains": f.shared_chains.iter().map(ChainCode::as_str).collect::<Vec<_>>(),
        "same_discipline": f.same_discipline,
        "trl": {"fit": fit, "level": level, "gap": gap},
        "age_years": f.age_years,
        "preferred_institution": f.preferred_institution,
    })
}

/// Reads back an explanation stored by [`features_json`] (`None` if it is not one).
pub fn features_from_json(v: &Value) -> Option<MatchFeatures> {
    let strings = |key: &str| -> Vec<String> {
        v[key].as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
    };
    let level = v["trl"]["level"].as_u64().map(|l| l as u8);
    let gap = v["trl"]["gap"].as_u64().map(|g| g as u8).unwrap_or(0);
    let trl = match (v["trl"]["fit"].as_str()?, level) {
        ("within", Some(level)) => TrlFit::Within { level },
        ("below", Some(level)) => TrlFit::Below { level, gap },
        ("above", Some(level)) => TrlFit::Above { level, gap },
        _ => TrlFit::Unknown,
    };
    let field = |f: &str| -> &'static str {
        match f {
            "title" => "title",
            "keywords" => "keywords",
            _ => "body",
        }
    };
    Some(MatchFeatures {
        lexical: v["lexical"].as_f64()?,
        matched_terms: v["matched_terms"]
            .as_array()?
            .iter()
            .filter_map(|t| Some(MatchedTerm { field: field(t["field"].as_str()?), term: t["term"].as_str()?.into() }))
            .collect(),
        shared_keywords: strings("shared_keywords"),
        keyword_overlap: v["keyword_overlap"].as_f64().unwrap_or(0.0),
        shared_chains: strings("shared_chains").iter().map(|c| tto_domain::chain::stored_chain_code(c)).collect(),
        same_discipline: v["same_discipline"].as_bool().unwrap_or(false),
        trl,
        age_years: v["age_years"].as_i64(),
        preferred_institution: v["preferred_institution"].as_bool().unwrap_or(false),
    })
}

/// The features of a need × achievement pair, seen from `asking` (whose keywords are
/// compared with the other's).
struct PairInput<'a> {
    need: &'a Need,
    achievement: &'a Achievement,
    asking: MatchSide,
    lexical: f64,
    matched_terms: Vec<MatchedTerm>,
    preferred: bool,
}

fn pair_features(p: PairInput<'_>, today: time::Date) -> MatchFeatures {
    let (nf, af) = (&p.need.fields, &p.achievement.fields);
    let (shared, overlap) = match p.asking {
        MatchSide::Need => shared_keywords(&nf.keywords, &af.keywords),
        MatchSide::Achievement => shared_keywords(&af.keywords, &nf.keywords),
    };
    MatchFeatures {
        lexical: p.lexical,
        matched_terms: p.matched_terms,
        shared_keywords: shared,
        keyword_overlap: overlap,
        shared_chains: nf.chains.iter().filter(|c| af.chains.contains(c)).cloned().collect(),
        same_discipline: nf.discipline.as_deref().is_some_and(|d| d.trim() == af.discipline.trim()),
        trl: TrlFit::of(Some(af.trl.level()), nf.trl_min.map(|t| t.level()), nf.trl_max.map(|t| t.level())),
        age_years: Some(age_years(p.achievement, today)),
        preferred_institution: p.preferred,
    }
}

fn verdicts(
    feedback: &[Feedback],
    need_id: i64,
    achievement_id: i64,
) -> (Option<FeedbackVerdict>, Option<FeedbackVerdict>) {
    let of = |side| {
        feedback
            .iter()
            .find(|f| f.need_id == need_id && f.achievement_id == achievement_id && f.side == side)
            .map(|f| f.verdict)
    };
    (of(MatchSide::Need), of(MatchSide::Achievement))
}

/// Best first; pairs the viewing side rejected last.
fn rank(candidates: &mut [Candidate], side: Option<MatchSide>) {
    let rejected = |c: &Candidate| {
        let v = match side {
            Some(MatchSide::Need) => c.need_verdict,
            Some(MatchSide::Achievement) => c.achievement_verdict,
            None => None,
        };
        v == Some(FeedbackVerdict::Reject)
    };
    candidates.sort_by(|a, b| {
        rejected(a).cmp(&rejected(b)).then(b.score.cmp(&a.score)).then(a.counterpart.id.cmp(&b.counterpart.id))
    });
}

fn need_counterpart(n: &Need) -> Counterpart {
    Counterpart {
        kind: SearchKind::Need,
        id: n.id,
        title: n.fields.title.clone(),
        institution_id: n.institution_id,
        institution_name: n.institution_name.clone(),
        enterprise_name: n.fields.enterprise_name.clone(),
        chains: n.fields.chains.clone(),
        discipline: n.fields.discipline.clone(),
        trl: n.fields.trl_min.map(|t| t.level()),
        status: n.status.code().to_string(),
    }
}

impl App {
    fn match_scope(&self, actor: &Actor) -> Result<MatchScope> {
        match actor {
            Actor::System { .. } => Ok(MatchScope::All),
            Actor::Anonymous => Err(AppError::Unauthenticated),
            Actor::User(u) => match actor.require(Permission::MatchRead)? {
                Reach::All => Ok(MatchScope::All),
                Reach::Own => Ok(MatchScope::Party { institution: u.institution_id, user: u.user_id.0 }),
            },
        }
    }

    /// The side the actor acts for on pairs of this need and achievement, if any.
    fn feedback_side(&self, actor: &Actor, need: InstitutionId, achievement: InstitutionId) -> Option<MatchSide> {
        if actor.require_for(Permission::NeedManage, need).is_ok() {
            Some(MatchSide::Need)
        } else if actor.require_for(Permission::AchievementEdit, achievement).is_ok() {
            Some(MatchSide::Achievement)
        } else {
            None
        }
    }

    /// Whether the actor may work the pipeline of a pair.
    fn may_manage(&self, actor: &Actor, m: &MatchRecord) -> bool {
        match actor.require(Permission::MatchManage) {
            Ok(Reach::All) => true,
            Ok(Reach::Own) => {
                let u = actor.user().expect("users have reach");
                u.institution_id == m.need_institution_id
                    || u.institution_id == m.achievement_institution_id
                    || m.manager_user_id == Some(u.user_id.0)
            }
            Err(_) => false,
        }
    }

    /// Achievements that may answer a need, best first, with their reasons. Anyone who may
    /// read the need may ask; the candidates are what the actor may see.
    pub async fn need_matches(&self, actor: &Actor, need_id: i64, limit: usize) -> Result<Matches> {
        let need = self.need(actor, need_id).await?.need;
        let f = &need.fields;
        let text = query_text(&f.title, &f.keywords, &f.description);
        let query = SearchQuery {
            text: text.clone(),
            kind: Some(SearchKind::Achievement.code().into()),
            limit: RETRIEVE,
            ..SearchQuery::default()
        };
        let hits = self.search(actor, &query).await?.hits;
        let best = hits.first().map(|h| h.score).unwrap_or(0.0);
        let query_terms = crate::search::distinct_terms(&text);
        let scope = actor.catalogue_scope(Permission::AchievementRead);
        let mut r = self.store().reader().await?;
        let feedback = repo::feedback_for_need(&mut r, need.id).await?;
        let preferred: HashSet<i64> =
            repo::accepted_partners(&mut r, MatchSide::Need, need.institution_id).await?.into_iter().collect();
        let match_scope = self.match_scope(actor).ok();
        let names = self.institution_names(&mut r).await?;
        let mut candidates = Vec::with_capacity(hits.len());
        for h in hits {
            let achievement = match achievement_repo::get(&mut r, scope, AchievementId(h.id)).await {
                Ok(a) => a,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            };
            let features = need_side_features(
                &need,
                &achievement,
                (h.score, best, &h.matched),
                query_terms,
                preferred.contains(&achievement.institution_id.0),
                self.today(),
            );
            let (need_verdict, achievement_verdict) = verdicts(&feedback, need.id, achievement.id.0);
            let pipeline = visible_pair(&mut r, match_scope, need.id, achievement.id.0).await?;
            let a = &achievement.fields;
            candidates.push(Candidate {
                counterpart: Counterpart {
                    kind: SearchKind::Achievement,
                    id: achievement.id.0,
                    title: a.title.clone(),
                    institution_id: achievement.institution_id,
                    institution_name: names.get(&achievement.institution_id).cloned().unwrap_or_default(),
                    enterprise_name: None,
                    chains: a.chains.clone(),
                    discipline: Some(a.discipline.clone()),
                    trl: Some(a.trl.level()),
                    status: achievement.status.code().to_string(),
                },
                score: features.score(&MatchWeights::default()),
                features,
                pipeline,
                need_verdict,
                achievement_verdict,
            });
        }
        let side = match actor.require_for(Permission::NeedManage, need.institution_id) {
            Ok(()) => Some(MatchSide::Need),
            Err(_) => None,
        };
        rank(&mut candidates, side);
        candidates.truncate(limit.clamp(1, MAX_CANDIDATES));
        Ok(Matches { side, candidates })
    }

    /// Published needs an achievement may answer, best first, with their reasons.
    pub async fn achievement_matches(&self, actor: &Actor, id: AchievementId, limit: usize) -> Result<Matches> {
        let achievement = self.achievement(actor, id).await?.achievement;
        let a = &achievement.fields;
        let text = query_text(&a.title, &a.keywords, &a.summary);
        let query = SearchQuery {
            text: text.clone(),
            kind: Some(SearchKind::Need.code().into()),
            limit: RETRIEVE,
            ..SearchQuery::default()
        };
        let hits = self.search(actor, &query).await?.hits;
        let best = hits.first().map(|h| h.score).unwrap_or(0.0);
        let query_terms = crate::search::distinct_terms(&text);
        let scope = actor.catalogue_scope(Permission::NeedRead);
        let mut r = self.store().reader().await?;
        let feedback = repo::feedback_for_achievement(&mut r, achievement.id.0).await?;
        let preferred: HashSet<i64> =
            repo::accepted_partners(&mut r, MatchSide::Achievement, achievement.institution_id)
                .await?
                .into_iter()
                .collect();
        let match_scope = self.match_scope(actor).ok();
        let mut candidates = Vec::with_capacity(hits.len());
        for h in hits {
            let need = match need_repo::get(&mut r, scope, need_repo::ContactAccess::PublicOnly, h.id).await {
                Ok(n) => n,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            };
            // Only needs still looking for an answer.
            if !need.status.is_public() {
                continue;
            }
            let nf = &need.fields;
            let features = pair_features(
                PairInput {
                    need: &need,
                    achievement: &achievement,
                    asking: MatchSide::Achievement,
                    lexical: lexical(h.score, best, &h.matched, query_terms),
                    matched_terms: phrases(&h.matched, &nf.title, &nf.keywords, &nf.description),
                    preferred: preferred.contains(&need.institution_id.0),
                },
                self.today(),
            );
            let (need_verdict, achievement_verdict) = verdicts(&feedback, need.id, achievement.id.0);
            let pipeline = visible_pair(&mut r, match_scope, need.id, achievement.id.0).await?;
            candidates.push(Candidate {
                counterpart: need_counterpart(&need),
                score: features.score(&MatchWeights::default()),
                features,
                pipeline,
                need_verdict,
                achievement_verdict,
            });
        }
        let side = match actor.require_for(Permission::AchievementEdit, achievement.institution_id) {
            Ok(()) => Some(MatchSide::Achievement),
            Err(_) => None,
        };
        rank(&mut candidates, side);
        candidates.truncate(limit.clamp(1, MAX_CANDIDATES));
        Ok(Matches { side, candidates })
    }

    /// Technology managers for a need, best first: those who may assign managers or who
    /// manage the need may ask.
    pub async fn need_managers(&self, actor: &Actor, need_id: i64) -> Result<Vec<ManagerCandidate>> {
        signed_in(actor)?;
        let need = self.need(actor, need_id).await?.need;
        if !actor.can(Permission::MatchManage)
            && actor.require_for(Permission::NeedManage, need.institution_id).is_err()
        {
            return Err(AppError::Forbidden);
        }
        let mut r = self.store().reader().await?;
        let managers = accounts::active_users_with_role(&mut r, Role::TechManager.code()).await?;
        let cases = repo::manager_cases(&mut r).await?;
        let names = self.institution_names(&mut r).await?;
        let chains: Vec<&str> = need.fields.chains.iter().map(ChainCode::as_str).collect();
        let mut out: Vec<ManagerCandidate> = managers
            .into_iter()
            .map(|u| {
                let mine: Vec<_> = cases.iter().filter(|c| c.manager_user_id == u.id).collect();
                let in_chain: Vec<_> =
                    mine.iter().filter(|c| c.need_chains.iter().any(|ch| chains.contains(&ch.as_str()))).collect();
                let handled: Vec<String> = mine.iter().flat_map(|c| c.need_keywords.iter().cloned()).collect();
                let features = ManagerFeatures {
                    chain_cases: in_chain.len(),
                    chain_deals: in_chain.iter().filter(|c| c.status == MatchStatus::Deal).count(),
                    total_cases: mine.len(),
                    total_deals: mine.iter().filter(|c| c.status == MatchStatus::Deal).count(),
                    open_cases: mine.iter().filter(|c| c.status.is_open()).count(),
                    shared_keywords: shared_keywords(&need.fields.keywords, &handled).0,
                };
                ManagerCandidate {
                    user_id: u.id,
                    name: u.display_name,
                    institution_name: names.get(&u.institution_id).cloned().unwrap_or_default(),
                    score: features.score(need.fields.keywords.len()),
                    features,
                }
            })
            .collect();
        out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.name.cmp(&b.name)));
        Ok(out)
    }

    /// Records the actor's side's verdict on a pair. Accepting puts the pair in the
    /// pipeline (recommended) if it is not there; rejecting drops it if it is open there.
    pub async fn match_feedback(
        &self,
        actor: &Actor,
        need_id: i64,
        achievement_id: i64,
        verdict: FeedbackVerdict,
        reason: Option<&str>,
    ) -> Result<Option<MatchRecord>> {
        signed_in(actor)?;
        let reason = check_note("reason", reason)?;
        let (need, achievement) = self.pair(actor, need_id, achievement_id).await?;
        let side =
            self.feedback_side(actor, need.institution_id, achievement.institution_id).ok_or(AppError::Forbidden)?;
        let institution_id = match side {
            MatchSide::Need => need.institution_id,
            MatchSide::Achievement => achievement.institution_id,
        };
        let features = self.pair_features_now(&need, &achievement, side).await?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let feedback = Feedback {
            need_id: need.id,
            achievement_id: achievement.id.0,
            side,
            institution_id,
            verdict,
            reason: reason.clone(),
            user_id: actor.user().map(|u| u.user_id.0),
            created_at: self.now(),
        };
        repo::save_feedback(&mut tx, &feedback).await?;
        let existing = repo::find_pair(&mut tx, need.id, achievement.id.0).await?;
        let saved = match (verdict, existing) {
            (FeedbackVerdict::Accept, None) => Some(
                repo::insert(
                    &mut tx,
                    NewMatch {
                        need_id: need.id,
                        need_institution_id: need.institution_id,
                        achievement_id: achievement.id.0,
                        achievement_institution_id: achievement.institution_id,
                        score: features.score(&MatchWeights::default()),
                        explanation: &features_json(&features),
                        status: MatchStatus::Recommended,
                        manager_user_id: None,
                        note: reason,
                    },
                    "match.create",
                )
                .await?,
            ),
            (FeedbackVerdict::Reject, Some(m)) if m.status.is_open() => {
                let after = MatchRecord { status: MatchStatus::Dropped, note: reason.or(m.note.clone()), ..m.clone() };
                Some(repo::update(&mut tx, &m, m.version, &after, "match.drop").await?)
            }
            (_, existing) => existing,
        };
        tx.commit().await?;
        Ok(saved)
    }

    /// Puts a pair in the pipeline (recommended) on behalf of whoever works it: TTO staff
    /// of either party, the exchange, the platform, a technology manager of a party.
    pub async fn create_match(
        &self,
        actor: &Actor,
        need_id: i64,
        achievement_id: i64,
        manager_user_id: Option<i64>,
        note: Option<&str>,
    ) -> Result<MatchRecord> {
        actor.require(Permission::MatchManage)?;
        let note = check_note("note", note)?;
        let (need, achievement) = self.pair(actor, need_id, achievement_id).await?;
        let probe = MatchRecord {
            id: 0,
            need_id: need.id,
            need_title: String::new(),
            need_institution_id: need.institution_id,
            need_institution_name: String::new(),
            enterprise_name: None,
            achievement_id: achievement.id.0,
            achievement_title: String::new(),
            achievement_institution_id: achievement.institution_id,
            achievement_institution_name: String::new(),
            score: 0,
            explanation: Value::Null,
            status: MatchStatus::Recommended,
            manager_user_id: None,
            manager_name: None,
            note: None,
            created_at: self.now(),
            updated_at: self.now(),
            version: 0,
        };
        if !self.may_manage(actor, &probe) {
            return Err(AppError::Forbidden);
        }
        if let Some(user) = manager_user_id {
            self.check_manager(user).await?;
        }
        let side =
            self.feedback_side(actor, need.institution_id, achievement.institution_id).unwrap_or(MatchSide::Need);
        let features = self.pair_features_now(&need, &achievement, side).await?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        if repo::find_pair(&mut tx, need.id, achievement.id.0).await?.is_some() {
            return Err(AppError::conflict(
                "achievement_id",
                Violation::Duplicate { value: format!("{}×{}", need.id, achievement.id.0) },
            ));
        }
        let saved = repo::insert(
            &mut tx,
            NewMatch {
                need_id: need.id,
                need_institution_id: need.institution_id,
                achievement_id: achievement.id.0,
                achievement_institution_id: achievement.institution_id,
                score: features.score(&MatchWeights::default()),
                explanation: &features_json(&features),
                status: MatchStatus::Recommended,
                manager_user_id,
                note,
            },
            "match.create",
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn matches(&self, actor: &Actor, filter: &MatchFilter, offset: i64, limit: i64) -> Result<MatchListing> {
        let scope = self.match_scope(actor)?;
        let mut r = self.store().reader().await?;
        let rows = repo::list(&mut r, scope, filter, offset.max(0), limit.clamp(1, 500)).await?;
        let total = repo::count(&mut r, scope, filter).await?;
        let counts = repo::count_by_status(&mut r, scope).await?;
        Ok(MatchListing { rows, total, counts })
    }

    pub async fn match_record(&self, actor: &Actor, id: i64) -> Result<MatchView> {
        let scope = self.match_scope(actor)?;
        let mut r = self.store().reader().await?;
        let record = repo::get(&mut r, scope, id).await.map_err(not_found)?;
        let manage = self.may_manage(actor, &record);
        Ok(MatchView {
            features: features_from_json(&record.explanation),
            actions: if manage { record.status.allowed_actions() } else { Vec::new() },
            can_assign: manage && record.status.is_open(),
            record,
        })
    }

    /// Moves a pair along the pipeline.
    pub async fn match_step(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        action: MatchAction,
        note: Option<&str>,
    ) -> Result<MatchRecord> {
        let note = check_note("note", note)?;
        let scope = self.match_scope(actor)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = repo::get(&mut tx, scope, id).await.map_err(not_found)?;
        if !self.may_manage(actor, &before) {
            return Err(AppError::Forbidden);
        }
        let status = before.status.apply(action).map_err(illegal)?;
        let after = MatchRecord { status, note: note.or(before.note.clone()), ..before.clone() };
        let saved = repo::update(&mut tx, &before, version, &after, &format!("match.{}", action.code())).await?;
        // Talks and deals move the need on, in the same transaction and on the same record
        // of who did it.
        if let Some(need_action) = status.need_action() {
            let need = need_repo::get(&mut tx, Scope::All, ContactAccess::Broker, before.need_id).await?;
            if let Ok(need_status) = need.status.apply(need_action) {
                let moved = Need { status: need_status, ..need.clone() };
                need_repo::update(&mut tx, &need, need.version, &moved, &format!("need.{}", need_action.code()))
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Assigns (or, with `None`, unassigns) the technology manager of an open pair.
    pub async fn assign_match_manager(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        manager_user_id: Option<i64>,
    ) -> Result<MatchRecord> {
        let scope = self.match_scope(actor)?;
        if let Some(user) = manager_user_id {
            self.check_manager(user).await?;
        }
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = repo::get(&mut tx, scope, id).await.map_err(not_found)?;
        if !self.may_manage(actor, &before) {
            return Err(AppError::Forbidden);
        }
        if !before.status.is_open() {
            return Err(AppError::conflict(
                "status",
                Violation::Rule { code: "match_closed", detail: format!("the match is {}", before.status.code()) },
            ));
        }
        let after = MatchRecord { manager_user_id, ..before.clone() };
        let saved = repo::update(&mut tx, &before, version, &after, "match.assign").await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn check_manager(&self, user_id: i64) -> Result<()> {
        let mut r = self.store().reader().await?;
        let managers = accounts::active_users_with_role(&mut r, Role::TechManager.code()).await?;
        if managers.iter().any(|u| u.id == user_id) {
            Ok(())
        } else {
            Err(AppError::field("manager_user_id", Violation::UnknownChoice { value: user_id.to_string() }))
        }
    }

    /// The need and achievement of a pair, as the actor may read them.
    async fn pair(&self, actor: &Actor, need_id: i64, achievement_id: i64) -> Result<(Need, Achievement)> {
        let need = self.need(actor, need_id).await?.need;
        let achievement = self.achievement(actor, AchievementId(achievement_id)).await?.achievement;
        Ok((need, achievement))
    }

    /// The features of one pair now, from `side`'s point of view: its lexical relevance is
    /// found by searching the asking record's query among candidates of the other kind.
    async fn pair_features_now(
        &self,
        need: &Need,
        achievement: &Achievement,
        side: MatchSide,
    ) -> Result<MatchFeatures> {
        let system = Actor::system("matching");
        let (text, kind, target) = match side {
            MatchSide::Need => (
                query_text(&need.fields.title, &need.fields.keywords, &need.fields.description),
                SearchKind::Achievement,
                achievement.id.0,
            ),
            MatchSide::Achievement => (
                query_text(&achievement.fields.title, &achievement.fields.keywords, &achievement.fields.summary),
                SearchKind::Need,
                need.id,
            ),
        };
        let query = SearchQuery {
            text: text.clone(),
            kind: Some(kind.code().into()),
            limit: RETRIEVE,
            ..SearchQuery::default()
        };
        let hits = self.search(&system, &query).await?.hits;
        let best = hits.first().map(|h| h.score).unwrap_or(0.0);
        let (lex, matched) = match hits.iter().find(|h| h.id == target) {
            Some(h) => {
                let matched = match side {
                    MatchSide::Need => {
                        let f = &achievement.fields;
                        phrases(&h.matched, &f.title, &f.keywords, &f.summary)
                    }
                    MatchSide::Achievement => {
                        let f = &need.fields;
                        phrases(&h.matched, &f.title, &f.keywords, &f.description)
                    }
                };
                (lexical(h.score, best, &h.matched, crate::search::distinct_terms(&text)), matched)
            }
            None => (0.0, Vec::new()),
        };
        let mut r = self.store().reader().await?;
        let (partner_side, partner) = match side {
            MatchSide::Need => (need.institution_id, achievement.institution_id),
            MatchSide::Achievement => (achievement.institution_id, need.institution_id),
        };
        let preferred = repo::accepted_partners(&mut r, side, partner_side).await?.contains(&partner.0);
        Ok(pair_features(
            PairInput { need, achievement, asking: side, lexical: lex, matched_terms: matched, preferred },
            self.today(),
        ))
    }

    async fn institution_names(&self, r: &mut impl tto_store::Conn) -> Result<HashMap<InstitutionId, String>> {
        Ok(tto_store::institutions::list(r).await?.into_iter().map(|i| (i.id, i.fields.name)).collect())
    }
}

/// The pipeline record of a pair, if the reader (with `scope`, if any) may see it.
async fn visible_pair(
    r: &mut impl tto_store::Conn,
    scope: Option<MatchScope>,
    need_id: i64,
    achievement_id: i64,
) -> Result<Option<MatchRecord>> {
    let Some(scope) = scope else { return Ok(None) };
    Ok(repo::find_pair(r, need_id, achievement_id).await?.filter(|m| visible(scope, m)))
}

fn signed_in(actor: &Actor) -> Result<()> {
    match actor {
        Actor::Anonymous => Err(AppError::Unauthenticated),
        _ => Ok(()),
    }
}

fn visible(scope: MatchScope, m: &MatchRecord) -> bool {
    match scope {
        MatchScope::All => true,
        MatchScope::Party { institution, user } => {
            m.need_institution_id == institution
                || m.achievement_institution_id == institution
                || m.manager_user_id == Some(user)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explanations_survive_storage() {
        let f = MatchFeatures {
            lexical: 0.8125,
            matched_terms: vec![MatchedTerm { field: "keywords", term: "储能".into() }],
            shared_keywords: vec!["储能".into()],
            keyword_overlap: 0.5,
            shared_chains: vec![tto_domain::chain::stored_chain_code("new_energy")],
            same_discipline: true,
            trl: TrlFit::Below { level: 3, gap: 2 },
            age_years: Some(4),
            preferred_institution: false,
        };
        let back = features_from_json(&features_json(&f)).expect("an explanation");
        assert_eq!(back.matched_terms, f.matched_terms);
        assert_eq!(back.trl, f.trl);
        assert_eq!(back.score(&MatchWeights::default()), f.score(&MatchWeights::default()));
        assert_eq!(features_from_json(&Value::Null), None);
    }

    #[test]
    fn lexical_relevance_needs_coverage_for_full_marks() {
        let terms = |n: usize| (0..n).map(|i| ("title", format!("t{i}"))).collect::<Vec<_>>();
        assert_eq!(lexical(10.0, 10.0, &terms(8), 20), 1.0);
        assert_eq!(lexical(10.0, 10.0, &terms(2), 4), 0.75);
        assert_eq!(lexical(5.0, 10.0, &terms(0), 4), 0.25);
        assert_eq!(lexical(5.0, 0.0, &terms(3), 4), 0.0);
    }

    #[test]
    fn matched_terms_read_as_the_phrases_they_form() {
        let matched = vec![
            ("title", "高".to_string()),
            ("title", "导热".into()),
            ("title", "石墨".into()),
            ("title", "烯".into()),
            ("keywords", "导热".into()),
        ];
        // The index reports English terms stemmed, as the analyzer makes them.
        let mut matched = matched;
        for word in ["thermal", "conductivity"] {
            matched.push(("body", crate::search::analyzer().terms(word).remove(0)));
        }
        let p = phrases(&matched, "高导热石墨烯薄膜", &["导热".into(), "薄膜".into()], "High thermal conductivity.");
        let got: Vec<(&str, &str)> = p.iter().map(|m| (m.field, m.term.as_str())).collect();
        assert_eq!(got, vec![("title", "高导热石墨烯"), ("keywords", "导热"), ("body", "thermal conductivity")]);
    }

    #[test]
    fn the_query_is_bounded() {
        let q = query_text("标题", &["关键词".into()], &"长".repeat(5000));
        assert!(q.chars().count() <= crate::search::MAX_QUERY_CHARS);
        assert!(q.starts_with("标题 关键词 "));
    }
}
