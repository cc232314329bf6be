//! Supply-demand matching: the need × achievement pairs someone acted on (the brokering
//! pipeline) and each side's accept/reject feedback.
//!
//! A pair concerns two institutions, the need's and the achievement's, and its assigned
//! technology manager, who may work elsewhere: [`MatchScope::Party`] reads the pairs where
//! any of them is the reader.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tto_domain::InstitutionId;
use tto_domain::matching::{FeedbackVerdict, MatchSide, MatchStatus};

use crate::codec::{corrupt, format_timestamp, i64_col, opt_i64_col, opt_str_col, parse_json_list, str_col, ts_col};
use crate::sql::Sql;
use crate::{Conn, Result, StoreError, WriteTx};

/// Which pairs a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchScope {
    All,
    /// Pairs whose need or achievement belongs to `institution`, or that `user` manages.
    Party {
        institution: InstitutionId,
        user: i64,
    },
}

/// A pair in the pipeline, with the names a list shows.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRecord {
    pub id: i64,
    pub need_id: i64,
    pub need_title: String,
    pub need_institution_id: InstitutionId,
    pub need_institution_name: String,
    pub enterprise_name: Option<String>,
    pub achievement_id: i64,
    pub achievement_title: String,
    pub achievement_institution_id: InstitutionId,
    pub achievement_institution_name: String,
    /// 0–100, as when the pair entered the pipeline.
    pub score: i64,
    /// The explanation shown when the pair entered the pipeline (JSON, see `tto-app`).
    pub explanation: Value,
    pub status: MatchStatus,
    pub manager_user_id: Option<i64>,
    pub manager_name: Option<String>,
    pub note: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// Filters of the pipeline list. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchFilter {
    pub status: Option<MatchStatus>,
    pub manager_user_id: Option<i64>,
    pub need_id: Option<i64>,
    pub achievement_id: Option<i64>,
}

pub fn snapshot(m: &MatchRecord) -> Value {
    json!({
        "id": m.id,
        "need_id": m.need_id,
        "need_institution_id": m.need_institution_id.0,
        "achievement_id": m.achievement_id,
        "achievement_institution_id": m.achievement_institution_id.0,
        "score": m.score,
        "explanation": m.explanation,
        "status": m.status.code(),
        "manager_user_id": m.manager_user_id,
        "note": m.note,
        "version": m.version,
    })
}

const COLUMNS: &str = "SELECT m.id, m.need_id, n.title AS need_title, m.need_institution_id, \
     ni.name AS need_institution_name, n.enterprise_name, m.achievement_id, a.title AS achievement_title, \
     m.achievement_institution_id, ai.name AS achievement_institution_name, m.score, m.explanation, m.status, \
     m.manager_user_id, u.display_name AS manager_name, m.note, m.created_at, m.updated_at, m.version \
     FROM tech_match m \
     JOIN tech_need n ON n.id = m.need_id \
     JOIN institution ni ON ni.id = m.need_institution_id \
     JOIN achievement a ON a.id = m.achievement_id \
     JOIN institution ai ON ai.id = m.achievement_institution_id \
     LEFT JOIN app_user u ON u.id = m.manager_user_id \
     WHERE 1 = 1";

fn from_row(row: &AnyRow) -> Result<MatchRecord> {
    let status = str_col(row, "status")?;
    let explanation = str_col(row, "explanation")?;
    Ok(MatchRecord {
        id: i64_col(row, "id")?,
        need_id: i64_col(row, "need_id")?,
        need_title: str_col(row, "need_title")?,
        need_institution_id: InstitutionId(i64_col(row, "need_institution_id")?),
        need_institution_name: str_col(row, "need_institution_name")?,
        enterprise_name: opt_str_col(row, "enterprise_name")?,
        achievement_id: i64_col(row, "achievement_id")?,
        achievement_title: str_col(row, "achievement_title")?,
        achievement_institution_id: InstitutionId(i64_col(row, "achievement_institution_id")?),
        achievement_institution_name: str_col(row, "achievement_institution_name")?,
        score: i64_col(row, "score")?,
        explanation: serde_json::from_str(&explanation).map_err(corrupt("tech_match.explanation"))?,
        status: MatchStatus::from_code(&status).map_err(corrupt("tech_match.status"))?,
        manager_user_id: opt_i64_col(row, "manager_user_id")?,
        manager_name: opt_str_col(row, "manager_name")?,
        note: opt_str_col(row, "note")?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

fn apply_scope(q: &mut Sql, scope: MatchScope) {
    if let MatchScope::Party { institution, user } = scope {
        q.push(" AND (m.need_institution_id = ")
            .bind(institution.0)
            .push(" OR m.achievement_institution_id = ")
            .bind(institution.0)
            .push(" OR m.manager_user_id = ")
            .bind(user)
            .push(")");
    }
}

fn apply_filter(q: &mut Sql, f: &MatchFilter) {
    if let Some(s) = f.status {
        q.push(" AND m.status = ").bind(s.code());
    }
    if let Some(u) = f.manager_user_id {
        q.push(" AND m.manager_user_id = ").bind(u);
    }
    if let Some(n) = f.need_id {
        q.push(" AND m.need_id = ").bind(n);
    }
    if let Some(a) = f.achievement_id {
        q.push(" AND m.achievement_id = ").bind(a);
    }
}

/// Pairs in scope, most recently changed first.
pub async fn list(
    db: &mut impl Conn,
    scope: MatchScope,
    filter: &MatchFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<MatchRecord>> {
    let mut q = Sql::new(COLUMNS);
    apply_scope(&mut q, scope);
    apply_filter(&mut q, filter);
    q.push(" ORDER BY m.updated_at DESC, m.id DESC LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
    q.fetch_all(db.conn()).await?.iter().map(from_row).collect()
}

pub async fn count(db: &mut impl Conn, scope: MatchScope, filter: &MatchFilter) -> Result<i64> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM tech_match m WHERE 1 = 1");
    apply_scope(&mut q, scope);
    apply_filter(&mut q, filter);
    i64_col(&q.fetch_one(db.conn()).await?, "n")
}

/// Pairs in scope per status.
pub async fn count_by_status(db: &mut impl Conn, scope: MatchScope) -> Result<Vec<(MatchStatus, i64)>> {
    let mut q = Sql::new("SELECT m.status, COUNT(*) AS n FROM tech_match m WHERE 1 = 1");
    apply_scope(&mut q, scope);
    q.push(" GROUP BY m.status");
    let rows = q.fetch_all(db.conn()).await?;
    let mut counts = Vec::new();
    for row in &rows {
        let code = str_col(row, "status")?;
        let status = MatchStatus::from_code(&code).map_err(corrupt("tech_match.status"))?;
        counts.push((status, i64_col(row, "n")?));
    }
    counts.sort_by_key(|(s, _)| MatchStatus::ALL.iter().position(|x| x == s));
    Ok(counts)
}

pub async fn get(db: &mut impl Conn, scope: MatchScope, id: i64) -> Result<MatchRecord> {
    let mut q = Sql::new(COLUMNS);
    q.push(" AND m.id = ").bind(id);
    apply_scope(&mut q, scope);
    q.fetch_optional(db.conn()).await?.as_ref().map(from_row).transpose()?.ok_or(StoreError::NotFound)
}

/// The pipeline record of a pair, whoever may see it.
pub async fn find_pair(db: &mut impl Conn, need_id: i64, achievement_id: i64) -> Result<Option<MatchRecord>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" AND m.need_id = ").bind(need_id).push(" AND m.achievement_id = ").bind(achievement_id);
    q.fetch_optional(db.conn()).await?.as_ref().map(from_row).transpose()
}

/// What a new pipeline record is saved with.
pub struct NewMatch<'a> {
    pub need_id: i64,
    pub need_institution_id: InstitutionId,
    pub achievement_id: i64,
    pub achievement_institution_id: InstitutionId,
    pub score: i64,
    pub explanation: &'a Value,
    pub status: MatchStatus,
    pub manager_user_id: Option<i64>,
    pub note: Option<String>,
}

pub async fn insert(tx: &mut WriteTx, new: NewMatch<'_>, action: &str) -> Result<MatchRecord> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO tech_match (need_id, need_institution_id, achievement_id, achievement_institution_id, score, \
         explanation, status, manager_user_id, note, created_at, updated_at, version) VALUES (",
    );
    q.values([
        new.need_id.into(),
        new.need_institution_id.0.into(),
        new.achievement_id.into(),
        new.achievement_institution_id.0.into(),
        new.score.into(),
        new.explanation.to_string().into(),
        new.status.code().into(),
        new.manager_user_id.into(),
        new.note.clone().into(),
        now.clone().into(),
        now.into(),
        1i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let saved = get(tx, MatchScope::All, id).await?;
    tx.record(Some(saved.need_institution_id), action, "tech_match", &id.to_string(), None, Some(&snapshot(&saved)))
        .await?;
    Ok(saved)
}

/// Saves status, manager and note of `after` if the row is still at `expected_version`, and
/// records `action` with before and after snapshots.
pub async fn update(
    tx: &mut WriteTx,
    before: &MatchRecord,
    expected_version: i64,
    after: &MatchRecord,
    action: &str,
) -> Result<MatchRecord> {
    if before.version != expected_version {
        return Err(StoreError::StaleVersion);
    }
    let mut q = Sql::new("UPDATE tech_match SET ");
    q.set("status", after.status.code())
        .set("manager_user_id", after.manager_user_id)
        .set("note", after.note.clone())
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, expected_version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, MatchScope::All, before.id).await?;
    tx.record(
        Some(before.need_institution_id),
        action,
        "tech_match",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

/// The latest verdict of one side on a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub need_id: i64,
    pub achievement_id: i64,
    pub side: MatchSide,
    pub institution_id: InstitutionId,
    pub verdict: FeedbackVerdict,
    pub reason: Option<String>,
    pub user_id: Option<i64>,
    pub created_at: OffsetDateTime,
}

fn feedback_from(row: &AnyRow) -> Result<Feedback> {
    let side = str_col(row, "side")?;
    let verdict = str_col(row, "verdict")?;
    Ok(Feedback {
        need_id: i64_col(row, "need_id")?,
        achievement_id: i64_col(row, "achievement_id")?,
        side: MatchSide::from_code(&side).map_err(corrupt("match_feedback.side"))?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        verdict: FeedbackVerdict::from_code(&verdict).map_err(corrupt("match_feedback.verdict"))?,
        reason: opt_str_col(row, "reason")?,
        user_id: opt_i64_col(row, "user_id")?,
        created_at: ts_col(row, "created_at")?,
    })
}

const FEEDBACK_COLUMNS: &str = "SELECT need_id, achievement_id, side, institution_id, verdict, reason, user_id, \
                                created_at FROM match_feedback WHERE 1 = 1";

/// Every side's verdicts on pairs of the need.
pub async fn feedback_for_need(db: &mut impl Conn, need_id: i64) -> Result<Vec<Feedback>> {
    let mut q = Sql::new(FEEDBACK_COLUMNS);
    q.push(" AND need_id = ").bind(need_id);
    q.fetch_all(db.conn()).await?.iter().map(feedback_from).collect()
}

/// Every side's verdicts on pairs of the achievement.
pub async fn feedback_for_achievement(db: &mut impl Conn, achievement_id: i64) -> Result<Vec<Feedback>> {
    let mut q = Sql::new(FEEDBACK_COLUMNS);
    q.push(" AND achievement_id = ").bind(achievement_id);
    q.fetch_all(db.conn()).await?.iter().map(feedback_from).collect()
}

/// Saves a side's verdict on a pair (replacing its earlier one) and records it.
pub async fn save_feedback(tx: &mut WriteTx, f: &Feedback) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO match_feedback (need_id, achievement_id, side, institution_id, verdict, reason, user_id, \
         created_at) VALUES (",
    );
    q.values([
        f.need_id.into(),
        f.achievement_id.into(),
        f.side.code().into(),
        f.institution_id.0.into(),
        f.verdict.code().into(),
        f.reason.clone().into(),
        f.user_id.into(),
        format_timestamp(f.created_at).into(),
    ])
    .push(
        ") ON CONFLICT (need_id, achievement_id, side) DO UPDATE SET institution_id = excluded.institution_id, \
         verdict = excluded.verdict, reason = excluded.reason, user_id = excluded.user_id, \
         created_at = excluded.created_at",
    );
    q.execute(tx.conn()).await?;
    let id = format!("{}:{}:{}", f.need_id, f.achievement_id, f.side.code());
    let after = json!({
        "need_id": f.need_id,
        "achievement_id": f.achievement_id,
        "side": f.side.code(),
        "verdict": f.verdict.code(),
        "reason": f.reason,
    });
    tx.record(Some(f.institution_id), "match.feedback", "match_feedback", &id, None, Some(&after)).await
}

/// Institutions on the other side of pairs that `institution` accepted as `side`: the
/// achievements' institutions for a need's side, the needs' institutions for an
/// achievement's side.
pub async fn accepted_partners(db: &mut impl Conn, side: MatchSide, institution: InstitutionId) -> Result<Vec<i64>> {
    let mut q = match side {
        MatchSide::Need => Sql::new(
            "SELECT DISTINCT a.institution_id AS partner FROM match_feedback f \
             JOIN achievement a ON a.id = f.achievement_id WHERE f.side = 'need'",
        ),
        MatchSide::Achievement => Sql::new(
            "SELECT DISTINCT n.institution_id AS partner FROM match_feedback f \
             JOIN tech_need n ON n.id = f.need_id WHERE f.side = 'achievement'",
        ),
    };
    q.push(" AND f.verdict = 'accept' AND f.institution_id = ").bind(institution.0);
    q.fetch_all(db.conn()).await?.iter().map(|r| i64_col(r, "partner")).collect()
}

/// One pair a manager was assigned to, with what it was about (for ranking managers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerCase {
    pub manager_user_id: i64,
    pub status: MatchStatus,
    pub need_keywords: Vec<String>,
    pub need_chains: Vec<String>,
}

/// Every pair with an assigned manager.
pub async fn manager_cases(db: &mut impl Conn) -> Result<Vec<ManagerCase>> {
    let q = Sql::new(
        "SELECT m.manager_user_id, m.status, n.keywords, m.need_id FROM tech_match m JOIN tech_need n ON n.id = m.need_id WHERE m.manager_user_id IS NOT NULL",
    );
    let rows = q.fetch_all(db.conn()).await?;
    let mut chains_of = std::collections::HashMap::<i64, Vec<String>>::new();
    let mut cases = Vec::with_capacity(rows.len());
    for row in &rows {
        let need_id = i64_col(row, "need_id")?;
        if let std::collections::hash_map::Entry::Vacant(slot) = chains_of.entry(need_id) {
            let mut c = Sql::new("SELECT chain FROM tech_need_chain WHERE need_id = ");
            c.bind(need_id).push(" ORDER BY chain");
            slot.insert(c.fetch_all(db.conn()).await?.iter().map(|r| str_col(r, "chain")).collect::<Result<_>>()?);
        }
        let status = str_col(row, "status")?;
        cases.push(ManagerCase {
            manager_user_id: i64_col(row, "manager_user_id")?,
            status: MatchStatus::from_code(&status).map_err(corrupt("tech_match.status"))?,
            need_keywords: parse_json_list(&str_col(row, "keywords")?)?,
            need_chains: chains_of.get(&need_id).cloned().unwrap_or_default(),
        });
    }
    Ok(cases)
}
