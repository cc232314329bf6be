//! Public notices (公示) and the objections filed against them.
//!
//! A notice is public by nature: while it runs, anyone may read it. Objections carry the
//! objector's contact details and are read only by the notice's institution (and regulators).

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::InstitutionId;
use tto_domain::notice::{NoticeStatus, NoticeSubject, ObjectionInput, ObjectionStatus};

use crate::codec::{
    corrupt, date_col, format_date, format_timestamp, i64_col, opt_date_col, opt_str_col, str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub subject: NoticeSubject,
    pub subject_id: i64,
    pub title: String,
    /// What was published, frozen when the notice started.
    pub content: Value,
    pub starts_on: Date,
    pub ends_on: Date,
    pub status: NoticeStatus,
    pub closed_on: Option<Date>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objection {
    pub id: i64,
    pub notice_id: i64,
    pub institution_id: InstitutionId,
    pub input: ObjectionInput,
    pub status: ObjectionStatus,
    pub response: Option<String>,
    pub handled_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub version: i64,
}

pub fn snapshot(n: &Notice) -> Value {
    json!({
        "id": n.id,
        "subject": n.subject.code(),
        "subject_id": n.subject_id,
        "title": n.title,
        "content": n.content,
        "starts_on": format_date(n.starts_on),
        "ends_on": format_date(n.ends_on),
        "status": n.status.code(),
        "closed_on": n.closed_on.map(format_date),
        "version": n.version,
    })
}

pub fn objection_snapshot(o: &Objection) -> Value {
    json!({
        "id": o.id,
        "notice_id": o.notice_id,
        "name": o.input.name,
        "contact": o.input.contact,
        "content": o.input.content,
        "status": o.status.code(),
        "response": o.response,
        "version": o.version,
    })
}

const COLUMNS: &str = "SELECT n.id, n.institution_id, i.name AS institution_name, n.subject, n.subject_id, n.title, \
     n.content, n.starts_on, n.ends_on, n.status, n.closed_on, n.created_at, n.updated_at, n.version \
     FROM public_notice n JOIN institution i ON i.id = n.institution_id";

fn from_row(row: &AnyRow) -> Result<Notice> {
    let content = str_col(row, "content")?;
    Ok(Notice {
        id: i64_col(row, "id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        institution_name: str_col(row, "institution_name")?,
        subject: NoticeSubject::from_code(&str_col(row, "subject")?).map_err(corrupt("subject"))?,
        subject_id: i64_col(row, "subject_id")?,
        title: str_col(row, "title")?,
        content: serde_json::from_str(&content).map_err(corrupt("notice content"))?,
        starts_on: date_col(row, "starts_on")?,
        ends_on: date_col(row, "ends_on")?,
        status: NoticeStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
        closed_on: opt_date_col(row, "closed_on")?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

/// A notice by id. `Scope::Public` sees notices that have started (they are published).
pub async fn get(db: &mut impl Conn, scope: Scope, id: i64, today: Date) -> Result<Notice> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE n.id = ").bind(id);
    match scope {
        Scope::All => {}
        Scope::Institution(i) => {
            q.push(" AND n.institution_id = ").bind(i.0);
        }
        Scope::OwnOrPublic(i) => {
            q.push(" AND (n.institution_id = ")
                .bind(i.0)
                .push(" OR n.starts_on <= ")
                .bind(format_date(today))
                .push(")");
        }
        Scope::Public => {
            q.push(" AND n.starts_on <= ").bind(format_date(today));
        }
    }
    from_row(&q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?)
}

/// Notices of a subject, oldest first.
pub async fn for_subject(db: &mut impl Conn, subject: NoticeSubject, subject_id: i64) -> Result<Vec<Notice>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE n.subject = ")
        .bind(subject.code())
        .push(" AND n.subject_id = ")
        .bind(subject_id)
        .push(" ORDER BY n.id");
    q.fetch_all(db.conn()).await?.iter().map(from_row).collect()
}

/// Notices running on `today` (the public list), newest first.
pub async fn running(db: &mut impl Conn, today: Date, limit: i64) -> Result<Vec<Notice>> {
    let day = format_date(today);
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE n.status = 'open' AND n.starts_on <= ")
        .bind(day.clone())
        .push(" AND n.ends_on >= ")
        .bind(day)
        .push(" ORDER BY n.starts_on DESC, n.id DESC LIMIT ")
        .bind(limit);
    q.fetch_all(db.conn()).await?.iter().map(from_row).collect()
}

/// Open notices whose last day is before `today` (due to close).
pub async fn due(db: &mut impl Conn, today: Date) -> Result<Vec<Notice>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE n.status = 'open' AND n.ends_on < ").bind(format_date(today)).push(" ORDER BY n.id");
    q.fetch_all(db.conn()).await?.iter().map(from_row).collect()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut WriteTx,
    institution: InstitutionId,
    subject: NoticeSubject,
    subject_id: i64,
    title: &str,
    content: &Value,
    starts_on: Date,
    ends_on: Date,
) -> Result<Notice> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO public_notice (institution_id, subject, subject_id, title, content, starts_on, ends_on, status, \
         created_at, updated_at, version) VALUES (",
    );
    q.values([
        institution.0.into(),
        subject.code().into(),
        subject_id.into(),
        title.into(),
        content.to_string().into(),
        format_date(starts_on).into(),
        format_date(ends_on).into(),
        NoticeStatus::Open.code().into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let notice = get(tx, Scope::All, id, starts_on).await?;
    tx.record(Some(institution), "notice.start", "public_notice", &id.to_string(), None, Some(&snapshot(&notice)))
        .await?;
    Ok(notice)
}

/// Closes (after its end) or terminates (an objection upheld) a notice.
pub async fn finish(tx: &mut WriteTx, before: &Notice, status: NoticeStatus, on: Date, action: &str) -> Result<Notice> {
    let mut q = Sql::new("UPDATE public_notice SET ");
    q.set("status", status.code())
        .set("closed_on", format_date(on))
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, Scope::All, before.id, on).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "public_notice",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

const OBJECTION_COLUMNS: &str = "SELECT o.id, o.notice_id, o.institution_id, o.name, o.contact, o.content, o.status, \
     o.response, o.handled_at, o.created_at, o.version FROM objection o";

fn objection_from_row(row: &AnyRow) -> Result<Objection> {
    Ok(Objection {
        id: i64_col(row, "id")?,
        notice_id: i64_col(row, "notice_id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        input: ObjectionInput {
            name: str_col(row, "name")?,
            contact: str_col(row, "contact")?,
            content: str_col(row, "content")?,
        },
        status: ObjectionStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
        response: opt_str_col(row, "response")?,
        handled_at: opt_str_col(row, "handled_at")?.as_deref().map(crate::parse_timestamp).transpose()?,
        created_at: ts_col(row, "created_at")?,
        version: i64_col(row, "version")?,
    })
}

pub async fn objections(db: &mut impl Conn, notice: i64) -> Result<Vec<Objection>> {
    let mut q = Sql::new(OBJECTION_COLUMNS);
    q.push(" WHERE o.notice_id = ").bind(notice).push(" ORDER BY o.id");
    q.fetch_all(db.conn()).await?.iter().map(objection_from_row).collect()
}

pub async fn objection(db: &mut impl Conn, scope: Scope, id: i64) -> Result<Objection> {
    let mut q = Sql::new(OBJECTION_COLUMNS);
    q.push(" WHERE o.id = ").bind(id).internal_scope(scope, "o.institution_id");
    objection_from_row(&q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?)
}

pub async fn insert_objection(tx: &mut WriteTx, notice: &Notice, input: &ObjectionInput) -> Result<Objection> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO objection (notice_id, institution_id, name, contact, content, status, created_at, updated_at, \
         version) VALUES (",
    );
    q.values([
        notice.id.into(),
        notice.institution_id.0.into(),
        input.name.clone().into(),
        input.contact.clone().into(),
        input.content.clone().into(),
        ObjectionStatus::Open.code().into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let saved = objection(tx, Scope::All, id).await?;
    tx.record(
        Some(notice.institution_id),
        "objection.submit",
        "objection",
        &id.to_string(),
        None,
        Some(&objection_snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

/// Upholds or rejects an objection with the TTO's response.
pub async fn decide_objection(
    tx: &mut WriteTx,
    before: &Objection,
    status: ObjectionStatus,
    response: &str,
) -> Result<Objection> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new("UPDATE objection SET ");
    q.set("status", status.code())
        .set("response", response)
        .set("handled_at", now.clone())
        .set("updated_at", now)
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = objection(tx, Scope::All, before.id).await?;
    let action = if status == ObjectionStatus::Upheld { "objection.uphold" } else { "objection.reject" };
    tx.record(
        Some(before.institution_id),
        action,
        "objection",
        &before.id.to_string(),
        Some(&objection_snapshot(before)),
        Some(&objection_snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}
