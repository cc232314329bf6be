//! 统一社会信用代码 — the unified social credit code of GB 32100-2015.
//!
//! 18 characters: registration authority (1), institution category (1), administrative
//! division (6 digits), organisation code (9), check character (1). The check character is
//! `31 − (Σ cᵢ·wᵢ mod 31)` over the first 17 characters with weights `wᵢ = 3^(i−1) mod 31`,
//! in the 31-character alphabet below (no I, O, S, V, Z).

use std::fmt;
use std::str::FromStr;

use crate::validation::Violation;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, or `None` if one is not allowed.
pub fn check_character(body: &str) -> Option<char> {
    let bytes = body.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (i, &c) in bytes.iter().enumerate() {
        sum += value_of(c)? * WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

impl CreditCode {
    pub fn parse(input: &str) -> Result<CreditCode, Violation> {
        let code = input.trim().to_ascii_uppercase();
        if code.len() != 18 || !code.is_ascii() {
            return Err(Violation::InvalidCreditCode);
        }
        let division_is_digits = code.as_bytes()[2..8].iter().all(u8::is_ascii_digit);
        let expected = check_character(&code[..17]).ok_or(Violation::InvalidCreditCode)?;
        if !division_is_digits || code.as_bytes()[17] as char != expected {
            return Err(Violation::InvalidCreditCode);
        }
        Ok(CreditCode(code))
    }

    /// Completes a 17-character body with its check character (for generating fixtures).
    pub fn from_body(body: &str) -> Result<CreditCode, Violation> {
        let check = check_character(body).ok_or(Violation::InvalidCreditCode)?;
        CreditCode::parse(&format!("{body}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit administrative division (e.g. `120000` Tianjin, `120104` Nankai).
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CreditCode {
    type Err = Violation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_registered_codes() {
        // Codes of registered organisations, as printed on public records.
        for code in ["91110108551385082Q", "91440300708461136T", "91350100M000100Y43", "12100000400000624D"] {
            assert_eq!(CreditCode::parse(code).map(|c| c.to_string()), Ok(code.to_string()));
        }
        assert!(CreditCode::parse(" 91110108551385082q ").is_ok());
    }

    #[test]
    fn rejects_wrong_check_length_and_letters() {
        assert_eq!(CreditCode::parse("91110108551385082R"), Err(Violation::InvalidCreditCode));
        assert_eq!(CreditCode::parse("9111000010000028"), Err(Violation::InvalidCreditCode));
        assert_eq!(CreditCode::parse("9111010855138508IQ"), Err(Violation::InvalidCreditCode));
        assert_eq!(CreditCode::parse("91A1000010000028 9"), Err(Violation::InvalidCreditCode));
        assert_eq!(CreditCode::parse("九1110000100000289L"), Err(Violation::InvalidCreditCode));
    }

    #[test]
    fn generated_codes_validate() {
        let code = CreditCode::from_body("12120000MB0000001").unwrap();
        assert_eq!(code.division(), "120000");
        assert_eq!(CreditCode::parse(code.as_str()), Ok(code));
    }
}
