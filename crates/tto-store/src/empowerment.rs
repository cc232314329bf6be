//! Empowerment agreements (赋权协议).

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::empowerment::{AgreementStatus, AgreementTerms, EmpowermentKind, Party};
use tto_domain::{AchievementId, InstitutionId, Percent, PersonId};

use crate::codec::{
    corrupt, format_date, format_timestamp, i64_col, opt_date_col, opt_i64_col, opt_str_col, str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

/// An agreement with its workflow state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub achievement_id: AchievementId,
    pub terms: AgreementTerms,
    pub status: AgreementStatus,
    pub approved_on: Option<Date>,
    pub approval_ref: Option<String>,
    pub notice_starts_on: Option<Date>,
    pub notice_ends_on: Option<Date>,
    pub effective_from: Option<Date>,
    pub effective_until: Option<Date>,
    pub cancel_reason: Option<String>,
    /// The policy profile the terms were checked against.
    pub policy_profile: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A line of the agreements list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementRow {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub achievement_id: AchievementId,
    pub achievement_code: String,
    pub achievement_title: String,
    pub kind: EmpowermentKind,
    pub status: AgreementStatus,
    pub income_share: Percent,
    pub effective_from: Option<Date>,
    pub effective_until: Option<Date>,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementFilter {
    pub achievement: Option<AchievementId>,
    pub kind: Option<EmpowermentKind>,
    pub status: Option<AgreementStatus>,
}

pub fn snapshot(a: &Agreement) -> Value {
    let t = &a.terms;
    json!({
        "id": a.id,
        "achievement_id": a.achievement_id.0,
        "kind": t.kind.code(),
        "status": a.status.code(),
        "parties": t.parties.iter().map(|p| json!({ "name": p.name, "share": p.share.value().to_string() })).collect::<Vec<_>>(),
        "income_share": t.income_share.value().to_string(),
        "cost_share": t.cost_share.value().to_string(),
        "maintenance_share": t.maintenance_share.value().to_string(),
        "decision_rules": t.decision_rules,
        "term_years": t.term_years,
        "deal_reference": t.deal_reference,
        "approved_on": a.approved_on.map(format_date),
        "approval_ref": a.approval_ref,
        "notice_starts_on": a.notice_starts_on.map(format_date),
        "notice_ends_on": a.notice_ends_on.map(format_date),
        "effective_from": a.effective_from.map(format_date),
        "effective_until": a.effective_until.map(format_date),
        "cancel_reason": a.cancel_reason,
        "policy_profile": a.policy_profile,
        "version": a.version,
    })
}

const COLUMNS: &str = "SELECT g.id, g.institution_id, g.achievement_id, g.kind, g.status, g.income_share_ppm, \
     g.cost_share_ppm, g.maintenance_share_ppm, g.decision_rules, g.term_years, g.deal_reference, g.approved_on, \
     g.approval_ref, g.notice_starts_on, g.notice_ends_on, g.effective_from, g.effective_until, g.cancel_reason, \
     g.policy_profile, g.created_at, g.updated_at, g.version FROM empowerment_agreement g";

fn pct(row: &AnyRow, col: &str) -> Result<Percent> {
    Percent::from_ppm(i64_col(row, col)?).map_err(corrupt("share"))
}

async fn from_row(db: &mut impl Conn, row: &AnyRow) -> Result<Agreement> {
    let id = i64_col(row, "id")?;
    let mut q = Sql::new("SELECT person_id, name, share_ppm FROM empowerment_party WHERE agreement_id = ");
    q.bind(id).push(" ORDER BY position");
    let parties = q
        .fetch_all(db.conn())
        .await?
        .iter()
        .map(|p| {
            Ok(Party {
                person_id: opt_i64_col(p, "person_id")?.map(PersonId),
                name: str_col(p, "name")?,
                share: pct(p, "share_ppm")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Agreement {
        id,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        achievement_id: AchievementId(i64_col(row, "achievement_id")?),
        terms: AgreementTerms {
            kind: EmpowermentKind::from_code(&str_col(row, "kind")?).map_err(corrupt("kind"))?,
            parties,
            income_share: pct(row, "income_share_ppm")?,
            cost_share: pct(row, "cost_share_ppm")?,
            maintenance_share: pct(row, "maintenance_share_ppm")?,
            decision_rules: str_col(row, "decision_rules")?,
            term_years: opt_i64_col(row, "term_years")?.map(|y| y as u32),
            deal_reference: opt_str_col(row, "deal_reference")?,
        },
        status: AgreementStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
        approved_on: opt_date_col(row, "approved_on")?,
        approval_ref: opt_str_col(row, "approval_ref")?,
        notice_starts_on: opt_date_col(row, "notice_starts_on")?,
        notice_ends_on: opt_date_col(row, "notice_ends_on")?,
        effective_from: opt_date_col(row, "effective_from")?,
        effective_until: opt_date_col(row, "effective_until")?,
        cancel_reason: opt_str_col(row, "cancel_reason")?,
        policy_profile: str_col(row, "policy_profile")?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

pub async fn get(db: &mut impl Conn, scope: Scope, id: i64) -> Result<Agreement> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE g.id = ").bind(id);
    q.internal_scope(scope, "g.institution_id");
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    from_row(db, &row).await
}

/// Every agreement of an achievement, oldest first.
pub async fn for_achievement(db: &mut impl Conn, achievement: AchievementId) -> Result<Vec<Agreement>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE g.achievement_id = ").bind(achievement.0).push(" ORDER BY g.id");
    let rows = q.fetch_all(db.conn()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(from_row(db, row).await?);
    }
    Ok(out)
}

pub async fn list(db: &mut impl Conn, scope: Scope, filter: &AgreementFilter, limit: i64) -> Result<Vec<AgreementRow>> {
    let mut q = Sql::new(
        "SELECT g.id, g.institution_id, g.achievement_id, a.code, a.title, g.kind, g.status, g.income_share_ppm, \
         g.effective_from, g.effective_until, g.updated_at FROM empowerment_agreement g \
         JOIN achievement a ON a.id = g.achievement_id WHERE 1 = 1",
    );
    q.internal_scope(scope, "g.institution_id");
    if let Some(a) = filter.achievement {
        q.push(" AND g.achievement_id = ").bind(a.0);
    }
    if let Some(k) = filter.kind {
        q.push(" AND g.kind = ").bind(k.code());
    }
    if let Some(s) = filter.status {
        q.push(" AND g.status = ").bind(s.code());
    }
    q.push(" ORDER BY g.updated_at DESC, g.id DESC LIMIT ").bind(limit);
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|row| {
            Ok(AgreementRow {
                id: i64_col(row, "id")?,
                institution_id: InstitutionId(i64_col(row, "institution_id")?),
                achievement_id: AchievementId(i64_col(row, "achievement_id")?),
                achievement_code: str_col(row, "code")?,
                achievement_title: str_col(row, "title")?,
                kind: EmpowermentKind::from_code(&str_col(row, "kind")?).map_err(corrupt("kind"))?,
                status: AgreementStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
                income_share: pct(row, "income_share_ppm")?,
                effective_from: opt_date_col(row, "effective_from")?,
                effective_until: opt_date_col(row, "effective_until")?,
                updated_at: ts_col(row, "updated_at")?,
            })
        })
        .collect()
}

pub async fn insert(
    tx: &mut WriteTx,
    institution: InstitutionId,
    achievement: AchievementId,
    terms: &AgreementTerms,
    policy_profile: &str,
) -> Result<Agreement> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO empowerment_agreement (institution_id, achievement_id, kind, status, income_share_ppm, \
         cost_share_ppm, maintenance_share_ppm, decision_rules, term_years, deal_reference, policy_profile, created_at, \
         updated_at, version) VALUES (",
    );
    q.bind(institution.0)
        .push(", ")
        .bind(achievement.0)
        .push(", ")
        .bind(terms.kind.code())
        .push(", ")
        .bind(AgreementStatus::Draft.code())
        .push(", ")
        .bind(terms.income_share.ppm())
        .push(", ")
        .bind(terms.cost_share.ppm())
        .push(", ")
        .bind(terms.maintenance_share.ppm())
        .push(", ")
        .bind(terms.decision_rules.clone())
        .push(", ")
        .bind(terms.term_years.map(i64::from))
        .push(", ")
        .bind(terms.deal_reference.clone())
        .push(", ")
        .bind(policy_profile.to_string())
        .push(", ")
        .bind(now.clone())
        .push(", ")
        .bind(now)
        .push(", 1) RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    for (position, p) in terms.parties.iter().enumerate() {
        let mut q = Sql::new(
            "INSERT INTO empowerment_party (agreement_id, institution_id, position, person_id, name, share_ppm) VALUES (",
        );
        q.bind(id)
            .push(", ")
            .bind(institution.0)
            .push(", ")
            .bind(position as i64)
            .push(", ")
            .bind(p.person_id.map(|p| p.0))
            .push(", ")
            .bind(p.name.clone())
            .push(", ")
            .bind(p.share.ppm())
            .push(")");
        q.execute(tx.conn()).await?;
    }
    let agreement = get(tx, Scope::All, id).await?;
    tx.record(
        Some(institution),
        "empowerment.create",
        "empowerment_agreement",
        &id.to_string(),
        None,
        Some(&snapshot(&agreement)),
    )
    .await?;
    Ok(agreement)
}

/// Saves the workflow fields of `after` (status, approval, notice, effective dates, cancel
/// reason) if `before` is still current, and records `action`.
pub async fn save_workflow(tx: &mut WriteTx, before: &Agreement, after: &Agreement, action: &str) -> Result<Agreement> {
    let mut q = Sql::new("UPDATE empowerment_agreement SET status = ");
    q.bind(after.status.code())
        .push(", approved_on = ")
        .bind(after.approved_on.map(format_date))
        .push(", approval_ref = ")
        .bind(after.approval_ref.clone())
        .push(", notice_starts_on = ")
        .bind(after.notice_starts_on.map(format_date))
        .push(", notice_ends_on = ")
        .bind(after.notice_ends_on.map(format_date))
        .push(", effective_from = ")
        .bind(after.effective_from.map(format_date))
        .push(", effective_until = ")
        .bind(after.effective_until.map(format_date))
        .push(", cancel_reason = ")
        .bind(after.cancel_reason.clone())
        .push(", updated_at = ")
        .bind(format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "empowerment_agreement",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}
