//! IP records (知识产权), annuity payments, reminders, and the patent-conversion programme.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::ip::{IpFields, IpKind, LegalStatus, ProgrammeStatus};
use tto_domain::{AchievementId, InstitutionId, Money};

use crate::codec::{
    bool_col, corrupt, date_col, format_date, format_timestamp, i64_col, opt_date_col, opt_i64_col, opt_str_col,
    str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRecord {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub achievement_id: Option<AchievementId>,
    pub achievement_title: Option<String>,
    pub fields: IpFields,
    pub programme: bool,
    pub programme_status: Option<ProgrammeStatus>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpFilter {
    pub kind: Option<IpKind>,
    pub legal_status: Option<LegalStatus>,
    pub programme: Option<bool>,
    pub achievement: Option<AchievementId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnuityPayment {
    pub year: u32,
    pub paid_on: Date,
    pub amount: Money,
}

pub fn snapshot(r: &IpRecord) -> Value {
    let f = &r.fields;
    json!({
        "id": r.id,
        "achievement_id": r.achievement_id.map(|a| a.0),
        "kind": f.kind.code(),
        "title": f.title,
        "jurisdiction": f.jurisdiction,
        "application_number": f.application_number,
        "filing_date": format_date(f.filing_date),
        "grant_number": f.grant_number,
        "grant_date": f.grant_date.map(format_date),
        "legal_status": f.legal_status.code(),
        "programme": r.programme,
        "programme_status": r.programme_status.map(ProgrammeStatus::code),
        "version": r.version,
    })
}

const COLUMNS: &str = "SELECT p.id, p.institution_id, i.name AS institution_name, p.achievement_id, a.title AS achievement_title, \
     p.kind, p.title, p.jurisdiction, p.application_number, p.filing_date, p.grant_number, p.grant_date, p.legal_status, \
     p.programme, p.programme_status, p.created_at, p.updated_at, p.version FROM ip_right p \
     JOIN institution i ON i.id = p.institution_id LEFT JOIN achievement a ON a.id = p.achievement_id";

fn from_row(row: &AnyRow) -> Result<IpRecord> {
    Ok(IpRecord {
        id: i64_col(row, "id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        institution_name: str_col(row, "institution_name")?,
        achievement_id: opt_i64_col(row, "achievement_id")?.map(AchievementId),
        achievement_title: opt_str_col(row, "achievement_title")?,
        fields: IpFields {
            kind: IpKind::from_code(&str_col(row, "kind")?).map_err(corrupt("kind"))?,
            title: str_col(row, "title")?,
            jurisdiction: str_col(row, "jurisdiction")?,
            application_number: str_col(row, "application_number")?,
            filing_date: date_col(row, "filing_date")?,
            grant_number: opt_str_col(row, "grant_number")?,
            grant_date: opt_date_col(row, "grant_date")?,
            legal_status: LegalStatus::from_code(&str_col(row, "legal_status")?).map_err(corrupt("legal_status"))?,
        },
        programme: bool_col(row, "programme")?,
        programme_status: opt_str_col(row, "programme_status")?
            .as_deref()
            .map(ProgrammeStatus::from_code)
            .transpose()
            .map_err(corrupt("programme_status"))?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

pub async fn get(db: &mut impl Conn, scope: Scope, id: i64) -> Result<IpRecord> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE p.id = ").bind(id).internal_scope(scope, "p.institution_id");
    from_row(&q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?)
}

pub async fn list(db: &mut impl Conn, scope: Scope, filter: &IpFilter, limit: i64) -> Result<Vec<IpRecord>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE 1 = 1").internal_scope(scope, "p.institution_id");
    if let Some(k) = filter.kind {
        q.push(" AND p.kind = ").bind(k.code());
    }
    if let Some(s) = filter.legal_status {
        q.push(" AND p.legal_status = ").bind(s.code());
    }
    if let Some(p) = filter.programme {
        q.push(" AND p.programme = ").bind(p);
    }
    if let Some(a) = filter.achievement {
        q.push(" AND p.achievement_id = ").bind(a.0);
    }
    q.push(" ORDER BY p.filing_date DESC, p.id DESC LIMIT ").bind(limit);
    q.fetch_all(db.conn()).await?.iter().map(from_row).collect()
}

/// Granted patents of every institution in scope (annuities and the programme).
pub async fn granted_patents(db: &mut impl Conn, scope: Scope) -> Result<Vec<IpRecord>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE p.legal_status = 'granted' AND p.kind IN ('invention_patent', 'utility_model', 'design')")
        .internal_scope(scope, "p.institution_id")
        .push(" ORDER BY p.id");
    q.fetch_all(db.conn()).await?.iter().map(from_row).collect()
}

pub async fn insert(
    tx: &mut WriteTx,
    institution: InstitutionId,
    achievement: Option<AchievementId>,
    f: &IpFields,
) -> Result<IpRecord> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO ip_right (institution_id, achievement_id, kind, title, jurisdiction, application_number, filing_date, \
         grant_number, grant_date, legal_status, programme, created_at, updated_at, version) VALUES (",
    );
    q.values([
        institution.0.into(),
        achievement.map(|a| a.0).into(),
        f.kind.code().into(),
        f.title.clone().into(),
        f.jurisdiction.clone().into(),
        f.application_number.clone().into(),
        format_date(f.filing_date).into(),
        f.grant_number.clone().into(),
        f.grant_date.map(format_date).into(),
        f.legal_status.code().into(),
        false.into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let saved = get(tx, Scope::All, id).await?;
    tx.record(Some(institution), "ip.create", "ip_right", &id.to_string(), None, Some(&snapshot(&saved))).await?;
    Ok(saved)
}

pub async fn update(
    tx: &mut WriteTx,
    before: &IpRecord,
    achievement: Option<AchievementId>,
    f: &IpFields,
    programme: bool,
    programme_status: Option<ProgrammeStatus>,
    action: &str,
) -> Result<IpRecord> {
    let mut q = Sql::new("UPDATE ip_right SET ");
    q.set("achievement_id", achievement.map(|a| a.0))
        .set("kind", f.kind.code())
        .set("title", f.title.clone())
        .set("jurisdiction", f.jurisdiction.clone())
        .set("application_number", f.application_number.clone())
        .set("filing_date", format_date(f.filing_date))
        .set("grant_number", f.grant_number.clone())
        .set("grant_date", f.grant_date.map(format_date))
        .set("legal_status", f.legal_status.code())
        .set("programme", programme)
        .set("programme_status", programme_status.map(|s| s.code().to_string()))
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "ip_right",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

pub async fn payments(db: &mut impl Conn, ip: i64) -> Result<Vec<AnnuityPayment>> {
    let mut q = Sql::new("SELECT year, paid_on, amount_fen FROM ip_annuity_payment WHERE ip_right_id = ");
    q.bind(ip).push(" ORDER BY year");
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| {
            Ok(AnnuityPayment {
                year: i64_col(r, "year")? as u32,
                paid_on: date_col(r, "paid_on")?,
                amount: Money::from_fen(i64_col(r, "amount_fen")?),
            })
        })
        .collect()
}

pub async fn record_payment(tx: &mut WriteTx, ip: &IpRecord, year: u32, paid_on: Date, amount: Money) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO ip_annuity_payment (ip_right_id, year, institution_id, paid_on, amount_fen, created_at) VALUES (",
    );
    q.values([
        ip.id.into(),
        i64::from(year).into(),
        ip.institution_id.0.into(),
        format_date(paid_on).into(),
        amount.fen().into(),
        format_timestamp(tx.now()).into(),
    ])
    .push(")");
    q.execute(tx.conn()).await?;
    let mut q = Sql::new("UPDATE reminder SET ");
    q.set("status", "done")
        .push(" WHERE subject = 'annuity' AND subject_id = ")
        .bind(ip.id)
        .push(" AND period = ")
        .bind(i64::from(year));
    q.execute(tx.conn()).await?;
    let after =
        json!({ "ip_right_id": ip.id, "year": year, "paid_on": format_date(paid_on), "amount_fen": amount.fen() });
    tx.record(Some(ip.institution_id), "ip.annuity_paid", "ip_right", &ip.id.to_string(), None, Some(&after)).await
}

/// A reminder raised by the scheduled task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub subject: String,
    pub subject_id: i64,
    pub period: i64,
    pub due_on: Date,
    pub status: String,
}

/// Raises a reminder unless one exists for the same subject and period. True when new.
pub async fn raise_reminder(
    tx: &mut WriteTx,
    institution: InstitutionId,
    subject: &'static str,
    subject_id: i64,
    period: i64,
    due_on: Date,
) -> Result<bool> {
    let mut q = Sql::new("SELECT id FROM reminder WHERE subject = ");
    q.bind(subject).push(" AND subject_id = ").bind(subject_id).push(" AND period = ").bind(period);
    if q.fetch_optional(tx.conn()).await?.is_some() {
        return Ok(false);
    }
    let mut q = Sql::new(
        "INSERT INTO reminder (institution_id, subject, subject_id, period, due_on, status, created_at) VALUES (",
    );
    q.values([
        institution.0.into(),
        subject.into(),
        subject_id.into(),
        period.into(),
        format_date(due_on).into(),
        "open".into(),
        format_timestamp(tx.now()).into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let after =
        json!({ "subject": subject, "subject_id": subject_id, "period": period, "due_on": format_date(due_on) });
    tx.record(Some(institution), "reminder.raise", "reminder", &id.to_string(), None, Some(&after)).await?;
    Ok(true)
}

pub async fn reminders(db: &mut impl Conn, scope: Scope, open_only: bool, limit: i64) -> Result<Vec<Reminder>> {
    let mut q =
        Sql::new("SELECT id, institution_id, subject, subject_id, period, due_on, status FROM reminder r WHERE 1 = 1");
    q.internal_scope(scope, "r.institution_id");
    if open_only {
        q.push(" AND r.status = 'open'");
    }
    q.push(" ORDER BY r.due_on, r.id LIMIT ").bind(limit);
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| {
            Ok(Reminder {
                id: i64_col(r, "id")?,
                institution_id: InstitutionId(i64_col(r, "institution_id")?),
                subject: str_col(r, "subject")?,
                subject_id: i64_col(r, "subject_id")?,
                period: i64_col(r, "period")?,
                due_on: date_col(r, "due_on")?,
                status: str_col(r, "status")?,
            })
        })
        .collect()
}
