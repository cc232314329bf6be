//! Institutions (tenants). Their directory data (name, kind, region) is public.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use tto_domain::{CreditCode, Institution, InstitutionFields, InstitutionId, InstitutionKind};

use crate::codec::{bool_col, corrupt, format_timestamp, i64_col, opt_str_col, str_col, ts_col};
use crate::sql::Sql;
use crate::{Conn, Result, StoreError, WriteTx};

const COLUMNS: &str = "SELECT id, short_code, name, name_en, kind, credit_code, region, state_run, created_at, \
                       updated_at, version FROM institution";

fn from_row(row: &AnyRow) -> Result<Institution> {
    Ok(Institution {
        id: InstitutionId(i64_col(row, "id")?),
        fields: InstitutionFields {
            short_code: str_col(row, "short_code")?,
            name: str_col(row, "name")?,
            name_en: opt_str_col(row, "name_en")?,
            kind: InstitutionKind::from_code(&str_col(row, "kind")?).map_err(corrupt("institution kind"))?,
            credit_code: CreditCode::parse(&str_col(row, "credit_code")?).map_err(corrupt("credit code"))?,
            region: str_col(row, "region")?,
            state_run: bool_col(row, "state_run")?,
        },
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

/// The audit snapshot of an institution.
pub fn snapshot(i: &Institution) -> Value {
    json!({
        "id": i.id.0,
        "short_code": i.fields.short_code,
        "name": i.fields.name,
        "name_en": i.fields.name_en,
        "kind": i.fields.kind.code(),
        "credit_code": i.fields.credit_code.as_str(),
        "region": i.fields.region,
        "state_run": i.fields.state_run,
        "version": i.version,
    })
}

pub async fn get(db: &mut impl Conn, id: InstitutionId) -> Result<Institution> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE id = ").bind(id.0);
    q.fetch_optional(db.conn()).await?.as_ref().map(from_row).transpose()?.ok_or(StoreError::NotFound)
}

pub async fn list(db: &mut impl Conn) -> Result<Vec<Institution>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" ORDER BY id");
    q.fetch_all(db.conn()).await?.iter().map(from_row).collect()
}

pub async fn find_by_credit_code(db: &mut impl Conn, code: &CreditCode) -> Result<Option<Institution>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE credit_code = ").bind(code.as_str().to_string());
    q.fetch_optional(db.conn()).await?.as_ref().map(from_row).transpose()
}

pub async fn find_by_short_code(db: &mut impl Conn, short_code: &str) -> Result<Option<Institution>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE short_code = ").bind(short_code.to_string());
    q.fetch_optional(db.conn()).await?.as_ref().map(from_row).transpose()
}

pub async fn insert(tx: &mut WriteTx, fields: &InstitutionFields) -> Result<Institution> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO institution (short_code, name, name_en, kind, credit_code, region, state_run, created_at, \
         updated_at, version) VALUES (",
    );
    q.bind(fields.short_code.clone())
        .push(", ")
        .bind(fields.name.clone())
        .push(", ")
        .bind(fields.name_en.clone())
        .push(", ")
        .bind(fields.kind.code())
        .push(", ")
        .bind(fields.credit_code.as_str().to_string())
        .push(", ")
        .bind(fields.region.clone())
        .push(", ")
        .bind(fields.state_run)
        .push(", ")
        .bind(now.clone())
        .push(", ")
        .bind(now)
        .push(", 1) RETURNING id");
    let id = InstitutionId(i64_col(&q.fetch_one(tx.conn()).await?, "id")?);
    let institution = get(tx, id).await?;
    tx.record(Some(id), "institution.create", "institution", &id.to_string(), None, Some(&snapshot(&institution)))
        .await?;
    Ok(institution)
}

pub async fn update(
    tx: &mut WriteTx,
    id: InstitutionId,
    expected_version: i64,
    fields: &InstitutionFields,
) -> Result<Institution> {
    let before = get(tx, id).await?;
    if before.version != expected_version {
        return Err(StoreError::StaleVersion);
    }
    let mut q = Sql::new("UPDATE institution SET short_code = ");
    q.bind(fields.short_code.clone())
        .push(", name = ")
        .bind(fields.name.clone())
        .push(", name_en = ")
        .bind(fields.name_en.clone())
        .push(", kind = ")
        .bind(fields.kind.code())
        .push(", credit_code = ")
        .bind(fields.credit_code.as_str().to_string())
        .push(", region = ")
        .bind(fields.region.clone())
        .push(", state_run = ")
        .bind(fields.state_run)
        .push(", updated_at = ")
        .bind(format_timestamp(tx.now()))
        .where_version(id.0, expected_version);
    q.execute_versioned(tx.conn()).await?;
    let after = get(tx, id).await?;
    tx.record(
        Some(id),
        "institution.update",
        "institution",
        &id.to_string(),
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}
