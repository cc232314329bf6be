//! Central release (集中发布, measure 十四) of fiscally funded achievements left unconverted.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::{AchievementId, AchievementType, InstitutionId};

use crate::codec::{corrupt, format_date, format_timestamp, i64_col, opt_date_col, str_col, ts_col};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

tto_domain::code_enum! {
    CampaignStatus {
        Draft => "draft",
        Published => "published",
    }
}

/// An achievement in (or a candidate for) a central release: public fields only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseItem {
    pub achievement_id: AchievementId,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub code: String,
    pub title: String,
    pub summary: String,
    pub kind: AchievementType,
    pub discipline: String,
    pub trl: i64,
    pub completion_date: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub title: String,
    pub description: String,
    pub status: CampaignStatus,
    pub published_on: Option<Date>,
    pub policy_profile: String,
    pub items: Vec<ReleaseItem>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

pub fn snapshot(c: &Campaign) -> Value {
    json!({
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "status": c.status.code(),
        "published_on": c.published_on.map(format_date),
        "policy_profile": c.policy_profile,
        "achievements": c.items.iter().map(|i| i.achievement_id.0).collect::<Vec<_>>(),
        "version": c.version,
    })
}

const ITEM_COLUMNS: &str = "SELECT a.id, a.institution_id, i.name AS institution_name, a.code, a.title, a.summary, \
     a.kind, a.discipline, a.trl, a.completion_date FROM achievement a JOIN institution i ON i.id = a.institution_id";

fn item_from_row(r: &AnyRow) -> Result<ReleaseItem> {
    Ok(ReleaseItem {
        achievement_id: AchievementId(i64_col(r, "id")?),
        institution_id: InstitutionId(i64_col(r, "institution_id")?),
        institution_name: str_col(r, "institution_name")?,
        code: str_col(r, "code")?,
        title: str_col(r, "title")?,
        summary: str_col(r, "summary")?,
        kind: AchievementType::from_code(&str_col(r, "kind")?).map_err(corrupt("kind"))?,
        discipline: str_col(r, "discipline")?,
        trl: i64_col(r, "trl")?,
        completion_date: opt_date_col(r, "completion_date")?,
    })
}

/// Fiscally funded, non-confidential achievements completed on or before `completed_by` that
/// were never converted (no conversion recorded, no completed deal) and are not withdrawn.
pub async fn candidates(db: &mut impl Conn, scope: Scope, completed_by: Date, limit: i64) -> Result<Vec<ReleaseItem>> {
    let mut q = Sql::new(ITEM_COLUMNS);
    q.push(
        " WHERE a.funding_source = 'fiscal' AND a.confidentiality <> 'confidential' \
         AND a.status IN ('registered', 'promoting', 'negotiating') AND a.completion_date IS NOT NULL \
         AND a.completion_date <= ",
    )
    .bind(format_date(completed_by))
    .push(" AND NOT EXISTS (SELECT 1 FROM conversion_event c WHERE c.achievement_id = a.id)");
    q.internal_scope(scope, "a.institution_id");
    q.push(" ORDER BY a.completion_date, a.id LIMIT ").bind(limit);
    q.fetch_all(db.conn()).await?.iter().map(item_from_row).collect()
}

const COLUMNS: &str = "SELECT c.id, c.institution_id, i.name AS institution_name, c.title, c.description, c.status, \
     c.published_on, c.policy_profile, c.created_at, c.updated_at, c.version FROM release_campaign c \
     JOIN institution i ON i.id = c.institution_id";

async fn from_row(db: &mut impl Conn, row: &AnyRow) -> Result<Campaign> {
    let id = i64_col(row, "id")?;
    let mut q = Sql::new(ITEM_COLUMNS);
    q.push(" JOIN release_item r ON r.achievement_id = a.id WHERE r.campaign_id = ")
        .bind(id)
        .push(" ORDER BY r.position");
    let items = q.fetch_all(db.conn()).await?.iter().map(item_from_row).collect::<Result<Vec<_>>>()?;
    Ok(Campaign {
        id,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        institution_name: str_col(row, "institution_name")?,
        title: str_col(row, "title")?,
        description: str_col(row, "description")?,
        status: CampaignStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
        published_on: opt_date_col(row, "published_on")?,
        policy_profile: str_col(row, "policy_profile")?,
        items,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

fn apply_scope(q: &mut Sql, scope: Scope) {
    match scope {
        Scope::All => {}
        Scope::Institution(i) => {
            q.push(" AND c.institution_id = ").bind(i.0);
        }
        Scope::OwnOrPublic(i) => {
            q.push(" AND (c.institution_id = ").bind(i.0).push(" OR c.status = 'published')");
        }
        Scope::Public => {
            q.push(" AND c.status = 'published'");
        }
    }
}

pub async fn get(db: &mut impl Conn, scope: Scope, id: i64) -> Result<Campaign> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE c.id = ").bind(id);
    apply_scope(&mut q, scope);
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    from_row(db, &row).await
}

pub async fn list(db: &mut impl Conn, scope: Scope, limit: i64) -> Result<Vec<Campaign>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE 1 = 1");
    apply_scope(&mut q, scope);
    q.push(" ORDER BY c.id DESC LIMIT ").bind(limit);
    let rows = q.fetch_all(db.conn()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(from_row(db, row).await?);
    }
    Ok(out)
}

pub async fn insert(
    tx: &mut WriteTx,
    institution: InstitutionId,
    title: &str,
    description: &str,
    achievements: &[AchievementId],
    policy_profile: &str,
) -> Result<Campaign> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO release_campaign (institution_id, title, description, status, policy_profile, created_at, \
         updated_at, version) VALUES (",
    );
    q.values([
        institution.0.into(),
        title.into(),
        description.into(),
        CampaignStatus::Draft.code().into(),
        policy_profile.into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    for (position, a) in achievements.iter().enumerate() {
        let mut q =
            Sql::new("INSERT INTO release_item (campaign_id, achievement_id, institution_id, position) SELECT ");
        q.bind(id)
            .push(", a.id, a.institution_id, ")
            .bind(position as i64)
            .push(" FROM achievement a WHERE a.id = ")
            .bind(a.0);
        q.execute(tx.conn()).await?;
    }
    let saved = get(tx, Scope::All, id).await?;
    tx.record(Some(institution), "release.create", "release_campaign", &id.to_string(), None, Some(&snapshot(&saved)))
        .await?;
    Ok(saved)
}

pub async fn publish(tx: &mut WriteTx, before: &Campaign, on: Date) -> Result<Campaign> {
    let mut q = Sql::new("UPDATE release_campaign SET ");
    q.set("status", CampaignStatus::Published.code())
        .set("published_on", format_date(on))
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        "release.publish",
        "release_campaign",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}
