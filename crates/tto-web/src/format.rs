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
