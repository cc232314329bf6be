//! Exact percentages and ratios.
//!
//! Shares (of contribution, of ownership, of income) are percentages with at most four
//! decimal places, so three equal shares are written 33.3334 + 33.3333 + 33.3333 and can
//! total exactly 100 %. Storage uses parts per million of the whole (100 % = 1,000,000),
//! an integer, so sums in the database are exact too.

use std::fmt;
use std::iter::Sum;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::validation::Violation;

/// A percentage between 0 and 100 inclusive with at most four decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PercentError {
    #[error("not a percentage: {0:?}")]
    Format(String),
    #[error("a percentage must be between 0 and 100")]
    Range,
    #[error("at most four decimal places")]
    Precision,
}

impl From<PercentError> for Violation {
    fn from(e: PercentError) -> Self {
        match e {
            PercentError::Range => Violation::OutOfRange { min: "0".into(), max: "100".into() },
            PercentError::Format(_) | PercentError::Precision => Violation::InvalidFormat { expected: "percentage" },
        }
    }
}

const PPM_PER_PERCENT: i64 = 10_000;
pub const MAX_SCALE: u32 = 4;

impl Percent {
    pub const ZERO: Percent = Percent(Decimal::ZERO);
    pub const HUNDRED: Percent = Percent(Decimal::ONE_HUNDRED);

    pub fn new(value: Decimal) -> Result<Percent, PercentError> {
        if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            return Err(PercentError::Range);
        }
        let normalized = value.normalize();
        if normalized.scale() > MAX_SCALE {
            return Err(PercentError::Precision);
        }
        Ok(Percent(normalized))
    }

    /// Whole percent, for fixtures and policy literals.
    pub fn whole(value: u8) -> Result<Percent, PercentError> {
        Percent::new(Decimal::from(value))
    }

    /// From parts per million of the whole (storage form).
    pub fn from_ppm(ppm: i64) -> Result<Percent, PercentError> {
        Percent::new(Decimal::new(ppm, MAX_SCALE))
    }

    /// Parts per million of the whole: 100 % = 1,000,000.
    pub fn ppm(self) -> i64 {
        let scaled = self.0 * Decimal::from(PPM_PER_PERCENT);
        // Exact: scale ≤ 4 is guaranteed by construction, and the value ≤ 100.
        i64::try_from(scaled.trunc()).unwrap_or(0)
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// The fraction of the whole: 25 % → 0.25.
    pub fn ratio(self) -> Ratio {
        Ratio(self.0 / Decimal::ONE_HUNDRED)
    }

    /// Accepts `25`, `25%`, `25 %`, `33.3333`, `25％`.
    pub fn parse(input: &str) -> Result<Percent, PercentError> {
        let s = input.trim().trim_end_matches(['%', '％']).trim();
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') {
            return Err(PercentError::Format(input.to_string()));
        }
        let d = Decimal::from_str(s).map_err(|_| PercentError::Format(input.to_string()))?;
        Percent::new(d)
    }
}

/// `33.3333 %`, `50 %`
impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", self.0.normalize())
    }
}

impl FromStr for Percent {
    type Err = PercentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Percent::parse(s)
    }
}

/// Sum of percentages as a plain decimal (may exceed 100, which is why it is not a `Percent`).
pub fn total(shares: impl IntoIterator<Item = Percent>) -> Decimal {
    shares.into_iter().map(|p| p.0).sum()
}

/// A fraction of a whole between 0 and 1, exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ratio(Decimal);

impl Ratio {
    pub const ZERO: Ratio = Ratio(Decimal::ZERO);
    pub const ONE: Ratio = Ratio(Decimal::ONE);

    pub fn new(value: Decimal) -> Option<Ratio> {
        (value >= Decimal::ZERO && value <= Decimal::ONE).then_some(Ratio(value))
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    pub fn to_percent(self) -> Result<Percent, PercentError> {
        Percent::new(self.0 * Decimal::ONE_HUNDRED)
    }
}

impl Sum<Ratio> for Decimal {
    fn sum<I: Iterator<Item = Ratio>>(iter: I) -> Decimal {
        iter.map(|r| r.0).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(Percent::parse("25").unwrap().to_string(), "25 %");
        assert_eq!(Percent::parse("33.3333%").unwrap().ppm(), 333_333);
        assert_eq!(Percent::parse(" 12.50 ％").unwrap().to_string(), "12.5 %");
        assert_eq!(Percent::HUNDRED.ppm(), 1_000_000);
    }

    #[test]
    fn rejects_out_of_range_and_too_precise() {
        assert_eq!(Percent::parse("100.01"), Err(PercentError::Range));
        assert_eq!(Percent::parse("-1"), Err(PercentError::Range));
        assert_eq!(Percent::parse("1.00001"), Err(PercentError::Precision));
        assert!(matches!(Percent::parse("abc"), Err(PercentError::Format(_))));
        assert!(matches!(Percent::parse(""), Err(PercentError::Format(_))));
    }

    #[test]
    fn thirds_can_total_exactly_hundred() {
        let shares = ["33.3334", "33.3333", "33.3333"].map(|s| Percent::parse(s).unwrap());
        assert_eq!(total(shares), Decimal::ONE_HUNDRED);
        assert_eq!(Percent::whole(25).unwrap().ratio().value(), Decimal::new(25, 2));
    }

    proptest! {
        #[test]
        fn ppm_round_trip(ppm in 0i64..=1_000_000) {
            let p = Percent::from_ppm(ppm).unwrap();
            prop_assert_eq!(p.ppm(), ppm);
            prop_assert_eq!(Percent::parse(&p.to_string()).unwrap(), p);
        }
    }
}
