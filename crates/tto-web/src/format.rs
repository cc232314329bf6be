//! Formatting shared by pages and exports: dates, times, money, shares.

use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

/// China Standard Time, for showing timestamps.
pub const CST: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

pub fn date(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]")).unwrap_or_default()
}

pub fn opt_date(d: Option<Date>) -> String {
    d.map(date).unwrap_or_default()
}

/// `2026-11-29 18:30` in Beijing time.
pub fn datetime(t: OffsetDateTime) -> String {
    t.to_offset(CST).format(format_description!("[year]-[month]-[day] [hour]:[minute]")).unwrap_or_default()
}

/// RFC 3339 (API).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The value of a `datetime-local` input (`2026-11-29T18:30`, Beijing time).
pub fn datetime_local(t: OffsetDateTime) -> String {
    t.to_offset(CST).format(format_description!("[year]-[month]-[day]T[hour]:[minute]")).unwrap_or_default()
}

/// Reads a `datetime-local` input as Beijing time (seconds optional).
pub fn parse_datetime_local(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    let with_seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let without = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::PrimitiveDateTime::parse(s, without)
        .or_else(|_| time::PrimitiveDateTime::parse(s, with_seconds))
        .ok()
        .map(|t| t.assume_offset(CST))
}
