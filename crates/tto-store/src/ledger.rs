//! The separate ledger (单列管理台账), conversions and their bookings.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::ledger::{Conversion, ConversionMode, LedgerAssessment, Recognition, Stage};
use tto_domain::{AchievementId, AchievementStatus, FundingSource, InstitutionId, Money};

use crate::codec::{
    bool_col, corrupt, date_col, format_date, format_timestamp, i64_col, opt_i64_col, opt_str_col, str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub achievement_id: AchievementId,
    pub assessment: LedgerAssessment,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A line of the ledger report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub entry: LedgerEntry,
    pub code: String,
    pub title: String,
    pub funding_source: FundingSource,
    pub status: AchievementStatus,
    pub bookings: i64,
    pub booked_value: Money,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    pub stage: Option<Stage>,
    pub recognition: Option<Recognition>,
    /// Both cost and value measurable (true) or not (false).
    pub measurable: Option<bool>,
    pub funding_source: Option<FundingSource>,
}

/// A recorded conversion, with its booking if booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionRecord {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub achievement_id: AchievementId,
    pub conversion: Conversion,
    pub booked_on: Option<Date>,
    pub created_at: OffsetDateTime,
}

pub fn entry_snapshot(e: &LedgerEntry) -> Value {
    let a = &e.assessment;
    json!({
        "id": e.id,
        "achievement_id": e.achievement_id.0,
        "stage": a.stage.code(),
        "cost_measurable": a.cost_measurable,
        "value_measurable": a.value_measurable,
        "recognition": a.recognition.code(),
        "book_value": a.book_value.map(|m| m.to_plain()),
        "notes": a.notes,
        "version": e.version,
    })
}

const ENTRY_COLUMNS: &str = "SELECT e.id, e.institution_id, e.achievement_id, e.stage, e.cost_measurable, \
     e.value_measurable, e.recognition, e.book_value_fen, e.notes, e.created_at, e.updated_at, e.version FROM ledger_entry e";

fn entry_from(row: &AnyRow) -> Result<LedgerEntry> {
    Ok(LedgerEntry {
        id: i64_col(row, "id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        achievement_id: AchievementId(i64_col(row, "achievement_id")?),
        assessment: LedgerAssessment {
            stage: Stage::from_code(&str_col(row, "stage")?).map_err(corrupt("stage"))?,
            cost_measurable: bool_col(row, "cost_measurable")?,
            value_measurable: bool_col(row, "value_measurable")?,
            recognition: Recognition::from_code(&str_col(row, "recognition")?).map_err(corrupt("recognition"))?,
            book_value: opt_i64_col(row, "book_value_fen")?.map(Money::from_fen),
            notes: opt_str_col(row, "notes")?,
        },
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

pub async fn entry_for(db: &mut impl Conn, scope: Scope, achievement: AchievementId) -> Result<Option<LedgerEntry>> {
    let mut q = Sql::new(ENTRY_COLUMNS);
    q.push(" WHERE e.achievement_id = ").bind(achievement.0);
    q.internal_scope(scope, "e.institution_id");
    q.fetch_optional(db.conn()).await?.as_ref().map(entry_from).transpose()
}

/// Opens the ledger entry of a job-related achievement (research stage, not measurable, not
/// recognised) unless it has one.
pub async fn open_entry(
    tx: &mut WriteTx,
    institution: InstitutionId,
    achievement: AchievementId,
) -> Result<LedgerEntry> {
    if let Some(existing) = entry_for(tx, Scope::All, achievement).await? {
        return Ok(existing);
    }
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO ledger_entry (institution_id, achievement_id, stage, cost_measurable, value_measurable, recognition, \
         created_at, updated_at, version) VALUES (",
    );
    q.bind(institution.0)
        .push(", ")
        .bind(achievement.0)
        .push(", ")
        .bind(Stage::Research.code())
        .push(", ")
        .bind(false)
        .push(", ")
        .bind(false)
        .push(", ")
        .bind(Recognition::NotRecognised.code())
        .push(", ")
        .bind(now.clone())
        .push(", ")
        .bind(now)
        .push(", 1)");
    q.execute(tx.conn()).await?;
    let entry = entry_for(tx, Scope::All, achievement).await?.ok_or(StoreError::NotFound)?;
    tx.record(
        Some(institution),
        "ledger.open",
        "ledger_entry",
        &entry.id.to_string(),
        None,
        Some(&entry_snapshot(&entry)),
    )
    .await?;
    Ok(entry)
}

pub async fn save_assessment(
    tx: &mut WriteTx,
    before: &LedgerEntry,
    expected_version: i64,
    assessment: &LedgerAssessment,
    action: &str,
) -> Result<LedgerEntry> {
    let mut q = Sql::new("UPDATE ledger_entry SET stage = ");
    q.bind(assessment.stage.code())
        .push(", cost_measurable = ")
        .bind(assessment.cost_measurable)
        .push(", value_measurable = ")
        .bind(assessment.value_measurable)
        .push(", recognition = ")
        .bind(assessment.recognition.code())
        .push(", book_value_fen = ")
        .bind(assessment.book_value.map(Money::fen))
        .push(", notes = ")
        .bind(assessment.notes.clone())
        .push(", updated_at = ")
        .bind(format_timestamp(tx.now()))
        .where_version(before.id, expected_version);
    q.execute_versioned(tx.conn()).await?;
    let after = entry_for(tx, Scope::All, before.achievement_id).await?.ok_or(StoreError::NotFound)?;
    tx.record(
        Some(before.institution_id),
        action,
        "ledger_entry",
        &before.id.to_string(),
        Some(&entry_snapshot(before)),
        Some(&entry_snapshot(&after)),
    )
    .await?;
    Ok(after)
}

pub async fn list(db: &mut impl Conn, scope: Scope, filter: &LedgerFilter, limit: i64) -> Result<Vec<LedgerRow>> {
    let mut q = Sql::new(
        "SELECT e.id, e.institution_id, e.achievement_id, e.stage, e.cost_measurable, e.value_measurable, e.recognition, \
         e.book_value_fen, e.notes, e.created_at, e.updated_at, e.version, a.code, a.title, a.funding_source, a.status, \
         (SELECT COUNT(*) FROM ledger_booking b WHERE b.ledger_entry_id = e.id) AS bookings, \
         (SELECT CAST(COALESCE(SUM(b.value_fen), 0) AS BIGINT) FROM ledger_booking b WHERE b.ledger_entry_id = e.id) AS booked \
         FROM ledger_entry e JOIN achievement a ON a.id = e.achievement_id WHERE 1 = 1",
    );
    q.internal_scope(scope, "e.institution_id");
    if let Some(s) = filter.stage {
        q.push(" AND e.stage = ").bind(s.code());
    }
    if let Some(r) = filter.recognition {
        q.push(" AND e.recognition = ").bind(r.code());
    }
    if let Some(m) = filter.measurable {
        if m {
            q.push(" AND e.cost_measurable = ").bind(true).push(" AND e.value_measurable = ").bind(true);
        } else {
            q.push(" AND (e.cost_measurable = ").bind(false).push(" OR e.value_measurable = ").bind(false).push(")");
        }
    }
    if let Some(f) = filter.funding_source {
        q.push(" AND a.funding_source = ").bind(f.code());
    }
    q.push(" ORDER BY e.id LIMIT ").bind(limit);
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|row| {
            Ok(LedgerRow {
                entry: entry_from(row)?,
                code: str_col(row, "code")?,
                title: str_col(row, "title")?,
                funding_source: FundingSource::from_code(&str_col(row, "funding_source")?)
                    .map_err(corrupt("funding"))?,
                status: AchievementStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
                bookings: i64_col(row, "bookings")?,
                booked_value: Money::from_fen(i64_col(row, "booked")?),
            })
        })
        .collect()
}

fn conversion_from(row: &AnyRow) -> Result<ConversionRecord> {
    Ok(ConversionRecord {
        id: i64_col(row, "id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        achievement_id: AchievementId(i64_col(row, "achievement_id")?),
        conversion: Conversion {
            mode: ConversionMode::from_code(&str_col(row, "mode")?).map_err(corrupt("mode"))?,
            value: Money::from_fen(i64_col(row, "value_fen")?),
            occurred_on: date_col(row, "occurred_on")?,
            counterparty: str_col(row, "counterparty")?,
            reference: str_col(row, "reference")?,
        },
        booked_on: opt_str_col(row, "booked_on")?.as_deref().map(crate::codec::parse_date).transpose()?,
        created_at: ts_col(row, "created_at")?,
    })
}

const CONVERSION_COLUMNS: &str = "SELECT c.id, c.institution_id, c.achievement_id, c.mode, c.value_fen, c.occurred_on, \
     c.counterparty, c.reference, c.created_at, b.booked_on FROM conversion_event c \
     LEFT JOIN ledger_booking b ON b.conversion_event_id = c.id";

pub async fn conversions(db: &mut impl Conn, achievement: AchievementId) -> Result<Vec<ConversionRecord>> {
    let mut q = Sql::new(CONVERSION_COLUMNS);
    q.push(" WHERE c.achievement_id = ").bind(achievement.0).push(" ORDER BY c.occurred_on, c.id");
    q.fetch_all(db.conn()).await?.iter().map(conversion_from).collect()
}

pub async fn conversion(db: &mut impl Conn, scope: Scope, id: i64) -> Result<ConversionRecord> {
    let mut q = Sql::new(CONVERSION_COLUMNS);
    q.push(" WHERE c.id = ").bind(id);
    q.internal_scope(scope, "c.institution_id");
    q.fetch_optional(db.conn()).await?.as_ref().map(conversion_from).transpose()?.ok_or(StoreError::NotFound)
}

fn conversion_snapshot(c: &ConversionRecord) -> Value {
    json!({
        "id": c.id,
        "achievement_id": c.achievement_id.0,
        "mode": c.conversion.mode.code(),
        "value": c.conversion.value.to_plain(),
        "occurred_on": format_date(c.conversion.occurred_on),
        "counterparty": c.conversion.counterparty,
        "reference": c.conversion.reference,
    })
}

pub async fn insert_conversion(
    tx: &mut WriteTx,
    institution: InstitutionId,
    achievement: AchievementId,
    conversion: &Conversion,
) -> Result<ConversionRecord> {
    let mut q = Sql::new(
        "INSERT INTO conversion_event (institution_id, achievement_id, mode, value_fen, occurred_on, counterparty, \
         reference, created_at) VALUES (",
    );
    q.bind(institution.0)
        .push(", ")
        .bind(achievement.0)
        .push(", ")
        .bind(conversion.mode.code())
        .push(", ")
        .bind(conversion.value.fen())
        .push(", ")
        .bind(format_date(conversion.occurred_on))
        .push(", ")
        .bind(conversion.counterparty.clone())
        .push(", ")
        .bind(conversion.reference.clone())
        .push(", ")
        .bind(format_timestamp(tx.now()))
        .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let record = self::conversion(tx, Scope::All, id).await?;
    tx.record(
        Some(institution),
        "conversion.record",
        "conversion_event",
        &id.to_string(),
        None,
        Some(&conversion_snapshot(&record)),
    )
    .await?;
    Ok(record)
}

/// Books a conversion in the entry: the booking row, and the entry's recognition becomes
/// `booked` with the booked value added to its book value.
pub async fn book(
    tx: &mut WriteTx,
    entry: &LedgerEntry,
    conversion: &ConversionRecord,
    booked_on: Date,
) -> Result<LedgerEntry> {
    let mut q = Sql::new(
        "INSERT INTO ledger_booking (institution_id, ledger_entry_id, achievement_id, conversion_event_id, value_fen, \
         booked_on, created_at) VALUES (",
    );
    q.bind(entry.institution_id.0)
        .push(", ")
        .bind(entry.id)
        .push(", ")
        .bind(entry.achievement_id.0)
        .push(", ")
        .bind(conversion.id)
        .push(", ")
        .bind(conversion.conversion.value.fen())
        .push(", ")
        .bind(format_date(booked_on))
        .push(", ")
        .bind(format_timestamp(tx.now()))
        .push(")");
    q.execute(tx.conn()).await?;
    let mut assessment = entry.assessment.clone();
    assessment.recognition = Recognition::Booked;
    let previous = if entry.assessment.recognition == Recognition::Booked { entry.assessment.book_value } else { None };
    assessment.book_value =
        Some(previous.unwrap_or(Money::ZERO).checked_add(conversion.conversion.value).unwrap_or(Money::MAX));
    save_assessment(tx, entry, entry.version, &assessment, "ledger.book").await
}

/// What the reconciliation check finds: (achievement id, ledger number, title) of each case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    /// Job-related achievements without a ledger entry.
    pub missing: Vec<(AchievementId, String, String)>,
    /// Ledger entries of achievements that are not job-related (any more).
    pub not_job_related: Vec<(AchievementId, String, String)>,
    /// Conversions recorded but not booked.
    pub unbooked: Vec<(AchievementId, String, String)>,
    /// Achievements whose ownership was booked as transferred or invested more than once.
    pub booked_twice: Vec<(AchievementId, String, String)>,
}

async fn triples(db: &mut impl Conn, mut q: Sql) -> Result<Vec<(AchievementId, String, String)>> {
    q.push(" ORDER BY a.id LIMIT 1000");
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| Ok((AchievementId(i64_col(r, "id")?), str_col(r, "code")?, str_col(r, "title")?)))
        .collect()
}

pub async fn reconcile(db: &mut impl Conn, scope: Scope) -> Result<Reconciliation> {
    let mut missing = Sql::new("SELECT a.id, a.code, a.title FROM achievement a WHERE a.job_related = ");
    missing.bind(true).push(" AND NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.achievement_id = a.id)");
    missing.internal_scope(scope, "a.institution_id");
    let mut stray = Sql::new(
        "SELECT a.id, a.code, a.title FROM ledger_entry e JOIN achievement a ON a.id = e.achievement_id WHERE a.job_related = ",
    );
    stray.bind(false);
    stray.internal_scope(scope, "a.institution_id");
    let mut unbooked = Sql::new(
        "SELECT DISTINCT a.id, a.code, a.title FROM conversion_event c JOIN achievement a ON a.id = c.achievement_id \
         WHERE NOT EXISTS (SELECT 1 FROM ledger_booking b WHERE b.conversion_event_id = c.id)",
    );
    unbooked.internal_scope(scope, "a.institution_id");
    let mut twice = Sql::new(
        "SELECT a.id, a.code, a.title FROM achievement a WHERE (SELECT COUNT(*) FROM ledger_booking b \
         JOIN conversion_event c ON c.id = b.conversion_event_id WHERE b.achievement_id = a.id AND c.mode IN ('transfer', 'equity_investment')) > 1",
    );
    twice.internal_scope(scope, "a.institution_id");
    Ok(Reconciliation {
        missing: triples(db, missing).await?,
        not_job_related: triples(db, stray).await?,
        unbooked: triples(db, unbooked).await?,
        booked_twice: triples(db, twice).await?,
    })
}
