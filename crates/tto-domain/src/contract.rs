//! Technical contracts (技术合同, 民法典 第八百四十三条) and their registration (认定登记).

use time::Date;

use crate::institution::InstitutionId;
use crate::money::Money;
use crate::period::parse_date;
use crate::validation::{ValidationErrors, Violation, required_text};

code_enum! {
    ContractCategory {
        Development => "development",
        Transfer => "transfer",
        Licence => "licence",
        Consulting => "consulting",
        Service => "service",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installment {
    pub due_on: Date,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractTerms {
    pub category: ContractCategory,
    pub title: String,
    pub buyer: InstitutionId,
    pub amount: Money,
    pub signed_on: Date,
    pub schedule: Vec<Installment>,
}

#[derive(Debug, Clone, Default)]
pub struct ContractDraft {
    pub category: String,
    pub title: String,
    pub buyer: Option<i64>,
    pub amount: String,
    pub signed_on: String,
    /// (due date, amount) of each instalment.
    pub schedule: Vec<(String, String)>,
}

fn money(errors: &mut ValidationErrors, field: &str, raw: &str, positive: bool) -> Option<Money> {
    if raw.trim().is_empty() {
        errors.add(field, Violation::Required);
        return None;
    }
    let m = errors.collect(field, Money::parse(raw).and_then(Money::non_negative))?;
    if positive && m.is_zero() {
        errors.add(field, Violation::OutOfRange { min: "0.01".into(), max: Money::MAX.to_grouped() });
        return None;
    }
    Some(m)
}

impl ContractTerms {
    /// The payment schedule must add up to the contract amount, to the fen.
    pub fn validate(d: &ContractDraft) -> Result<ContractTerms, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let category = errors.collect("category", ContractCategory::from_code(&d.category));
        let title = required_text(&mut errors, "title", &d.title, 200);
        if d.buyer.is_none() {
            errors.add("buyer", Violation::Required);
        }
        let amount = money(&mut errors, "amount", &d.amount, true);
        let signed_on = errors.collect("signed_on", parse_date(&d.signed_on));
        let rows: Vec<&(String, String)> =
            d.schedule.iter().filter(|(a, b)| !(a.trim().is_empty() && b.trim().is_empty())).collect();
        if rows.is_empty() {
            errors.add("schedule", Violation::Required);
        }
        let mut schedule = Vec::new();
        for (i, (due, value)) in rows.iter().enumerate() {
            let due = errors.collect(format!("schedule[{i}].due_on"), parse_date(due));
            let value = money(&mut errors, &format!("schedule[{i}].amount"), value, true);
            if let (Some(due_on), Some(amount)) = (due, value) {
                schedule.push(Installment { due_on, amount });
            }
        }
        if let Some(amount) = amount
            && schedule.len() == rows.len()
            && !schedule.is_empty()
        {
            let total: Money = schedule.iter().map(|i| i.amount).sum();
            if total != amount {
                errors
                    .add("schedule", Violation::Rule { code: "schedule_total", detail: format!("{total} / {amount}") });
            }
        }
        schedule.sort_by_key(|i| i.due_on);
        match (category, title, d.buyer, amount, signed_on) {
            (Some(category), Some(title), Some(buyer), Some(amount), Some(signed_on)) if errors.is_empty() => {
                Ok(ContractTerms { category, title, buyer: InstitutionId(buyer), amount, signed_on, schedule })
            }
            _ => Err(errors),
        }
    }
}

/// 认定登记 of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub number: String,
    pub registered_on: Date,
    /// 技术交易额 certified by the registration authority (at most the contract amount).
    pub certified_amount: Money,
    pub authority: String,
}

impl Registration {
    pub fn validate(
        number: &str,
        registered_on: &str,
        certified: &str,
        authority: &str,
        contract: &ContractTerms,
    ) -> Result<Registration, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let number = required_text(&mut errors, "registration_number", number, 100);
        let day = errors.collect("registered_on", parse_date(registered_on));
        if day.is_some_and(|d| d < contract.signed_on) {
            errors.add(
                "registered_on",
                Violation::Rule { code: "before_signing", detail: "registered before the contract was signed".into() },
            );
        }
        let certified = money(&mut errors, "certified_amount", certified, false);
        if certified.is_some_and(|c| c > contract.amount) {
            errors.add(
                "certified_amount",
                Violation::Rule {
                    code: "certified_above_amount",
                    detail: "the certified amount exceeds the contract amount".into(),
                },
            );
        }
        let authority = required_text(&mut errors, "authority", authority, 200);
        match (number, day, certified, authority) {
            (Some(number), Some(registered_on), Some(certified_amount), Some(authority)) if errors.is_empty() => {
                Ok(Registration { number, registered_on, certified_amount, authority })
            }
            _ => Err(errors),
        }
    }
}

/// Checks a payment against what was already received: it may not take the total above the
/// contract amount.
pub fn check_payment(
    amount: &str,
    received_on: &str,
    already: Money,
    contract: &ContractTerms,
) -> Result<(Money, Date), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let value = money(&mut errors, "amount", amount, true);
    let day = errors.collect("received_on", parse_date(received_on));
    if let Some(v) = value
        && already.checked_add(v).is_none_or(|t| t > contract.amount)
    {
        errors.add("amount", Violation::Rule { code: "payments_exceed_amount", detail: contract.amount.to_string() });
    }
    match (value, day) {
        (Some(v), Some(d)) if errors.is_empty() => Ok((v, d)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ContractDraft {
        ContractDraft {
            category: "transfer".into(),
            title: "专利权转让合同".into(),
            buyer: Some(3),
            amount: "1,000,000".into(),
            signed_on: "2026-11-20".into(),
            schedule: vec![("2026-12-01".into(), "300000".into()), ("2027-06-01".into(), "700,000".into())],
        }
    }

    #[test]
    fn schedule_must_add_up() {
        assert!(ContractTerms::validate(&draft()).is_ok());
        let mut d = draft();
        d.schedule[1].1 = "699999.99".into();
        let e = ContractTerms::validate(&d).unwrap_err();
        assert_eq!(e.errors[0].violation.code(), "schedule_total");
    }

    #[test]
    fn registration_and_payments_are_bounded_by_the_amount() {
        let c = ContractTerms::validate(&draft()).unwrap();
        assert!(Registration::validate("12010123456", "2026-11-25", "1000000", "天津市技术市场管理办公室", &c).is_ok());
        let e = Registration::validate("1", "2026-11-19", "1000000.01", "a", &c).unwrap_err();
        let codes: Vec<&str> = e.errors.iter().map(|e| e.violation.code()).collect();
        assert_eq!(codes, ["before_signing", "certified_above_amount"]);
        assert!(check_payment("300000", "2026-12-01", Money::ZERO, &c).is_ok());
        assert_eq!(
            check_payment("300000.01", "2026-12-01", Money::yuan(700_000), &c).unwrap_err().errors[0].violation.code(),
            "payments_exceed_amount"
        );
    }
}
