//! Public notices (公示) and objections (异议).
//!
//! A notice publishes facts (a deal's price, rewards, a central release) for at least the
//! policy's minimum days; anyone may object while it runs. An upheld objection terminates the
//! notice (a new one is needed after the matter is put right); a rejected objection carries
//! the reasons. A notice closes only after its last day and only without open objections.

use time::Date;

use crate::deal::notice_days;
use crate::validation::{ValidationErrors, Violation, required_text};

code_enum! {
    NoticeStatus {
        Open => "open",
        Closed => "closed",
        Terminated => "terminated",
    }
}

code_enum! {
    ObjectionStatus {
        Open => "open",
        Upheld => "upheld",
        Rejected => "rejected",
    }
}

code_enum! {
    /// What a notice is about.
    NoticeSubject {
        Deal => "deal",
        Reward => "reward",
        Release => "release",
    }
}

/// Checks a notice period: starts today or later, lasts at least `min_days` (both ends
/// counted).
pub fn check_period(
    starts_on: Date,
    ends_on: Date,
    today: Date,
    min_days: u32,
    rule: &str,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if starts_on < today {
        errors.add(
            "starts_on",
            Violation::Rule { code: "in_the_past", detail: "the notice cannot start in the past".into() },
        );
    }
    if notice_days(starts_on, ends_on) < i64::from(min_days) {
        errors.add(
            "ends_on",
            Violation::BelowPolicyMinimum { minimum: min_days.to_string(), unit: "days", rule: rule.to_string() },
        );
    }
    errors.finish(|| ())
}

/// Whether an objection may be filed on `today`.
pub fn accepts_objections(status: NoticeStatus, starts_on: Date, ends_on: Date, today: Date) -> Result<(), Violation> {
    if status != NoticeStatus::Open || today < starts_on || today > ends_on {
        return Err(Violation::Rule {
            code: "notice_not_open",
            detail: "objections are accepted only while the notice runs".into(),
        });
    }
    Ok(())
}

/// Whether a notice may close on `today` (after its last day, nothing open).
pub fn may_close(status: NoticeStatus, ends_on: Date, today: Date, open_objections: usize) -> Result<(), Violation> {
    if status != NoticeStatus::Open {
        return Err(Violation::Rule { code: "notice_not_open", detail: "the notice is not open".into() });
    }
    if today <= ends_on {
        return Err(Violation::Rule {
            code: "notice_not_finished",
            detail: format!("the notice runs until {ends_on}"),
        });
    }
    if open_objections > 0 {
        return Err(Violation::Rule { code: "objection_open", detail: "an objection is still open".into() });
    }
    Ok(())
}

/// A validated objection from the public.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionInput {
    pub name: String,
    pub contact: String,
    pub content: String,
}

impl ObjectionInput {
    pub fn validate(name: &str, contact: &str, content: &str) -> Result<ObjectionInput, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = required_text(&mut errors, "name", name, 100);
        let contact = required_text(&mut errors, "contact", contact, 200);
        let content = required_text(&mut errors, "content", content, 5000);
        match (name, contact, content) {
            (Some(name), Some(contact), Some(content)) if errors.is_empty() => {
                Ok(ObjectionInput { name, contact, content })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn periods_last_the_minimum() {
        let today = date!(2026 - 11 - 01);
        assert!(check_period(date!(2026 - 11 - 01), date!(2026 - 11 - 15), today, 15, "r").is_ok());
        let e = check_period(date!(2026 - 11 - 01), date!(2026 - 11 - 14), today, 15, "r").unwrap_err();
        assert_eq!(e.errors[0].violation.code(), "below_policy_minimum");
        assert!(check_period(date!(2026 - 10 - 30), date!(2026 - 11 - 20), today, 15, "r").is_err());
    }

    #[test]
    fn closing_needs_the_end_and_no_open_objection() {
        let end = date!(2026 - 11 - 15);
        assert!(may_close(NoticeStatus::Open, end, date!(2026 - 11 - 15), 0).is_err());
        assert!(may_close(NoticeStatus::Open, end, date!(2026 - 11 - 16), 1).is_err());
        assert!(may_close(NoticeStatus::Open, end, date!(2026 - 11 - 16), 0).is_ok());
        assert!(accepts_objections(NoticeStatus::Open, date!(2026 - 11 - 01), end, date!(2026 - 11 - 16)).is_err());
        assert!(accepts_objections(NoticeStatus::Open, date!(2026 - 11 - 01), end, end).is_ok());
    }
}
