//! Reviews by several reviewers: pre-filing evaluations of achievements and screening rounds
//! (遴选) of achievements or start-up projects. Templates are stored as JSON (criteria with
//! weights and the scale); each reviewer declares a conflict or scores once.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::evaluation::{Criterion, Recommendation, Sheet, Template};
use tto_domain::{AchievementId, InstitutionId, Percent};

use crate::codec::{
    bool_col, corrupt, date_col, format_date, format_timestamp, i64_col, opt_date_col, opt_i64_col, opt_str_col,
    str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

tto_domain::code_enum! {
    EvaluationStatus {
        Open => "open",
        Decided => "decided",
    }
}

tto_domain::code_enum! {
    RoundStatus {
        Draft => "draft",
        Open => "open",
        Closed => "closed",
        Published => "published",
    }
}

tto_domain::code_enum! {
    RoundKind {
        Achievement => "achievement",
        Startup => "startup",
    }
}

pub fn template_json(t: &Template) -> Value {
    json!({
        "criteria": t.criteria.iter().map(|c| json!([c.code, c.weight.value().normalize().to_string()])).collect::<Vec<_>>(),
        "scale": [t.scale.0, t.scale.1],
    })
}

pub fn template_of(text: &str) -> Result<Template> {
    let v: Value = serde_json::from_str(text).map_err(corrupt("template"))?;
    let criteria = v
        .get("criteria")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    Some(Criterion {
                        code: c.get(0)?.as_str()?.to_string(),
                        weight: Percent::parse(c.get(1)?.as_str()?).ok()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let scale = v.get("scale").and_then(Value::as_array);
    let bound = |i: usize| scale.and_then(|s| s.get(i)).and_then(Value::as_u64).unwrap_or(0) as u32;
    Ok(Template { criteria, scale: (bound(0), bound(1)) })
}

/// A reviewer of an evaluation or a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    pub user_id: i64,
    pub name: String,
    pub conflict: bool,
    pub conflict_note: Option<String>,
}

pub async fn reviewers(db: &mut impl Conn, subject: &'static str, subject_id: i64) -> Result<Vec<Reviewer>> {
    let mut q = Sql::new("SELECT user_id, reviewer_name, conflict, conflict_note FROM reviewer WHERE subject = ");
    q.bind(subject).push(" AND subject_id = ").bind(subject_id).push(" ORDER BY user_id");
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| {
            Ok(Reviewer {
                user_id: i64_col(r, "user_id")?,
                name: str_col(r, "reviewer_name")?,
                conflict: bool_col(r, "conflict")?,
                conflict_note: opt_str_col(r, "conflict_note")?,
            })
        })
        .collect()
}

pub async fn add_reviewer(
    tx: &mut WriteTx,
    institution: InstitutionId,
    subject: &'static str,
    subject_id: i64,
    user: i64,
    name: &str,
) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO reviewer (subject, subject_id, user_id, institution_id, reviewer_name, conflict) VALUES (",
    );
    q.values([subject.into(), subject_id.into(), user.into(), institution.0.into(), name.into(), false.into()])
        .push(")");
    q.execute(tx.conn()).await?;
    let after = json!({ "user_id": user, "name": name });
    tx.record(Some(institution), "review.assign", subject, &subject_id.to_string(), None, Some(&after)).await
}

pub async fn declare_conflict(
    tx: &mut WriteTx,
    institution: InstitutionId,
    subject: &'static str,
    subject_id: i64,
    user: i64,
    note: &str,
) -> Result<()> {
    let mut q = Sql::new("UPDATE reviewer SET ");
    q.set("conflict", true)
        .set("conflict_note", note)
        .push(" WHERE subject = ")
        .bind(subject)
        .push(" AND subject_id = ")
        .bind(subject_id)
        .push(" AND user_id = ")
        .bind(user);
    q.execute(tx.conn()).await?;
    let after = json!({ "user_id": user, "conflict": true, "note": note });
    tx.record(Some(institution), "review.conflict", subject, &subject_id.to_string(), None, Some(&after)).await
}

/// A stored score sheet with its candidate (0 for an evaluation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSheet {
    pub candidate_id: i64,
    pub user_id: i64,
    pub sheet: Sheet,
    pub comment: Option<String>,
    pub scored_at: OffsetDateTime,
}

pub async fn sheets(db: &mut impl Conn, subject: &'static str, subject_id: i64) -> Result<Vec<StoredSheet>> {
    let mut q = Sql::new(
        "SELECT s.candidate_id, s.user_id, r.reviewer_name, s.scores, s.comment, s.scored_at FROM score_sheet s \
         JOIN reviewer r ON r.subject = s.subject AND r.subject_id = s.subject_id AND r.user_id = s.user_id WHERE s.subject = ",
    );
    q.bind(subject)
        .push(" AND s.subject_id = ")
        .bind(subject_id)
        .push(" ORDER BY s.candidate_id, s.scored_at, s.user_id");
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| {
            let v: Value = serde_json::from_str(&str_col(r, "scores")?).map_err(corrupt("scores"))?;
            let scores = v
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| Some((p.get(0)?.as_str()?.to_string(), p.get(1)?.as_u64()? as u32)))
                        .collect()
                })
                .unwrap_or_default();
            Ok(StoredSheet {
                candidate_id: i64_col(r, "candidate_id")?,
                user_id: i64_col(r, "user_id")?,
                sheet: Sheet { reviewer: str_col(r, "reviewer_name")?, scores },
                comment: opt_str_col(r, "comment")?,
                scored_at: ts_col(r, "scored_at")?,
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_sheet(
    tx: &mut WriteTx,
    institution: InstitutionId,
    subject: &'static str,
    subject_id: i64,
    candidate: i64,
    user: i64,
    scores: &[(String, u32)],
    comment: Option<&str>,
) -> Result<()> {
    let encoded = Value::Array(scores.iter().map(|(c, s)| json!([c, s])).collect());
    let mut q = Sql::new(
        "INSERT INTO score_sheet (subject, subject_id, candidate_id, user_id, institution_id, scores, comment, scored_at) VALUES (",
    );
    q.values([
        subject.into(),
        subject_id.into(),
        candidate.into(),
        user.into(),
        institution.0.into(),
        encoded.to_string().into(),
        comment.map(str::to_string).into(),
        format_timestamp(tx.now()).into(),
    ])
    .push(")");
    q.execute(tx.conn()).await?;
    let after = json!({ "user_id": user, "candidate_id": candidate, "scores": encoded, "comment": comment });
    tx.record(Some(institution), "review.score", subject, &subject_id.to_string(), None, Some(&after)).await
}

// ---------------------------------------------------------------------------------------
// Pre-filing evaluations
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub achievement_id: AchievementId,
    pub achievement_code: String,
    pub achievement_title: String,
    pub template: Template,
    pub status: EvaluationStatus,
    pub recommendation: Option<Recommendation>,
    pub reasons: Option<String>,
    pub decided_on: Option<Date>,
    pub policy_profile: String,
    pub created_at: OffsetDateTime,
    pub version: i64,
}

pub fn evaluation_snapshot(e: &Evaluation) -> Value {
    json!({
        "id": e.id,
        "achievement_id": e.achievement_id.0,
        "template": template_json(&e.template),
        "status": e.status.code(),
        "recommendation": e.recommendation.map(Recommendation::code),
        "reasons": e.reasons,
        "decided_on": e.decided_on.map(format_date),
        "version": e.version,
    })
}

const EVALUATION_COLUMNS: &str = "SELECT e.id, e.institution_id, e.achievement_id, a.code, a.title, e.template, e.status, \
     e.recommendation, e.reasons, e.decided_on, e.policy_profile, e.created_at, e.version FROM evaluation e \
     JOIN achievement a ON a.id = e.achievement_id";

fn evaluation_from_row(r: &AnyRow) -> Result<Evaluation> {
    Ok(Evaluation {
        id: i64_col(r, "id")?,
        institution_id: InstitutionId(i64_col(r, "institution_id")?),
        achievement_id: AchievementId(i64_col(r, "achievement_id")?),
        achievement_code: str_col(r, "code")?,
        achievement_title: str_col(r, "title")?,
        template: template_of(&str_col(r, "template")?)?,
        status: EvaluationStatus::from_code(&str_col(r, "status")?).map_err(corrupt("status"))?,
        recommendation: opt_str_col(r, "recommendation")?
            .as_deref()
            .map(Recommendation::from_code)
            .transpose()
            .map_err(corrupt("recommendation"))?,
        reasons: opt_str_col(r, "reasons")?,
        decided_on: opt_date_col(r, "decided_on")?,
        policy_profile: str_col(r, "policy_profile")?,
        created_at: ts_col(r, "created_at")?,
        version: i64_col(r, "version")?,
    })
}

pub async fn evaluation(db: &mut impl Conn, scope: Scope, id: i64) -> Result<Evaluation> {
    let mut q = Sql::new(EVALUATION_COLUMNS);
    q.push(" WHERE e.id = ").bind(id).internal_scope(scope, "e.institution_id");
    evaluation_from_row(&q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?)
}

/// Evaluations in scope, or those where `reviewer` is a reviewer.
pub async fn evaluations(
    db: &mut impl Conn,
    scope: Scope,
    reviewer: Option<i64>,
    achievement: Option<AchievementId>,
    limit: i64,
) -> Result<Vec<Evaluation>> {
    let mut q = Sql::new(EVALUATION_COLUMNS);
    q.push(" WHERE 1 = 1");
    match reviewer {
        Some(user) => {
            q.push(" AND e.id IN (SELECT subject_id FROM reviewer WHERE subject = 'evaluation' AND user_id = ")
                .bind(user)
                .push(")");
        }
        None => {
            q.internal_scope(scope, "e.institution_id");
        }
    }
    if let Some(a) = achievement {
        q.push(" AND e.achievement_id = ").bind(a.0);
    }
    q.push(" ORDER BY e.id DESC LIMIT ").bind(limit);
    q.fetch_all(db.conn()).await?.iter().map(evaluation_from_row).collect()
}

pub async fn insert_evaluation(
    tx: &mut WriteTx,
    institution: InstitutionId,
    achievement: AchievementId,
    template: &Template,
    profile: &str,
) -> Result<Evaluation> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO evaluation (institution_id, achievement_id, template, status, policy_profile, created_at, updated_at, version) VALUES (",
    );
    q.values([
        institution.0.into(),
        achievement.0.into(),
        template_json(template).to_string().into(),
        EvaluationStatus::Open.code().into(),
        profile.into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let saved = evaluation(tx, Scope::All, id).await?;
    tx.record(
        Some(institution),
        "evaluation.create",
        "evaluation",
        &id.to_string(),
        None,
        Some(&evaluation_snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

pub async fn decide_evaluation(
    tx: &mut WriteTx,
    before: &Evaluation,
    recommendation: Recommendation,
    reasons: &str,
    on: Date,
) -> Result<Evaluation> {
    let mut q = Sql::new("UPDATE evaluation SET ");
    q.set("status", EvaluationStatus::Decided.code())
        .set("recommendation", recommendation.code())
        .set("reasons", reasons)
        .set("decided_on", format_date(on))
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = evaluation(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        "evaluation.decide",
        "evaluation",
        &before.id.to_string(),
        Some(&evaluation_snapshot(before)),
        Some(&evaluation_snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

// ---------------------------------------------------------------------------------------
// Screening rounds
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub achievement_id: Option<AchievementId>,
    pub name: String,
    pub description: String,
    pub shortlisted: bool,
    pub rank: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub title: String,
    pub kind: RoundKind,
    pub description: String,
    pub template: Template,
    pub scores_due_on: Date,
    pub shortlist_size: i64,
    pub status: RoundStatus,
    pub published_on: Option<Date>,
    pub candidates: Vec<Candidate>,
    pub version: i64,
}

pub fn round_snapshot(r: &Round) -> Value {
    json!({
        "id": r.id,
        "title": r.title,
        "kind": r.kind.code(),
        "template": template_json(&r.template),
        "scores_due_on": format_date(r.scores_due_on),
        "shortlist_size": r.shortlist_size,
        "status": r.status.code(),
        "published_on": r.published_on.map(format_date),
        "candidates": r.candidates.iter().map(|c| json!({ "id": c.id, "achievement_id": c.achievement_id.map(|a| a.0), "name": c.name, "shortlisted": c.shortlisted, "rank": c.rank })).collect::<Vec<_>>(),
        "version": r.version,
    })
}

const ROUND_COLUMNS: &str = "SELECT r.id, r.institution_id, i.name AS institution_name, r.title, r.kind, r.description, r.template, \
     r.scores_due_on, r.shortlist_size, r.status, r.published_on, r.version FROM screening_round r \
     JOIN institution i ON i.id = r.institution_id";

async fn round_from_row(db: &mut impl Conn, row: &AnyRow) -> Result<Round> {
    let id = i64_col(row, "id")?;
    let mut q = Sql::new(
        "SELECT id, achievement_id, name, description, shortlisted, rank FROM screening_candidate WHERE round_id = ",
    );
    q.bind(id).push(" ORDER BY id");
    let candidates = q
        .fetch_all(db.conn())
        .await?
        .iter()
        .map(|c| {
            Ok(Candidate {
                id: i64_col(c, "id")?,
                achievement_id: opt_i64_col(c, "achievement_id")?.map(AchievementId),
                name: str_col(c, "name")?,
                description: str_col(c, "description")?,
                shortlisted: bool_col(c, "shortlisted")?,
                rank: opt_i64_col(c, "rank")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Round {
        id,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        institution_name: str_col(row, "institution_name")?,
        title: str_col(row, "title")?,
        kind: RoundKind::from_code(&str_col(row, "kind")?).map_err(corrupt("kind"))?,
        description: str_col(row, "description")?,
        template: template_of(&str_col(row, "template")?)?,
        scores_due_on: date_col(row, "scores_due_on")?,
        shortlist_size: i64_col(row, "shortlist_size")?,
        status: RoundStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
        published_on: opt_date_col(row, "published_on")?,
        candidates,
        version: i64_col(row, "version")?,
    })
}

/// A round; `Scope::Public` and `OwnOrPublic` also see published rounds of others.
pub async fn round(db: &mut impl Conn, scope: Scope, id: i64) -> Result<Round> {
    let mut q = Sql::new(ROUND_COLUMNS);
    q.push(" WHERE r.id = ").bind(id);
    round_scope(&mut q, scope);
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    round_from_row(db, &row).await
}

fn round_scope(q: &mut Sql, scope: Scope) {
    match scope {
        Scope::All => {}
        Scope::Institution(i) => {
            q.push(" AND r.institution_id = ").bind(i.0);
        }
        Scope::OwnOrPublic(i) => {
            q.push(" AND (r.institution_id = ").bind(i.0).push(" OR r.status = 'published')");
        }
        Scope::Public => {
            q.push(" AND r.status = 'published'");
        }
    }
}

pub async fn rounds(db: &mut impl Conn, scope: Scope, reviewer: Option<i64>, limit: i64) -> Result<Vec<Round>> {
    let mut q = Sql::new(ROUND_COLUMNS);
    q.push(" WHERE (1 = 1");
    round_scope(&mut q, scope);
    q.push(")");
    if let Some(user) = reviewer {
        q.push(" OR r.id IN (SELECT subject_id FROM reviewer WHERE subject = 'screening' AND user_id = ")
            .bind(user)
            .push(")");
    }
    q.push(" ORDER BY r.id DESC LIMIT ").bind(limit);
    let rows = q.fetch_all(db.conn()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(round_from_row(db, row).await?);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_round(
    tx: &mut WriteTx,
    institution: InstitutionId,
    title: &str,
    kind: RoundKind,
    description: &str,
    template: &Template,
    scores_due_on: Date,
    shortlist_size: i64,
) -> Result<Round> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO screening_round (institution_id, title, kind, description, template, scores_due_on, shortlist_size, status, \
         created_at, updated_at, version) VALUES (",
    );
    q.values([
        institution.0.into(),
        title.into(),
        kind.code().into(),
        description.into(),
        template_json(template).to_string().into(),
        format_date(scores_due_on).into(),
        shortlist_size.into(),
        RoundStatus::Draft.code().into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let saved = round(tx, Scope::All, id).await?;
    tx.record(Some(institution), "screening.create", "screening", &id.to_string(), None, Some(&round_snapshot(&saved)))
        .await?;
    Ok(saved)
}

pub async fn add_candidate(
    tx: &mut WriteTx,
    r: &Round,
    achievement: Option<AchievementId>,
    name: &str,
    description: &str,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO screening_candidate (round_id, institution_id, achievement_id, name, description, shortlisted) VALUES (",
    );
    q.values([
        r.id.into(),
        r.institution_id.0.into(),
        achievement.map(|a| a.0).into(),
        name.into(),
        description.into(),
        false.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let after = json!({ "candidate_id": id, "achievement_id": achievement.map(|a| a.0), "name": name });
    tx.record(Some(r.institution_id), "screening.candidate", "screening", &r.id.to_string(), None, Some(&after))
        .await?;
    Ok(id)
}

/// Moves a round to `status` (and records ranks and the shortlist when given).
pub async fn save_round(
    tx: &mut WriteTx,
    before: &Round,
    status: RoundStatus,
    ranks: &[(i64, i64, bool)],
    published_on: Option<Date>,
    action: &str,
) -> Result<Round> {
    for (candidate, rank, shortlisted) in ranks {
        let mut q = Sql::new("UPDATE screening_candidate SET ");
        q.set("rank", *rank)
            .set("shortlisted", *shortlisted)
            .push(" WHERE id = ")
            .bind(*candidate)
            .push(" AND round_id = ")
            .bind(before.id);
        q.execute(tx.conn()).await?;
    }
    let mut q = Sql::new("UPDATE screening_round SET ");
    q.set("status", status.code())
        .set("published_on", published_on.map(format_date))
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = round(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "screening",
        &before.id.to_string(),
        Some(&round_snapshot(before)),
        Some(&round_snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}
