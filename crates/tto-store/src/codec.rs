//! Conversions between stored columns and domain values.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::{Result, StoreError};

const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// `2026-11-29T08:30:00.000000Z`: fixed width, so text order is time order.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC).format(TIMESTAMP).unwrap_or_default()
}

pub fn parse_timestamp(s: &str) -> Result<OffsetDateTime> {
    time::PrimitiveDateTime::parse(s, TIMESTAMP)
        .map(|t| t.assume_utc())
        .map_err(|_| StoreError::Corrupt(format!("timestamp {s:?}")))
}

pub fn format_date(d: Date) -> String {
    d.format(DATE).unwrap_or_default()
}

pub fn parse_date(s: &str) -> Result<Date> {
    Date::parse(s, DATE).map_err(|_| StoreError::Corrupt(format!("date {s:?}")))
}

pub(crate) fn i64_col(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub(crate) fn opt_i64_col(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

pub(crate) fn str_col(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

pub(crate) fn opt_str_col(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

/// Booleans are BOOLEAN on PostgreSQL and INTEGER 0/1 on SQLite.
pub(crate) fn bool_col(row: &AnyRow, col: &str) -> Result<bool> {
    match row.try_get::<i64, _>(col) {
        Ok(v) => Ok(v != 0),
        Err(_) => Ok(row.try_get::<bool, _>(col)?),
    }
}

pub(crate) fn ts_col(row: &AnyRow, col: &str) -> Result<OffsetDateTime> {
    parse_timestamp(&str_col(row, col)?)
}

pub(crate) fn opt_date_col(row: &AnyRow, col: &str) -> Result<Option<Date>> {
    opt_str_col(row, col)?.as_deref().map(parse_date).transpose()
}

pub(crate) fn date_col(row: &AnyRow, col: &str) -> Result<Date> {
    parse_date(&str_col(row, col)?)
}

pub(crate) fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_string())
}

pub(crate) fn parse_json_list(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt(format!("list {s:?}")))
}

/// Maps a domain validation failure of stored data to a corruption error.
pub(crate) fn corrupt<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}
