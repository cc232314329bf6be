//! Field-level validation errors.
//!
//! A use case collects every problem of an input at once, so a form can show all of them
//! next to their fields. A [`Violation`] carries a stable code (for message catalogues and
//! API clients) and the numbers needed to explain it; the English `Display` text is a
//! fallback, the web layer localises by code.

use std::fmt;

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The field is empty but must be given.
    Required,
    /// The text is longer than allowed (in characters).
    TooLong { max: usize },
    /// A number or a count is outside the allowed range.
    OutOfRange { min: String, max: String },
    /// The text cannot be read as the expected kind of value. `expected` is a short code
    /// (`date`, `percentage`, `amount`, `trl` …) that message catalogues translate.
    InvalidFormat { expected: &'static str },
    /// Not one of the allowed codes.
    UnknownChoice { value: String },
    /// A 统一社会信用代码 whose check character is wrong or whose characters are not allowed.
    InvalidCreditCode,
    /// Shares must add up to exactly 100 %.
    SharesNotHundred { total: String },
    /// An amount that must not be negative is negative.
    Negative,
    /// Two entries that must differ are the same.
    Duplicate { value: String },
    /// Time periods that must not overlap do.
    Overlapping,
    /// The end of a period is not after its start.
    EndBeforeStart,
    /// A value is below the minimum set by a policy rule. `unit` is `years`, `days` … (for
    /// message catalogues), `rule` cites the rule's source.
    BelowPolicyMinimum { minimum: String, unit: &'static str, rule: String },
    /// The record was changed by someone else since it was loaded.
    StaleVersion,
    /// Free-form message for rules that do not fit the codes above.
    Rule { code: &'static str, detail: String },
}

impl Violation {
    /// Stable machine-readable code, used as the message-catalogue key suffix and in the API.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::Required => "required",
            Violation::TooLong { .. } => "too_long",
            Violation::OutOfRange { .. } => "out_of_range",
            Violation::InvalidFormat { .. } => "invalid_format",
            Violation::UnknownChoice { .. } => "unknown_choice",
            Violation::InvalidCreditCode => "invalid_credit_code",
            Violation::SharesNotHundred { .. } => "shares_not_hundred",
            Violation::Negative => "negative",
            Violation::Duplicate { .. } => "duplicate",
            Violation::Overlapping => "overlapping",
            Violation::EndBeforeStart => "end_before_start",
            Violation::BelowPolicyMinimum { .. } => "below_policy_minimum",
            Violation::StaleVersion => "stale_version",
            Violation::Rule { code, .. } => code,
        }
    }

    /// Named arguments for the localised message template (`{name}` placeholders).
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Violation::TooLong { max } => vec![("max", max.to_string())],
            Violation::OutOfRange { min, max } => vec![("min", min.clone()), ("max", max.clone())],
            Violation::InvalidFormat { expected } => vec![("expected", (*expected).to_string())],
            Violation::UnknownChoice { value } | Violation::Duplicate { value } => {
                vec![("value", value.clone())]
            }
            Violation::SharesNotHundred { total } => vec![("total", total.clone())],
            Violation::BelowPolicyMinimum { minimum, unit, rule } => {
                vec![("minimum", minimum.clone()), ("unit", (*unit).to_string()), ("rule", rule.clone())]
            }
            Violation::Rule { detail, .. } => vec![("detail", detail.clone())],
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Required => write!(f, "is required"),
            Violation::TooLong { max } => write!(f, "must be at most {max} characters"),
            Violation::OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            Violation::InvalidFormat { expected } => write!(f, "is not a valid {expected}"),
            Violation::UnknownChoice { value } => write!(f, "\"{value}\" is not an allowed value"),
            Violation::InvalidCreditCode => {
                write!(f, "is not a valid unified social credit code (check character or characters wrong)")
            }
            Violation::SharesNotHundred { total } => {
                write!(f, "shares must total exactly 100 % (now {total} %)")
            }
            Violation::Negative => write!(f, "must not be negative"),
            Violation::Duplicate { value } => write!(f, "\"{value}\" already exists"),
            Violation::Overlapping => write!(f, "periods must not overlap"),
            Violation::EndBeforeStart => write!(f, "the end must be after the start"),
            Violation::BelowPolicyMinimum { minimum, unit, rule } => {
                write!(f, "must be at least {minimum} {unit} ({rule})")
            }
            Violation::StaleVersion => {
                write!(f, "was changed by someone else; reload and apply your change again")
            }
            Violation::Rule { detail, .. } => write!(f, "{detail}"),
        }
    }
}

/// One problem with one field. `field` is a path such as `contributors[2].share`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub violation: Violation,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.violation)
    }
}

/// Every problem found in one input. Never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, violation: Violation) -> Self {
        let mut errors = Self::new();
        errors.add(field, violation);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, violation: Violation) {
        self.errors.push(FieldError { field: field.into(), violation });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Errors of one field (for showing them next to it).
    pub fn for_field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.errors.iter().filter(move |e| e.field == field)
    }

    /// Keeps the value of `result`, or records its error under `field`.
    pub fn collect<T, E: Into<Violation>>(&mut self, field: impl Into<String>, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.into());
                None
            }
        }
    }

    /// Merges errors found by a nested validator, prefixing their fields.
    pub fn extend_prefixed(&mut self, prefix: &str, other: ValidationErrors) {
        for e in other.errors {
            let field = if prefix.is_empty() { e.field } else { format!("{prefix}.{}", e.field) };
            self.errors.push(FieldError { field, violation: e.violation });
        }
    }

    /// `Ok(value)` when nothing was recorded, otherwise all errors.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ValidationErrors> {
        if self.errors.is_empty() { Ok(value()) } else { Err(self) }
    }
}

/// Trims a text field and checks it is given and not too long.
pub fn required_text(errors: &mut ValidationErrors, field: &str, value: &str, max: usize) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.add(field, Violation::Required);
        None
    } else if trimmed.chars().count() > max {
        errors.add(field, Violation::TooLong { max });
        None
    } else {
        Some(trimmed.to_string())
    }
}

/// Trims an optional text field; empty becomes `None`.
pub fn optional_text(errors: &mut ValidationErrors, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    let trimmed = value.map(str::trim).unwrap_or_default();
    if trimmed.is_empty() {
        None
    } else if trimmed.chars().count() > max {
        errors.add(field, Violation::TooLong { max });
        None
    } else {
        Some(trimmed.to_string())
    }
}
