//! Intellectual-property records (知识产权): patents and other rights, their numbers, legal
//! status, and the annuity deadlines of Chinese patents.
//!
//! Chinese patent annuities (年费) are paid for each patent year, which starts on the
//! anniversary of the filing date; from grant on, the fee of each coming year is due by that
//! anniversary. Terms run from the filing date (invention 20, utility model 10, design 15
//! years — values of the policy profile).

use time::Date;

use crate::validation::{ValidationErrors, Violation, optional_text, required_text};

code_enum! {
    IpKind {
        InventionPatent => "invention_patent",
        UtilityModel => "utility_model",
        Design => "design",
        SoftwareCopyright => "software_copyright",
        IcLayout => "ic_layout",
        PlantVariety => "plant_variety",
    }
}

code_enum! {
    LegalStatus {
        /// Filed, not yet granted (or registered).
        Pending => "pending",
        Granted => "granted",
        /// Lapsed for an unpaid annuity.
        Lapsed => "lapsed",
        Expired => "expired",
        Invalidated => "invalidated",
        Abandoned => "abandoned",
    }
}

code_enum! {
    /// Where a patent stands in the patent-conversion programme (专利转化专项).
    ProgrammeStatus {
        Listed => "listed",
        Promoting => "promoting",
        Negotiating => "negotiating",
        Converted => "converted",
    }
}

impl IpKind {
    /// Whether annuities are paid (patents only).
    pub fn pays_annuities(self) -> bool {
        matches!(self, IpKind::InventionPatent | IpKind::UtilityModel | IpKind::Design)
    }

    /// The type digit of a Chinese application number (1 invention, 2 utility model, 3 design;
    /// 8 and 9 are PCT entries of inventions and utility models).
    fn type_digits(self) -> &'static [u8] {
        match self {
            IpKind::InventionPatent => b"18",
            IpKind::UtilityModel => b"29",
            IpKind::Design => b"3",
            _ => b"",
        }
    }
}

/// The check character of a 12-digit Chinese patent application number: weights
/// 2,3,4,5,6,7,8,9,2,3,4,5, sum mod 11, 10 written as X.
pub fn check_character(digits: &[u8; 12]) -> char {
    const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    match sum % 11 {
        10 => 'X',
        n => char::from(b'0' + n as u8),
    }
}

/// Checks a number for its kind: Chinese patent application numbers `ZL`/`CN` optional +
/// `YYYYTNNNNNNN.C` (type digit matching the kind, valid check character); software
/// copyright registrations `YYYYSRNNNNNNN`; other kinds and foreign jurisdictions: 3–40
/// letters, digits, `.`, `/`, `-`, spaces.
pub fn check_number(kind: IpKind, jurisdiction: &str, raw: &str) -> Result<String, Violation> {
    let s = raw.trim().to_ascii_uppercase().replace(' ', "");
    let free = || {
        let ok = (3..=40).contains(&s.chars().count())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-'));
        if ok { Ok(s.clone()) } else { Err(Violation::InvalidFormat { expected: "ip_number" }) }
    };
    if jurisdiction != "CN" {
        return free();
    }
    match kind {
        IpKind::InventionPatent | IpKind::UtilityModel | IpKind::Design => {
            let body = s.trim_start_matches("ZL").trim_start_matches("CN");
            let bad = Violation::InvalidFormat { expected: "cn_patent_number" };
            let (digits, check) = body.split_once('.').ok_or_else(|| bad.clone())?;
            let digits: [u8; 12] = digits.as_bytes().try_into().map_err(|_| bad.clone())?;
            if !digits.iter().all(u8::is_ascii_digit) || check.len() != 1 {
                return Err(bad);
            }
            if !kind.type_digits().contains(&digits[4]) {
                return Err(Violation::Rule { code: "number_kind_mismatch", detail: s.clone() });
            }
            if !check.starts_with(check_character(&digits)) {
                return Err(Violation::Rule { code: "number_check_character", detail: s.clone() });
            }
            Ok(format!("{}.{}", std::str::from_utf8(&digits).unwrap_or_default(), check))
        }
        IpKind::SoftwareCopyright => {
            let ok = s.len() == 13
                && s[..4].bytes().all(|b| b.is_ascii_digit())
                && &s[4..6] == "SR"
                && s[6..].bytes().all(|b| b.is_ascii_digit());
            if ok { Ok(s) } else { Err(Violation::InvalidFormat { expected: "software_copyright_number" }) }
        }
        _ => free(),
    }
}

/// A validated IP record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpFields {
    pub kind: IpKind,
    pub title: String,
    pub jurisdiction: String,
    pub application_number: String,
    pub filing_date: Date,
    pub grant_number: Option<String>,
    pub grant_date: Option<Date>,
    pub legal_status: LegalStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpDraft {
    pub kind: String,
    pub title: String,
    pub jurisdiction: String,
    pub application_number: String,
    pub filing_date: String,
    pub grant_number: String,
    pub grant_date: String,
    pub legal_status: String,
}

impl IpFields {
    pub fn validate(d: &IpDraft, today: Date) -> Result<IpFields, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let kind = errors.collect("kind", IpKind::from_code(&d.kind));
        let title = required_text(&mut errors, "title", &d.title, 300);
        let jurisdiction = if d.jurisdiction.trim().is_empty() {
            "CN".to_string()
        } else {
            d.jurisdiction.trim().to_ascii_uppercase()
        };
        if !(2..=3).contains(&jurisdiction.len()) || !jurisdiction.chars().all(|c| c.is_ascii_uppercase()) {
            errors.add("jurisdiction", Violation::InvalidFormat { expected: "country_code" });
        }
        let application_number = match (kind, d.application_number.trim().is_empty()) {
            (_, true) => {
                errors.add("application_number", Violation::Required);
                None
            }
            (Some(k), false) => {
                errors.collect("application_number", check_number(k, &jurisdiction, &d.application_number))
            }
            (None, false) => None,
        };
        let filing_date = errors.collect("filing_date", crate::period::parse_date(&d.filing_date));
        if filing_date.is_some_and(|f| f > today) {
            errors.add(
                "filing_date",
                Violation::Rule { code: "in_the_future", detail: "the filing date is in the future".into() },
            );
        }
        let grant_number = optional_text(&mut errors, "grant_number", Some(&d.grant_number), 60);
        let grant_date = if d.grant_date.trim().is_empty() {
            None
        } else {
            errors.collect("grant_date", crate::period::parse_date(&d.grant_date))
        };
        if let (Some(f), Some(g)) = (filing_date, grant_date)
            && g < f
        {
            errors.add(
                "grant_date",
                Violation::Rule { code: "grant_before_filing", detail: "granted before it was filed".into() },
            );
        }
        let legal_status = if d.legal_status.trim().is_empty() {
            Some(if grant_date.is_some() { LegalStatus::Granted } else { LegalStatus::Pending })
        } else {
            errors.collect("legal_status", LegalStatus::from_code(&d.legal_status))
        };
        if legal_status == Some(LegalStatus::Granted) && grant_date.is_none() {
            errors.add("grant_date", Violation::Required);
        }
        match (kind, title, application_number, filing_date, legal_status) {
            (Some(kind), Some(title), Some(application_number), Some(filing_date), Some(legal_status))
                if errors.is_empty() =>
            {
                Ok(IpFields {
                    kind,
                    title,
                    jurisdiction,
                    application_number,
                    filing_date,
                    grant_number,
                    grant_date,
                    legal_status,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The same day `years` later (29 February becomes 28 February).
pub fn add_years(day: Date, years: i32) -> Date {
    let year = day.year() + years;
    day.replace_year(year).unwrap_or_else(|_| day.replace_day(28).and_then(|d| d.replace_year(year)).unwrap_or(day))
}

/// One annuity of a granted patent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annuity {
    /// The patent year it pays for (1 = the year from the filing date).
    pub year: u32,
    /// Due by the start of that patent year (the filing anniversary); the year in which the
    /// patent was granted is paid with the grant.
    pub due_on: Date,
}

/// The annuities of a granted patent with term `term_years`: one per patent year after the
/// year of grant, due on the filing anniversary that starts it.
pub fn annuities(filing: Date, grant: Date, term_years: u32) -> Vec<Annuity> {
    let mut out = Vec::new();
    for year in 1..=term_years {
        let starts = add_years(filing, year as i32 - 1);
        // The patent year in which the grant falls is paid at grant registration.
        if starts <= grant {
            continue;
        }
        out.push(Annuity { year, due_on: starts });
    }
    out
}

/// The day the right ends (the term counted from the filing date).
pub fn expires_on(filing: Date, term_years: u32) -> Date {
    add_years(filing, term_years as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn number(digits: &str) -> String {
        let d: [u8; 12] = digits.as_bytes().try_into().unwrap();
        format!("{digits}.{}", check_character(&d))
    }

    #[test]
    fn chinese_patent_numbers_are_checked() {
        let n = number("202310123456");
        assert_eq!(check_number(IpKind::InventionPatent, "CN", &n), Ok(n.clone()));
        assert_eq!(check_number(IpKind::InventionPatent, "CN", &format!("ZL{n}")), Ok(n.clone()));
        assert_eq!(check_number(IpKind::UtilityModel, "CN", &n).unwrap_err().code(), "number_kind_mismatch");
        let wrong = format!("202310123456.{}", if n.ends_with('0') { '1' } else { '0' });
        assert_eq!(check_number(IpKind::InventionPatent, "CN", &wrong).unwrap_err().code(), "number_check_character");
        assert_eq!(check_number(IpKind::InventionPatent, "CN", "2023101234").unwrap_err().code(), "invalid_format");
        assert!(check_number(IpKind::SoftwareCopyright, "CN", "2023SR0123456").is_ok());
        assert!(check_number(IpKind::SoftwareCopyright, "CN", "2023-SR-1").is_err());
        assert!(check_number(IpKind::InventionPatent, "US", "US 11,000,000").is_err(), "commas are not allowed");
        assert!(check_number(IpKind::InventionPatent, "US", "US11000000B2").is_ok());
    }

    #[test]
    fn annuities_start_after_the_year_of_grant() {
        let a = annuities(date!(2020 - 03 - 15), date!(2023 - 06 - 01), 20);
        assert_eq!(a.first().map(|x| (x.year, x.due_on)), Some((5, date!(2024 - 03 - 15))));
        assert_eq!(a.last().map(|x| (x.year, x.due_on)), Some((20, date!(2039 - 03 - 15))));
        assert_eq!(a.len(), 16);
        assert_eq!(expires_on(date!(2020 - 03 - 15), 20), date!(2040 - 03 - 15));
        assert_eq!(add_years(date!(2024 - 02 - 29), 1), date!(2025 - 02 - 28));
    }

    #[test]
    fn records_are_validated() {
        let today = date!(2026 - 11 - 29);
        let ok = IpDraft {
            kind: "invention_patent".into(),
            title: "一种导热膜".into(),
            application_number: number("202310123456"),
            filing_date: "2023-03-15".into(),
            grant_date: "2025-01-10".into(),
            ..Default::default()
        };
        let f = IpFields::validate(&ok, today).unwrap();
        assert_eq!(f.legal_status, LegalStatus::Granted);
        let bad = IpDraft { filing_date: "2027-01-01".into(), grant_date: "2020-01-01".into(), ..ok };
        let codes: Vec<&str> =
            IpFields::validate(&bad, today).unwrap_err().errors.iter().map(|e| e.violation.code()).collect();
        assert_eq!(codes, ["in_the_future", "grant_before_filing"]);
    }
}
