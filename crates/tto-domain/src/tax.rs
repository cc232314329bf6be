//! Tax views: what of a contributor's reward counts as taxable income (个人所得税), and the
//! enterprise-side income tax on technology-transfer income (企业所得税). Each condition is
//! shown met or not, with its rule.

use time::{Date, Month};

use crate::distribution::{Basis, DistributionMode, RewardForm, allocate};
use crate::money::Money;
use crate::percent::Percent;

/// The profile's tax numbers, resolved for the case's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRules {
    /// Share of a qualifying cash reward counted into wages (50 %, 财税〔2018〕58号).
    pub inclusion: Percent,
    pub inclusion_basis: Basis,
    /// Months after the income within which the cash must be paid (36).
    pub window_months: u32,
    pub window_basis: Basis,
    pub dividend_rate: Percent,
    pub dividend_basis: Basis,
    pub eit_threshold: Money,
    pub eit_threshold_basis: Basis,
    pub eit_excess_share: Percent,
    pub eit_excess_basis: Basis,
    pub eit_rate: Percent,
    pub eit_rate_basis: Basis,
    pub licence_min_years: u32,
    pub licence_basis: Basis,
}

/// One condition of a tax treatment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// `non_profit_payer`, `transfer_or_licence`, `contract_registered`, `notice_completed`,
    /// `paid_within_window`, `no_tax_at_grant`, `qualifying_transfer`, `not_wholly_related`.
    pub code: &'static str,
    pub met: bool,
    pub args: Vec<(&'static str, String)>,
    pub basis: Basis,
}

/// The facts a cash reward's treatment depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardFacts {
    /// The paying university is a non-profit unit (state-run, or registered non-profit).
    pub payer_non_profit: bool,
    pub mode: DistributionMode,
    pub contract_registered: bool,
    pub notice_completed: bool,
    /// When the conversion income was received.
    pub income_received_on: Option<Date>,
    /// When the reward is (or will be) paid.
    pub paid_on: Date,
}

/// How a reward is taxed for its recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardTax {
    pub form: RewardForm,
    pub amount: i64,
    /// Cash: the part counted into wages (fen). Equity: 0 at grant.
    pub taxable: i64,
    pub qualifies: bool,
    pub conditions: Vec<Condition>,
}

/// The same day `months` later (the last day of the month when it has fewer days).
pub fn add_months(day: Date, months: u32) -> Date {
    let total = day.year() * 12 + (day.month() as i32 - 1) + months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).unwrap_or(Month::December);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, day.day().min(last)).unwrap_or(day)
}

/// The tax treatment of one contributor's reward.
pub fn reward_tax(form: RewardForm, amount: i64, facts: &RewardFacts, rules: &TaxRules) -> RewardTax {
    match form {
        RewardForm::Equity => RewardTax {
            form,
            amount,
            taxable: 0,
            qualifies: true,
            conditions: vec![Condition {
                code: "no_tax_at_grant",
                met: true,
                args: vec![("rate", rules.dividend_rate.to_string())],
                basis: rules.dividend_basis.clone(),
            }],
        },
        RewardForm::Cash => {
            let deadline = facts.income_received_on.map(|d| add_months(d, rules.window_months));
            let conditions = vec![
                Condition {
                    code: "non_profit_payer",
                    met: facts.payer_non_profit,
                    args: vec![],
                    basis: rules.inclusion_basis.clone(),
                },
                Condition {
                    code: "transfer_or_licence",
                    met: facts.mode == DistributionMode::TransferLicence,
                    args: vec![],
                    basis: rules.inclusion_basis.clone(),
                },
                Condition {
                    code: "contract_registered",
                    met: facts.contract_registered,
                    args: vec![],
                    basis: rules.inclusion_basis.clone(),
                },
                Condition {
                    code: "notice_completed",
                    met: facts.notice_completed,
                    args: vec![],
                    basis: rules.inclusion_basis.clone(),
                },
                Condition {
                    code: "paid_within_window",
                    met: deadline.is_some_and(|d| facts.paid_on <= d),
                    args: vec![
                        ("months", rules.window_months.to_string()),
                        ("deadline", deadline.map(|d| d.to_string()).unwrap_or_else(|| "—".into())),
                    ],
                    basis: rules.window_basis.clone(),
                },
            ];
            let qualifies = conditions.iter().all(|c| c.met);
            let taxable = if qualifies {
                let share = i128::from(rules.inclusion.ppm());
                allocate(amount, &[share, 1_000_000 - share])[0]
            } else {
                amount
            };
            RewardTax { form, amount, taxable, qualifies, conditions }
        }
    }
}

/// An enterprise's technology-transfer income and how it is taxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseCase {
    /// Transfer income minus the transferred technology's cost and related taxes.
    pub income: Money,
    /// `None` for a transfer of ownership; the licence term in years for a licence.
    pub licence_years: Option<u32>,
    /// The buyer is wholly (100 %) related to the seller: no benefit.
    pub wholly_related: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseTax {
    pub income: Money,
    pub exempt: Money,
    pub excess: Money,
    pub taxable: Money,
    pub tax: Money,
    pub qualifies: bool,
    pub conditions: Vec<Condition>,
}

/// Enterprise income tax on technology-transfer income (企业所得税法实施条例 第九十条): up to
/// the threshold exempt, the excess taxed at half.
pub fn enterprise_tax(case: &EnterpriseCase, rules: &TaxRules) -> EnterpriseTax {
    let conditions = vec![
        Condition {
            code: "qualifying_transfer",
            met: case.licence_years.is_none_or(|y| y >= rules.licence_min_years),
            args: vec![("years", rules.licence_min_years.to_string())],
            basis: rules.licence_basis.clone(),
        },
        Condition {
            code: "not_wholly_related",
            met: !case.wholly_related,
            args: vec![],
            basis: rules.licence_basis.clone(),
        },
    ];
    let qualifies = conditions.iter().all(|c| c.met);
    let income = case.income.fen().max(0);
    let rate = |amount: i64, p: Percent| {
        let s = i128::from(p.ppm());
        allocate(amount, &[s, 1_000_000 - s])[0]
    };
    let (exempt, excess, taxable) = if qualifies {
        let exempt = income.min(rules.eit_threshold.fen());
        let excess = income - exempt;
        (exempt, excess, rate(excess, rules.eit_excess_share))
    } else {
        (0, income, income)
    };
    EnterpriseTax {
        income: Money::from_fen(income),
        exempt: Money::from_fen(exempt),
        excess: Money::from_fen(excess),
        taxable: Money::from_fen(taxable),
        tax: Money::from_fen(rate(taxable, rules.eit_rate)),
        qualifies,
        conditions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rules() -> TaxRules {
        let b = || Basis::new("r", None);
        TaxRules {
            inclusion: Percent::whole(50).unwrap(),
            inclusion_basis: b(),
            window_months: 36,
            window_basis: b(),
            dividend_rate: Percent::whole(20).unwrap(),
            dividend_basis: b(),
            eit_threshold: Money::yuan(5_000_000),
            eit_threshold_basis: b(),
            eit_excess_share: Percent::whole(50).unwrap(),
            eit_excess_basis: b(),
            eit_rate: Percent::whole(25).unwrap(),
            eit_rate_basis: b(),
            licence_min_years: 5,
            licence_basis: b(),
        }
    }

    fn facts() -> RewardFacts {
        RewardFacts {
            payer_non_profit: true,
            mode: DistributionMode::TransferLicence,
            contract_registered: true,
            notice_completed: true,
            income_received_on: Some(date!(2024 - 01 - 31)),
            paid_on: date!(2027 - 01 - 31),
        }
    }

    #[test]
    fn qualifying_cash_rewards_count_half() {
        let t = reward_tax(RewardForm::Cash, 100_001, &facts(), &rules());
        assert!(t.qualifies);
        assert_eq!(t.taxable, 50_001, "half, rounded half up");
        let late = RewardFacts { paid_on: date!(2027 - 02 - 01), ..facts() };
        let t = reward_tax(RewardForm::Cash, 100_000, &late, &rules());
        assert!(!t.qualifies && t.taxable == 100_000, "paid after 36 months: fully taxable");
        let unregistered = RewardFacts { contract_registered: false, ..facts() };
        assert!(!reward_tax(RewardForm::Cash, 1, &unregistered, &rules()).qualifies);
        let equity = RewardFacts { mode: DistributionMode::Equity, ..facts() };
        assert!(!reward_tax(RewardForm::Cash, 1, &equity, &rules()).qualifies);
        assert_eq!(reward_tax(RewardForm::Equity, 500, &facts(), &rules()).taxable, 0, "deferred");
    }

    #[test]
    fn month_arithmetic_keeps_the_day_or_the_month_end() {
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(date!(2024 - 11 - 15), 36), date!(2027 - 11 - 15));
        assert_eq!(add_months(date!(2024 - 12 - 01), 1), date!(2025 - 01 - 01));
    }

    #[test]
    fn enterprise_tax_exempts_five_million_and_halves_the_excess() {
        let case = EnterpriseCase { income: Money::yuan(8_000_000), licence_years: None, wholly_related: false };
        let t = enterprise_tax(&case, &rules());
        assert_eq!(t.exempt, Money::yuan(5_000_000));
        assert_eq!(t.taxable, Money::yuan(1_500_000));
        assert_eq!(t.tax, Money::yuan(375_000));
        let short = EnterpriseCase { licence_years: Some(3), ..case.clone() };
        let t = enterprise_tax(&short, &rules());
        assert!(!t.qualifies);
        assert_eq!(t.tax, Money::yuan(2_000_000));
        let small = EnterpriseCase { income: Money::yuan(3_000_000), ..case };
        assert_eq!(enterprise_tax(&small, &rules()).tax, Money::ZERO);
    }
}
