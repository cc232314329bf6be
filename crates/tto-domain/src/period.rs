//! Periods of calendar days.

use std::fmt;

use time::Date;

use crate::validation::Violation;

/// Days from `start` (inclusive) until `end` (exclusive); `end = None` means open-ended.
/// Half-open periods chain without gaps or overlaps: one period's end is the next one's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    start: Date,
    end: Option<Date>,
}

impl Period {
    pub fn new(start: Date, end: Option<Date>) -> Result<Period, Violation> {
        match end {
            Some(end) if end <= start => Err(Violation::EndBeforeStart),
            _ => Ok(Period { start, end }),
        }
    }

    pub fn open(start: Date) -> Period {
        Period { start, end: None }
    }

    pub fn start(&self) -> Date {
        self.start
    }

    pub fn end(&self) -> Option<Date> {
        self.end
    }

    pub fn contains(&self, day: Date) -> bool {
        day >= self.start && self.end.is_none_or(|end| day < end)
    }

    pub fn overlaps(&self, other: &Period) -> bool {
        let starts_before_other_ends = other.end.is_none_or(|end| self.start < end);
        let other_starts_before_self_ends = self.end.is_none_or(|end| other.start < end);
        starts_before_other_ends && other_starts_before_self_ends
    }

    /// Whole calendar years covered, counting from the start (for minimum terms such as the
    /// ten-year long-term use right). `None` for an open-ended period.
    pub fn whole_years(&self) -> Option<i32> {
        let end = self.end?;
        let mut years = end.year() - self.start.year();
        if (end.month(), end.day()) < (self.start.month(), self.start.day()) {
            years -= 1;
        }
        Some(years)
    }

    /// The same period ended at `end` (for closing the current slice of a history).
    pub fn ended_at(&self, end: Date) -> Result<Period, Violation> {
        Period::new(self.start, Some(end))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end {
            Some(end) => write!(f, "{} – {}", self.start, end),
            None => write!(f, "{} –", self.start),
        }
    }
}

/// `YYYY-MM-DD`.
pub fn parse_date(input: &str) -> Result<Date, Violation> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(input.trim(), &format).map_err(|_| Violation::InvalidFormat { expected: "date" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn half_open_periods_chain_without_overlap() {
        let a = Period::new(date!(2020 - 01 - 01), Some(date!(2025 - 01 - 01))).unwrap();
        let b = Period::open(date!(2025 - 01 - 01));
        assert!(!a.overlaps(&b));
        assert!(a.contains(date!(2024 - 12 - 31)));
        assert!(!a.contains(date!(2025 - 01 - 01)));
        assert!(b.contains(date!(2025 - 01 - 01)));
        let c = Period::new(date!(2024 - 06 - 01), Some(date!(2026 - 01 - 01))).unwrap();
        assert!(a.overlaps(&c) && c.overlaps(&b));
    }

    #[test]
    fn end_must_follow_start() {
        let d = date!(2024 - 01 - 01);
        assert_eq!(Period::new(d, Some(d)), Err(Violation::EndBeforeStart));
    }

    #[test]
    fn counts_whole_years() {
        let p = Period::new(date!(2024 - 03 - 01), Some(date!(2034 - 03 - 01))).unwrap();
        assert_eq!(p.whole_years(), Some(10));
        let p = Period::new(date!(2024 - 03 - 01), Some(date!(2034 - 02 - 28))).unwrap();
        assert_eq!(p.whole_years(), Some(9));
        assert_eq!(Period::open(date!(2024 - 03 - 01)).whole_years(), None);
    }

    #[test]
    fn parses_iso_dates() {
        assert_eq!(parse_date("2026-11-29"), Ok(date!(2026 - 11 - 29)));
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("29/11/2026").is_err());
    }
}
