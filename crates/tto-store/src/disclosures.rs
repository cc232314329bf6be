//! Invention disclosures (成果披露) with contributors and attachments.
//!
//! Inventors see their own disclosures; the TTO of the institution sees all of them.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::achievement::{Contributor, FundingSource};
use tto_domain::disclosure::{DisclosureFields, DisclosureStatus};
use tto_domain::{AchievementId, InstitutionId, Percent};

use crate::codec::{
    bool_col, corrupt, format_date, format_timestamp, i64_col, json_list, opt_date_col, opt_i64_col, opt_str_col,
    parse_json_list, str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

/// Whose disclosures a read may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisclosureScope {
    /// The institution's TTO (or all, for `Scope::All`).
    Office(Scope),
    /// An inventor: their own.
    Inventor(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub inventor_user_id: i64,
    pub inventor_name: String,
    pub fields: DisclosureFields,
    pub status: DisclosureStatus,
    pub comments: Option<String>,
    pub achievement_id: Option<AchievementId>,
    pub submitted_on: Option<Date>,
    pub decided_on: Option<Date>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: i64,
    pub disclosure_id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

pub fn snapshot(d: &Disclosure) -> Value {
    let f = &d.fields;
    json!({
        "id": d.id,
        "inventor_user_id": d.inventor_user_id,
        "title": f.title,
        "summary": f.summary,
        "problem": f.problem,
        "prior_art": f.prior_art,
        "planned_publications": f.planned_publications,
        "first_publication_on": f.first_publication_on.map(format_date),
        "funding_source": f.funding_source.code(),
        "funding_refs": f.funding_refs,
        "contributors": f.contributors.iter().map(|c| json!({ "name": c.name, "share": c.share.value().normalize().to_string(), "main": c.main })).collect::<Vec<_>>(),
        "status": d.status.code(),
        "comments": d.comments,
        "achievement_id": d.achievement_id.map(|a| a.0),
        "version": d.version,
    })
}

const COLUMNS: &str = "SELECT d.id, d.institution_id, d.inventor_user_id, d.inventor_name, d.title, d.summary, d.problem, \
     d.prior_art, d.planned_publications, d.first_publication_on, d.funding_source, d.funding_refs, d.status, d.comments, \
     d.achievement_id, d.submitted_on, d.decided_on, d.created_at, d.updated_at, d.version FROM disclosure d";

async fn from_row(db: &mut impl Conn, row: &AnyRow) -> Result<Disclosure> {
    let id = i64_col(row, "id")?;
    let mut q = Sql::new("SELECT name, share_ppm, main FROM disclosure_contributor WHERE disclosure_id = ");
    q.bind(id).push(" ORDER BY position");
    let contributors = q
        .fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| {
            Ok(Contributor {
                person_id: None,
                name: str_col(r, "name")?,
                share: Percent::from_ppm(i64_col(r, "share_ppm")?).map_err(corrupt("share"))?,
                main: bool_col(r, "main")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Disclosure {
        id,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        inventor_user_id: i64_col(row, "inventor_user_id")?,
        inventor_name: str_col(row, "inventor_name")?,
        fields: DisclosureFields {
            title: str_col(row, "title")?,
            summary: str_col(row, "summary")?,
            problem: str_col(row, "problem")?,
            prior_art: str_col(row, "prior_art")?,
            planned_publications: opt_str_col(row, "planned_publications")?,
            first_publication_on: opt_date_col(row, "first_publication_on")?,
            funding_source: FundingSource::from_code(&str_col(row, "funding_source")?)
                .map_err(corrupt("funding_source"))?,
            funding_refs: parse_json_list(&str_col(row, "funding_refs")?)?,
            contributors,
        },
        status: DisclosureStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
        comments: opt_str_col(row, "comments")?,
        achievement_id: opt_i64_col(row, "achievement_id")?.map(AchievementId),
        submitted_on: opt_date_col(row, "submitted_on")?,
        decided_on: opt_date_col(row, "decided_on")?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

fn apply(q: &mut Sql, scope: DisclosureScope) {
    match scope {
        DisclosureScope::Office(s) => {
            q.internal_scope(s, "d.institution_id");
        }
        DisclosureScope::Inventor(user) => {
            q.push(" AND d.inventor_user_id = ").bind(user);
        }
    }
}

pub async fn get(db: &mut impl Conn, scope: DisclosureScope, id: i64) -> Result<Disclosure> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE d.id = ").bind(id);
    apply(&mut q, scope);
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    from_row(db, &row).await
}

pub async fn list(
    db: &mut impl Conn,
    scope: DisclosureScope,
    status: Option<DisclosureStatus>,
    limit: i64,
) -> Result<Vec<Disclosure>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE 1 = 1");
    apply(&mut q, scope);
    if let Some(s) = status {
        q.push(" AND d.status = ").bind(s.code());
    }
    q.push(" ORDER BY d.updated_at DESC, d.id DESC LIMIT ").bind(limit);
    let rows = q.fetch_all(db.conn()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(from_row(db, row).await?);
    }
    Ok(out)
}

async fn write_contributors(tx: &mut WriteTx, id: i64, f: &DisclosureFields) -> Result<()> {
    let mut q = Sql::new("DELETE FROM disclosure_contributor WHERE disclosure_id = ");
    q.bind(id);
    q.execute(tx.conn()).await?;
    for (position, c) in f.contributors.iter().enumerate() {
        let mut q =
            Sql::new("INSERT INTO disclosure_contributor (disclosure_id, position, name, share_ppm, main) VALUES (");
        q.values([id.into(), (position as i64).into(), c.name.clone().into(), c.share.ppm().into(), c.main.into()])
            .push(")");
        q.execute(tx.conn()).await?;
    }
    Ok(())
}

pub async fn insert(
    tx: &mut WriteTx,
    institution: InstitutionId,
    inventor: (i64, &str),
    f: &DisclosureFields,
) -> Result<Disclosure> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO disclosure (institution_id, inventor_user_id, inventor_name, title, summary, problem, prior_art, \
         planned_publications, first_publication_on, funding_source, funding_refs, status, created_at, updated_at, version) VALUES (",
    );
    q.values([
        institution.0.into(),
        inventor.0.into(),
        inventor.1.into(),
        f.title.clone().into(),
        f.summary.clone().into(),
        f.problem.clone().into(),
        f.prior_art.clone().into(),
        f.planned_publications.clone().into(),
        f.first_publication_on.map(format_date).into(),
        f.funding_source.code().into(),
        json_list(&f.funding_refs).into(),
        DisclosureStatus::Draft.code().into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    write_contributors(tx, id, f).await?;
    let saved = get(tx, DisclosureScope::Office(Scope::All), id).await?;
    tx.record(Some(institution), "disclosure.create", "disclosure", &id.to_string(), None, Some(&snapshot(&saved)))
        .await?;
    Ok(saved)
}

pub async fn update_fields(tx: &mut WriteTx, before: &Disclosure, f: &DisclosureFields) -> Result<Disclosure> {
    let mut q = Sql::new("UPDATE disclosure SET ");
    q.set("title", f.title.clone())
        .set("summary", f.summary.clone())
        .set("problem", f.problem.clone())
        .set("prior_art", f.prior_art.clone())
        .set("planned_publications", f.planned_publications.clone())
        .set("first_publication_on", f.first_publication_on.map(format_date))
        .set("funding_source", f.funding_source.code())
        .set("funding_refs", json_list(&f.funding_refs))
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    write_contributors(tx, before.id, f).await?;
    let saved = get(tx, DisclosureScope::Office(Scope::All), before.id).await?;
    tx.record(
        Some(before.institution_id),
        "disclosure.update",
        "disclosure",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

/// Saves the workflow fields of `after` and records `action`.
pub async fn save_workflow(
    tx: &mut WriteTx,
    before: &Disclosure,
    after: &Disclosure,
    action: &str,
) -> Result<Disclosure> {
    let mut q = Sql::new("UPDATE disclosure SET ");
    q.set("status", after.status.code())
        .set("comments", after.comments.clone())
        .set("achievement_id", after.achievement_id.map(|a| a.0))
        .set("submitted_on", after.submitted_on.map(format_date))
        .set("decided_on", after.decided_on.map(format_date))
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, DisclosureScope::Office(Scope::All), before.id).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "disclosure",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

fn attachment_from_row(r: &AnyRow) -> Result<Attachment> {
    Ok(Attachment {
        id: i64_col(r, "id")?,
        disclosure_id: i64_col(r, "disclosure_id")?,
        file_name: str_col(r, "file_name")?,
        media_type: str_col(r, "media_type")?,
        size: i64_col(r, "size")?,
        sha256: str_col(r, "sha256")?,
    })
}

pub async fn attachments(db: &mut impl Conn, disclosure: i64) -> Result<Vec<Attachment>> {
    let mut q = Sql::new(
        "SELECT id, disclosure_id, file_name, media_type, size, sha256 FROM disclosure_attachment WHERE disclosure_id = ",
    );
    q.bind(disclosure).push(" ORDER BY id");
    q.fetch_all(db.conn()).await?.iter().map(attachment_from_row).collect()
}

/// An attachment with its bytes.
pub async fn attachment_content(db: &mut impl Conn, disclosure: i64, id: i64) -> Result<(Attachment, Vec<u8>)> {
    let mut q = Sql::new(
        "SELECT id, disclosure_id, file_name, media_type, size, sha256, content FROM disclosure_attachment WHERE disclosure_id = ",
    );
    q.bind(disclosure).push(" AND id = ").bind(id);
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    let bytes: Vec<u8> = sqlx::Row::try_get(&row, "content")?;
    Ok((attachment_from_row(&row)?, bytes))
}

pub async fn add_attachment(
    tx: &mut WriteTx,
    d: &Disclosure,
    file_name: &str,
    media_type: &str,
    sha256: &str,
    content: Vec<u8>,
) -> Result<Attachment> {
    let size = content.len() as i64;
    let mut q = Sql::new(
        "INSERT INTO disclosure_attachment (disclosure_id, institution_id, file_name, media_type, size, sha256, content, created_at) VALUES (",
    );
    q.bind(d.id)
        .push(", ")
        .bind(d.institution_id.0)
        .push(", ")
        .bind(file_name.to_string())
        .push(", ")
        .bind(media_type.to_string())
        .push(", ")
        .bind(size)
        .push(", ")
        .bind(sha256.to_string())
        .push(", ")
        .bind(content)
        .push(", ")
        .bind(format_timestamp(tx.now()))
        .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let after = json!({ "disclosure_id": d.id, "file_name": file_name, "media_type": media_type, "size": size, "sha256": sha256 });
    tx.record(Some(d.institution_id), "disclosure.attach", "disclosure", &d.id.to_string(), None, Some(&after)).await?;
    Ok(Attachment {
        id,
        disclosure_id: d.id,
        file_name: file_name.into(),
        media_type: media_type.into(),
        size,
        sha256: sha256.into(),
    })
}

pub async fn remove_attachment(tx: &mut WriteTx, d: &Disclosure, a: &Attachment) -> Result<()> {
    let mut q = Sql::new("DELETE FROM disclosure_attachment WHERE id = ");
    q.bind(a.id).push(" AND disclosure_id = ").bind(d.id);
    q.execute(tx.conn()).await?;
    let before = json!({ "disclosure_id": d.id, "file_name": a.file_name, "sha256": a.sha256 });
    tx.record(Some(d.institution_id), "disclosure.detach", "disclosure", &d.id.to_string(), Some(&before), None).await
}
