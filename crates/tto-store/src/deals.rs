//! Deals (转化交易) and the achievements they convert.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::deal::{DealMode, DealStatus, DealTerms, PricingRoute};
use tto_domain::{AchievementId, Confidentiality, InstitutionId, Money};

use crate::codec::{
    bool_col, corrupt, format_date, format_timestamp, i64_col, opt_date_col, opt_i64_col, opt_str_col, str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

/// An achievement of a deal, with what a notice or a listing publishes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealItem {
    pub achievement_id: AchievementId,
    pub code: String,
    pub title: String,
    pub summary: String,
    pub confidentiality: Confidentiality,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deal {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub terms: DealTerms,
    pub counterparty_name: Option<String>,
    pub items: Vec<DealItem>,
    pub status: DealStatus,
    pub final_price: Option<Money>,
    pub priced_on: Option<Date>,
    pub completed_on: Option<Date>,
    pub cancel_reason: Option<String>,
    pub policy_profile: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A line of the deals list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealRow {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub title: String,
    pub mode: DealMode,
    pub route: PricingRoute,
    pub status: DealStatus,
    pub price: Money,
    pub final_price: Option<Money>,
    pub counterparty_name: Option<String>,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DealFilter {
    pub status: Option<DealStatus>,
    pub route: Option<PricingRoute>,
    pub achievement: Option<AchievementId>,
}

pub fn snapshot(d: &Deal) -> Value {
    let t = &d.terms;
    json!({
        "id": d.id,
        "title": t.title,
        "mode": t.mode.code(),
        "route": t.route.code(),
        "price_fen": t.price.fen(),
        "counterparty_id": t.counterparty.map(|c| c.0),
        "buyer_is_contributor": t.buyer_is_contributor,
        "related_party": t.related_party,
        "related_party_note": t.related_party_note,
        "achievements": d.items.iter().map(|i| i.achievement_id.0).collect::<Vec<_>>(),
        "status": d.status.code(),
        "final_price_fen": d.final_price.map(Money::fen),
        "priced_on": d.priced_on.map(format_date),
        "completed_on": d.completed_on.map(format_date),
        "cancel_reason": d.cancel_reason,
        "policy_profile": d.policy_profile,
        "version": d.version,
    })
}

const COLUMNS: &str = "SELECT d.id, d.institution_id, i.name AS institution_name, d.title, d.mode, d.route, \
     d.price_fen, d.counterparty_id, c.name AS counterparty_name, d.buyer_is_contributor, d.related_party, \
     d.related_party_note, d.status, d.final_price_fen, d.priced_on, d.completed_on, d.cancel_reason, \
     d.policy_profile, d.created_at, d.updated_at, d.version FROM deal d JOIN institution i ON i.id = d.institution_id \
     LEFT JOIN institution c ON c.id = d.counterparty_id";

async fn from_row(db: &mut impl Conn, row: &AnyRow) -> Result<Deal> {
    let id = i64_col(row, "id")?;
    let mut q = Sql::new(
        "SELECT a.id, a.code, a.title, a.summary, a.confidentiality FROM deal_achievement x \
         JOIN achievement a ON a.id = x.achievement_id WHERE x.deal_id = ",
    );
    q.bind(id).push(" ORDER BY x.position");
    let items = q
        .fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| {
            Ok(DealItem {
                achievement_id: AchievementId(i64_col(r, "id")?),
                code: str_col(r, "code")?,
                title: str_col(r, "title")?,
                summary: str_col(r, "summary")?,
                confidentiality: Confidentiality::from_code(&str_col(r, "confidentiality")?)
                    .map_err(corrupt("confidentiality"))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Deal {
        id,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        institution_name: str_col(row, "institution_name")?,
        terms: DealTerms {
            title: str_col(row, "title")?,
            mode: DealMode::from_code(&str_col(row, "mode")?).map_err(corrupt("mode"))?,
            route: PricingRoute::from_code(&str_col(row, "route")?).map_err(corrupt("route"))?,
            price: Money::from_fen(i64_col(row, "price_fen")?),
            counterparty: opt_i64_col(row, "counterparty_id")?.map(InstitutionId),
            buyer_is_contributor: bool_col(row, "buyer_is_contributor")?,
            related_party: bool_col(row, "related_party")?,
            related_party_note: opt_str_col(row, "related_party_note")?,
        },
        counterparty_name: opt_str_col(row, "counterparty_name")?,
        items,
        status: DealStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
        final_price: opt_i64_col(row, "final_price_fen")?.map(Money::from_fen),
        priced_on: opt_date_col(row, "priced_on")?,
        completed_on: opt_date_col(row, "completed_on")?,
        cancel_reason: opt_str_col(row, "cancel_reason")?,
        policy_profile: str_col(row, "policy_profile")?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

pub async fn get(db: &mut impl Conn, scope: Scope, id: i64) -> Result<Deal> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE d.id = ").bind(id);
    q.internal_scope(scope, "d.institution_id");
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    from_row(db, &row).await
}

pub async fn list(db: &mut impl Conn, scope: Scope, filter: &DealFilter, limit: i64) -> Result<Vec<DealRow>> {
    let mut q = Sql::new(
        "SELECT d.id, d.institution_id, d.title, d.mode, d.route, d.status, d.price_fen, d.final_price_fen, \
         c.name AS counterparty_name, d.updated_at FROM deal d LEFT JOIN institution c ON c.id = d.counterparty_id \
         WHERE 1 = 1",
    );
    q.internal_scope(scope, "d.institution_id");
    if let Some(s) = filter.status {
        q.push(" AND d.status = ").bind(s.code());
    }
    if let Some(r) = filter.route {
        q.push(" AND d.route = ").bind(r.code());
    }
    if let Some(a) = filter.achievement {
        q.push(" AND d.id IN (SELECT deal_id FROM deal_achievement WHERE achievement_id = ").bind(a.0).push(")");
    }
    q.push(" ORDER BY d.updated_at DESC, d.id DESC LIMIT ").bind(limit);
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|row| {
            Ok(DealRow {
                id: i64_col(row, "id")?,
                institution_id: InstitutionId(i64_col(row, "institution_id")?),
                title: str_col(row, "title")?,
                mode: DealMode::from_code(&str_col(row, "mode")?).map_err(corrupt("mode"))?,
                route: PricingRoute::from_code(&str_col(row, "route")?).map_err(corrupt("route"))?,
                status: DealStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
                price: Money::from_fen(i64_col(row, "price_fen")?),
                final_price: opt_i64_col(row, "final_price_fen")?.map(Money::from_fen),
                counterparty_name: opt_str_col(row, "counterparty_name")?,
                updated_at: ts_col(row, "updated_at")?,
            })
        })
        .collect()
}

/// Deals of an achievement that are neither completed nor cancelled, with their modes.
pub async fn running_for_achievement(db: &mut impl Conn, achievement: AchievementId) -> Result<Vec<(i64, DealMode)>> {
    let mut q = Sql::new(
        "SELECT d.id, d.mode FROM deal d JOIN deal_achievement x ON x.deal_id = d.id WHERE x.achievement_id = ",
    );
    q.bind(achievement.0).push(" AND d.status NOT IN ('completed', 'cancelled') ORDER BY d.id");
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| Ok((i64_col(r, "id")?, DealMode::from_code(&str_col(r, "mode")?).map_err(corrupt("mode"))?)))
        .collect()
}

async fn write_items(
    tx: &mut WriteTx,
    id: i64,
    institution: InstitutionId,
    achievements: &[AchievementId],
) -> Result<()> {
    let mut q = Sql::new("DELETE FROM deal_achievement WHERE deal_id = ");
    q.bind(id);
    q.execute(tx.conn()).await?;
    for (position, a) in achievements.iter().enumerate() {
        let mut q =
            Sql::new("INSERT INTO deal_achievement (deal_id, achievement_id, institution_id, position) VALUES (");
        q.values([id.into(), a.0.into(), institution.0.into(), (position as i64).into()]).push(")");
        q.execute(tx.conn()).await?;
    }
    Ok(())
}

pub async fn insert(
    tx: &mut WriteTx,
    institution: InstitutionId,
    terms: &DealTerms,
    achievements: &[AchievementId],
    policy_profile: &str,
) -> Result<Deal> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO deal (institution_id, title, mode, route, price_fen, counterparty_id, buyer_is_contributor, \
         related_party, related_party_note, status, policy_profile, created_at, updated_at, version) VALUES (",
    );
    q.values([
        institution.0.into(),
        terms.title.clone().into(),
        terms.mode.code().into(),
        terms.route.code().into(),
        terms.price.fen().into(),
        terms.counterparty.map(|c| c.0).into(),
        terms.buyer_is_contributor.into(),
        terms.related_party.into(),
        terms.related_party_note.clone().into(),
        DealStatus::Draft.code().into(),
        policy_profile.into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    write_items(tx, id, institution, achievements).await?;
    let deal = get(tx, Scope::All, id).await?;
    tx.record(Some(institution), "deal.create", "deal", &id.to_string(), None, Some(&snapshot(&deal))).await?;
    Ok(deal)
}

/// Replaces the terms and achievements of a draft deal.
pub async fn update_terms(
    tx: &mut WriteTx,
    before: &Deal,
    terms: &DealTerms,
    achievements: &[AchievementId],
) -> Result<Deal> {
    let mut q = Sql::new("UPDATE deal SET ");
    q.set("title", terms.title.clone())
        .set("mode", terms.mode.code())
        .set("route", terms.route.code())
        .set("price_fen", terms.price.fen())
        .set("counterparty_id", terms.counterparty.map(|c| c.0))
        .set("buyer_is_contributor", terms.buyer_is_contributor)
        .set("related_party", terms.related_party)
        .set("related_party_note", terms.related_party_note.clone())
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    write_items(tx, before.id, before.institution_id, achievements).await?;
    let saved = get(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        "deal.update",
        "deal",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

/// Saves the workflow fields of `after` (status, counterparty, final price, dates, cancel
/// reason) if `before` is still current, and records `action`.
pub async fn save_workflow(tx: &mut WriteTx, before: &Deal, after: &Deal, action: &str) -> Result<Deal> {
    let mut q = Sql::new("UPDATE deal SET ");
    q.set("status", after.status.code())
        .set("counterparty_id", after.terms.counterparty.map(|c| c.0))
        .set("final_price_fen", after.final_price.map(Money::fen))
        .set("priced_on", after.priced_on.map(format_date))
        .set("completed_on", after.completed_on.map(format_date))
        .set("cancel_reason", after.cancel_reason.clone())
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "deal",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}
