//! Money: an exact amount of renminbi, held as integer fen (分).
//!
//! Amounts are stored and added as `i64` fen; conversions to and from yuan go through
//! [`rust_decimal::Decimal`], never through floating point. Anything that would need
//! fractions of a fen is an error here; splitting money fairly is the job of the
//! distribution engine, which uses largest-remainder rounding.

use std::fmt;
use std::iter::Sum;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::validation::Violation;

/// An exact amount in fen. May be negative (adjustments, refunds); fields that must not be
/// negative check it with [`Money::non_negative`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not an amount of money: {0:?}")]
    Format(String),
    #[error("more than two decimal places (fractions of a fen): {0:?}")]
    SubFen(String),
    #[error("amount too large")]
    Overflow,
    #[error("amount must not be negative")]
    Negative,
}

impl From<MoneyError> for Violation {
    fn from(e: MoneyError) -> Self {
        match e {
            MoneyError::Negative => Violation::Negative,
            MoneyError::Overflow => Violation::OutOfRange { min: "0".into(), max: Money::MAX.to_string() },
            MoneyError::Format(_) | MoneyError::SubFen(_) => Violation::InvalidFormat { expected: "amount" },
        }
    }
}

const FEN_PER_YUAN: i64 = 100;

impl Money {
    pub const ZERO: Money = Money(0);
    /// One hundred trillion yuan: far above any real transaction, far below `i64` overflow,
    /// so sums of many amounts stay exact.
    pub const MAX: Money = Money(100_000_000_000_000 * FEN_PER_YUAN);

    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Whole yuan, for literals in tests and fixtures.
    pub const fn yuan(yuan: i64) -> Money {
        Money(yuan * FEN_PER_YUAN)
    }

    /// Exact conversion from a decimal number of yuan; fails on fractions of a fen.
    pub fn from_yuan(yuan: Decimal) -> Result<Money, MoneyError> {
        let fen = yuan * Decimal::from(FEN_PER_YUAN);
        if fen.fract() != Decimal::ZERO {
            return Err(MoneyError::SubFen(yuan.to_string()));
        }
        let fen: i64 = fen.try_into().map_err(|_| MoneyError::Overflow)?;
        let money = Money(fen);
        if money.abs() > Money::MAX {
            return Err(MoneyError::Overflow);
        }
        Ok(money)
    }

    /// The exact amount in yuan with two decimal places.
    pub fn to_yuan(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn non_negative(self) -> Result<Money, MoneyError> {
        if self.is_negative() { Err(MoneyError::Negative) } else { Ok(self) }
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// Parses what people type: `1234.56`, `1,234.56`, `1,234.56 元`, `¥1234`, `12.5万元`
    /// (万 = ten thousand yuan), with an optional leading minus.
    pub fn parse(input: &str) -> Result<Money, MoneyError> {
        let original = input;
        let mut s: String = input.chars().filter(|c| !c.is_whitespace() && *c != ',' && *c != '，').collect();
        for prefix in ["¥", "￥", "RMB", "CNY"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.to_string();
            }
        }
        let mut multiplier = Decimal::ONE;
        if let Some(rest) = s.strip_suffix("万元").or_else(|| s.strip_suffix('万')) {
            multiplier = Decimal::from(10_000);
            s = rest.to_string();
        } else if let Some(rest) = s.strip_suffix('元') {
            s = rest.to_string();
        }
        let valid_chars = !s.is_empty()
            && s.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'))
            && s.matches('.').count() <= 1
            && s != "-"
            && !s.ends_with('.')
            && !s.starts_with('.');
        if !valid_chars {
            return Err(MoneyError::Format(original.to_string()));
        }
        let yuan = Decimal::from_str(&s).map_err(|_| MoneyError::Format(original.to_string()))?;
        let yuan = yuan.checked_mul(multiplier).ok_or(MoneyError::Overflow)?;
        Money::from_yuan(yuan).map_err(|e| match e {
            MoneyError::SubFen(_) => MoneyError::SubFen(original.to_string()),
            other => other,
        })
    }

    /// `1234.56` — plain decimal, as used on the wire (JSON strings, CSV).
    pub fn to_plain(self) -> String {
        format!("{:.2}", self.to_yuan())
    }

    /// `1,234.56` — grouped, without unit.
    pub fn to_grouped(self) -> String {
        let digits = self.0.unsigned_abs();
        let whole = digits / FEN_PER_YUAN as u64;
        let fen = digits % FEN_PER_YUAN as u64;
        let whole = whole.to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 + 4);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{grouped}.{fen:02}")
    }
}

/// `1,234.56 元`
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} 元", self.to_grouped())
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Sum for Money {
    /// Panics only on overflow beyond `i64`, impossible for sums of fewer than 90,000 amounts
    /// each within [`Money::MAX`].
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_forms_people_type() {
        assert_eq!(Money::parse("1234.56").unwrap().fen(), 123_456);
        assert_eq!(Money::parse("1,234.56 元").unwrap().fen(), 123_456);
        assert_eq!(Money::parse("¥1,234").unwrap().fen(), 123_400);
        assert_eq!(Money::parse("12.5万元").unwrap(), Money::yuan(125_000));
        assert_eq!(Money::parse("0.01").unwrap().fen(), 1);
        assert_eq!(Money::parse("-5").unwrap().fen(), -500);
        assert_eq!(Money::parse(" 3 000 ").unwrap(), Money::yuan(3000));
    }

    #[test]
    fn rejects_garbage_and_fractions_of_a_fen() {
        for bad in ["", "abc", "1.2.3", "1e5", "--1", "1.", ".5", "12元5", "-", "NaN"] {
            assert!(matches!(Money::parse(bad), Err(MoneyError::Format(_))), "{bad}");
        }
        assert!(matches!(Money::parse("0.001"), Err(MoneyError::SubFen(_))));
        assert!(matches!(Money::parse("1.2345678万"), Err(MoneyError::SubFen(_))));
        assert!(matches!(Money::parse("99999999999999999999"), Err(MoneyError::Overflow)));
    }

    #[test]
    fn formats_with_grouping_and_unit() {
        assert_eq!(Money::from_fen(123_456_789).to_string(), "1,234,567.89 元");
        assert_eq!(Money::from_fen(5).to_string(), "0.05 元");
        assert_eq!(Money::from_fen(-100_000).to_string(), "-1,000.00 元");
        assert_eq!(Money::yuan(500_000).to_plain(), "500000.00");
        assert_eq!(Money::ZERO.to_grouped(), "0.00");
    }

    #[test]
    fn negative_is_rejected_where_required() {
        assert_eq!(Money::yuan(-1).non_negative(), Err(MoneyError::Negative));
        assert_eq!(Money::yuan(1).non_negative(), Ok(Money::yuan(1)));
    }

    proptest! {
        #[test]
        fn display_and_plain_round_trip(fen in -Money::MAX.fen()..=Money::MAX.fen()) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse(&m.to_string()).unwrap(), m);
            prop_assert_eq!(Money::parse(&m.to_plain()).unwrap(), m);
            prop_assert_eq!(Money::from_yuan(m.to_yuan()).unwrap(), m);
        }
    }
}
