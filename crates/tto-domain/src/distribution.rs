//! Income distribution (收益分配): who gets what of a conversion's income, by which rule.
//!
//! The law (促进科技成果转化法 第四十四、四十五条) lets a signed agreement or the university's
//! published rule decide the contributors' reward; without either, the statute's default
//! applies; for state-run universities the agreement or rule may not go below the statutory
//! floor (50 % of net transfer/licence income, 50 % of equity, 5 % of operating profit for
//! 3–5 years). The TTO's reward follows measure 十一: per prior agreement, otherwise 5 %–15 % of
//! the technical-contract amount, or a third party's service fee instead.
//!
//! [`compute`] is pure and exact: amounts are integers (fen, or shares for the equity path),
//! every split uses largest-remainder rounding, and the lines always add up to the whole —
//! deductions + TTO reward + contributors + institution = gross. Every line and every step
//! names its rule.
//!
//! Decisions where the law leaves room (documented here, shown in the trail):
//! - A signed agreement below the floor of a state-run university is refused (the agreement
//!   is unlawful, 第四十五条第二款); a university rule below it is clamped up to the floor.
//! - The TTO reward is by default paid out of the university's share, so it never reduces
//!   the contributors' statutory base; a university rule may deduct it before net income
//!   instead.
//! - The reward pool's main contributors get at least the profile's share of the pool; when
//!   their shares fall short, theirs are raised proportionally and the others' lowered.

use crate::money::Money;
use crate::percent::Percent;
use crate::policy::Grade;
use crate::validation::{ValidationErrors, Violation, required_text};

code_enum! {
    /// The path of a distribution (促进科技成果转化法 第四十五条第一款).
    DistributionMode {
        /// Transfer or licence: cash out of net income.
        TransferLicence => "transfer_licence",
        /// Equity investment: shares instead of cash.
        Equity => "equity",
        /// Self- or co-implementation: a share of each year's operating profit.
        SelfImplementation => "self_implementation",
    }
}

code_enum! {
    /// Where the TTO reward comes from (a setting of the university's rule).
    TtoPosition {
        FromUniversityShare => "from_university_share",
        BeforeNetIncome => "before_net_income",
    }
}

code_enum! {
    RewardForm {
        Cash => "cash",
        Equity => "equity",
    }
}

code_enum! {
    /// Which rule set the contributors' share.
    ShareSource {
        Agreement => "agreement",
        UnitRule => "unit_rule",
        Statute => "statute",
    }
}

code_enum! {
    LineKind {
        Deduction => "deduction",
        TtoReward => "tto_reward",
        ServiceFee => "service_fee",
        Contributor => "contributor",
        Institution => "institution",
    }
}

code_enum! {
    /// What the amounts count: fen, or shares on the equity path.
    Unit {
        Fen => "fen",
        Shares => "shares",
    }
}

/// The rule behind a line or a step: its citation and, for rules of a policy profile, grade.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Basis {
    pub rule: String,
    pub grade: Option<Grade>,
}

impl Basis {
    pub fn new(rule: impl Into<String>, grade: Option<Grade>) -> Basis {
        Basis { rule: rule.into(), grade }
    }
}

/// The profile's numbers for a case (resolved for its date by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionRules {
    /// The statutory floor (and default) of the case's mode.
    pub floor: Percent,
    pub floor_basis: Basis,
    pub main_min: Percent,
    pub main_basis: Basis,
    pub tto_band: (Percent, Percent),
    pub tto_basis: Basis,
    pub deductible: Vec<String>,
    pub deductible_basis: Basis,
    pub fiscal_rd_not_cost: bool,
    pub fiscal_rd_basis: Basis,
    pub leader_notice: bool,
    pub leader_basis: Basis,
    /// Self-implementation: the reward runs for this many consecutive years (min, max).
    pub years: (u32, u32),
    pub years_basis: Basis,
}

/// The university's published rule (单位规定, 第四十四条).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRule {
    pub document: String,
    pub reward_share: Option<Percent>,
    pub tto_rate: Option<Percent>,
    pub tto_position: TtoPosition,
    pub years: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreedTto {
    /// Of the technical-contract amount (or of the shares, on the equity path).
    Rate(Percent),
    /// In the distribution's unit: fen, or shares on the equity path.
    Amount(i64),
}

/// A signed agreement with the contributors (including an empowerment agreement's split).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub reference: String,
    pub reward_share: Percent,
    pub tto: Option<AgreedTto>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TtoChoice {
    #[default]
    None,
    /// A rate within the band, of the technical-contract amount.
    Rate(Percent),
    /// A third party's service fee instead of the TTO reward.
    ServiceFee(Money),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    /// Share within the team (all recipients total 100 %).
    pub share: Percent,
    pub main: bool,
    /// A leader of the university (or of one of its units): the reward must be noticed.
    pub leader: bool,
    pub form: RewardForm,
}

/// A validated case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub mode: DistributionMode,
    pub state_run: bool,
    /// Income received (fen) or shares received; for self-implementation the sum of profits.
    pub gross: i64,
    pub deductions: Vec<(String, Money)>,
    /// The technical-contract amount (base of the TTO rate); on the equity path the rate
    /// applies to the shares.
    pub contract_amount: Option<Money>,
    pub recipients: Vec<Recipient>,
    pub agreement: Option<Agreement>,
    pub unit_rule: Option<UnitRule>,
    pub tto: TtoChoice,
    /// Self-implementation: (year, operating profit) so far.
    pub profits: Vec<(i32, Money)>,
    /// Self-implementation: the reward period in years (else the rule's, else the minimum).
    pub years: Option<u32>,
}

/// Raw input, as typed into a form or sent to the preview API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientDraft {
    pub name: String,
    pub share: String,
    pub main: bool,
    pub leader: bool,
    pub form: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementDraft {
    pub reference: String,
    pub reward_share: String,
    pub tto_rate: String,
    pub tto_amount: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitRuleDraft {
    pub document: String,
    pub reward_share: String,
    pub tto_rate: String,
    pub tto_position: String,
    pub years: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseDraft {
    pub mode: String,
    pub state_run: bool,
    pub gross: String,
    pub deductions: Vec<(String, String)>,
    pub contract_amount: String,
    pub recipients: Vec<RecipientDraft>,
    pub agreement: Option<AgreementDraft>,
    pub unit_rule: Option<UnitRuleDraft>,
    /// `none`, `rate`, `service_fee`.
    pub tto: String,
    pub tto_value: String,
    pub profits: Vec<(String, String)>,
    pub years: String,
}

fn rule(code: &'static str, detail: impl Into<String>) -> Violation {
    Violation::Rule { code, detail: detail.into() }
}

fn money_in(errors: &mut ValidationErrors, field: &str, raw: &str, required: bool) -> Option<Money> {
    if raw.trim().is_empty() {
        if required {
            errors.add(field, Violation::Required);
        }
        return None;
    }
    errors.collect(field, Money::parse(raw).and_then(Money::non_negative))
}

fn percent_in(errors: &mut ValidationErrors, field: &str, raw: &str, required: bool) -> Option<Percent> {
    if raw.trim().is_empty() {
        if required {
            errors.add(field, Violation::Required);
        }
        return None;
    }
    errors.collect(field, Percent::parse(raw))
}

fn whole_in(errors: &mut ValidationErrors, field: &str, raw: &str) -> Option<i64> {
    let t = raw.trim().replace(',', "");
    match t.parse::<i64>() {
        Ok(n) if n >= 0 => Some(n),
        Ok(_) => {
            errors.add(field, Violation::Negative);
            None
        }
        Err(_) => {
            errors.add(field, Violation::InvalidFormat { expected: "whole_number" });
            None
        }
    }
}

impl UnitRule {
    /// Checks a university rule: the TTO rate within the band (a rule is not an agreement).
    pub fn validate(
        d: &UnitRuleDraft,
        band: (Percent, Percent),
        band_rule: &str,
    ) -> Result<UnitRule, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let document = required_text(&mut errors, "unit_rule.document", &d.document, 300);
        let reward_share = percent_in(&mut errors, "unit_rule.reward_share", &d.reward_share, false);
        let tto_rate = percent_in(&mut errors, "unit_rule.tto_rate", &d.tto_rate, false);
        if let Some(r) = tto_rate
            && (r < band.0 || r > band.1)
        {
            errors.add("unit_rule.tto_rate", outside_band(band, band_rule));
        }
        let tto_position = if d.tto_position.trim().is_empty() {
            Some(TtoPosition::FromUniversityShare)
        } else {
            errors.collect("unit_rule.tto_position", TtoPosition::from_code(&d.tto_position))
        };
        let years = if d.years.trim().is_empty() {
            None
        } else {
            whole_in(&mut errors, "unit_rule.years", &d.years).map(|y| y as u32)
        };
        match (document, tto_position) {
            (Some(document), Some(tto_position)) if errors.is_empty() => {
                Ok(UnitRule { document, reward_share, tto_rate, tto_position, years })
            }
            _ => Err(errors),
        }
    }
}

fn outside_band(band: (Percent, Percent), rule: &str) -> Violation {
    Violation::Rule { code: "tto_rate_outside_band", detail: format!("{} – {} ({rule})", band.0, band.1) }
}

impl Case {
    /// Reads a draft; checks what needs no rules (formats, shares, required fields).
    pub fn validate(d: &CaseDraft, rules: &DistributionRules) -> Result<Case, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mode = errors.collect("mode", DistributionMode::from_code(&d.mode));
        let mut gross = match mode {
            Some(DistributionMode::Equity) => {
                if d.gross.trim().is_empty() {
                    errors.add("gross", Violation::Required);
                    None
                } else {
                    whole_in(&mut errors, "gross", &d.gross)
                }
            }
            Some(DistributionMode::SelfImplementation) => Some(0),
            _ => money_in(&mut errors, "gross", &d.gross, true).map(Money::fen),
        };
        let mut deductions = Vec::new();
        for (i, (category, amount)) in d.deductions.iter().enumerate() {
            if category.trim().is_empty() && amount.trim().is_empty() {
                continue;
            }
            let field = format!("deductions[{i}]");
            let category = category.trim().to_string();
            if mode == Some(DistributionMode::Equity) || mode == Some(DistributionMode::SelfImplementation) {
                errors.add(
                    format!("{field}.category"),
                    rule("deductions_not_applicable", "deductions apply to transfer and licence income"),
                );
                continue;
            }
            if category == "fiscal_rd" && rules.fiscal_rd_not_cost {
                errors.add(format!("{field}.category"), rule("fiscal_rd_not_cost", rules.fiscal_rd_basis.rule.clone()));
            } else if !rules.deductible.contains(&category) {
                errors.add(format!("{field}.category"), Violation::UnknownChoice { value: category.clone() });
            }
            if let Some(m) = money_in(&mut errors, &format!("{field}.amount"), amount, true) {
                deductions.push((category, m));
            }
        }
        let contract_amount = money_in(&mut errors, "contract_amount", &d.contract_amount, false);
        let mut recipients = Vec::new();
        for (i, r) in d.recipients.iter().enumerate() {
            let field = format!("recipients[{i}]");
            let name = required_text(&mut errors, &format!("{field}.name"), &r.name, 100);
            let share = percent_in(&mut errors, &format!("{field}.share"), &r.share, true);
            // The form follows the path: shares on the equity path, cash out of income or
            // profit otherwise (the tax view depends on it).
            let path_form = if mode == Some(DistributionMode::Equity) { RewardForm::Equity } else { RewardForm::Cash };
            let form = if r.form.trim().is_empty() {
                Some(path_form)
            } else {
                match errors.collect(format!("{field}.form"), RewardForm::from_code(&r.form)) {
                    Some(f) if mode.is_some() && f != path_form => {
                        errors.add(format!("{field}.form"), Violation::UnknownChoice { value: f.code().to_string() });
                        None
                    }
                    other => other,
                }
            };
            if let (Some(name), Some(share), Some(form)) = (name, share, form) {
                recipients.push(Recipient { name, share, main: r.main, leader: r.leader, form });
            }
        }
        if d.recipients.is_empty() {
            errors.add("recipients", Violation::Required);
        } else if recipients.len() == d.recipients.len() {
            let total = crate::percent::total(recipients.iter().map(|r| r.share));
            if total != rust_decimal::Decimal::ONE_HUNDRED {
                errors.add("recipients", Violation::SharesNotHundred { total: total.normalize().to_string() });
            }
            if !recipients.iter().any(|r| r.main) {
                errors.add("recipients", rule("main_contributor_required", "mark at least one main contributor"));
            }
            let mut names = std::collections::BTreeSet::new();
            if let Some(r) = recipients.iter().find(|r| !names.insert(r.name.clone())) {
                errors.add("recipients", Violation::Duplicate { value: r.name.clone() });
            }
        }
        let agreement = d.agreement.as_ref().and_then(|a| {
            let reference = required_text(&mut errors, "agreement.reference", &a.reference, 300);
            let reward_share = percent_in(&mut errors, "agreement.reward_share", &a.reward_share, true);
            let rate = percent_in(&mut errors, "agreement.tto_rate", &a.tto_rate, false);
            // An agreed amount is in the distribution's unit: yuan, or whole shares on the
            // equity path.
            let amount = if mode == Some(DistributionMode::Equity) && !a.tto_amount.trim().is_empty() {
                whole_in(&mut errors, "agreement.tto_amount", &a.tto_amount)
            } else {
                money_in(&mut errors, "agreement.tto_amount", &a.tto_amount, false).map(Money::fen)
            };
            let tto = match (rate, amount) {
                (Some(r), None) => Some(AgreedTto::Rate(r)),
                (None, Some(m)) => Some(AgreedTto::Amount(m)),
                (None, None) => None,
                (Some(_), Some(_)) => {
                    errors.add(
                        "agreement.tto_amount",
                        rule("rate_or_amount", "give the TTO rate or an amount, not both"),
                    );
                    None
                }
            };
            Some(Agreement { reference: reference?, reward_share: reward_share?, tto })
        });
        let unit_rule =
            d.unit_rule.as_ref().and_then(|u| match UnitRule::validate(u, rules.tto_band, &rules.tto_basis.rule) {
                Ok(u) => Some(u),
                Err(e) => {
                    errors.errors.extend(e.errors);
                    None
                }
            });
        let tto = match d.tto.trim() {
            "" | "none" => TtoChoice::None,
            "rate" => percent_in(&mut errors, "tto_value", &d.tto_value, true).map(TtoChoice::Rate).unwrap_or_default(),
            "service_fee" => {
                money_in(&mut errors, "tto_value", &d.tto_value, true).map(TtoChoice::ServiceFee).unwrap_or_default()
            }
            other => {
                errors.add("tto", Violation::UnknownChoice { value: other.to_string() });
                TtoChoice::None
            }
        };
        let mut profits = Vec::new();
        if mode == Some(DistributionMode::SelfImplementation) {
            for (i, (year, profit)) in d.profits.iter().enumerate() {
                if year.trim().is_empty() && profit.trim().is_empty() {
                    continue;
                }
                let field = format!("profits[{i}]");
                let y = match year.trim().parse::<i32>() {
                    Ok(y) if (1990..=2200).contains(&y) => Some(y),
                    _ => {
                        errors.add(format!("{field}.year"), Violation::InvalidFormat { expected: "year" });
                        None
                    }
                };
                let p = money_in(&mut errors, &format!("{field}.profit"), profit, true);
                if let (Some(y), Some(p)) = (y, p) {
                    profits.push((y, p));
                }
            }
            if profits.is_empty() && !errors.errors.iter().any(|e| e.field.starts_with("profits")) {
                errors.add("profits", Violation::Required);
            }
            profits.sort_by_key(|(y, _)| *y);
            if profits.windows(2).any(|w| w[1].0 != w[0].0 + 1) {
                errors.add("profits", rule("years_not_consecutive", "the years must follow each other"));
            }
            gross = Some(profits.iter().map(|(_, p)| p.fen()).sum());
        }
        let years =
            if d.years.trim().is_empty() { None } else { whole_in(&mut errors, "years", &d.years).map(|y| y as u32) };
        match (mode, gross) {
            (Some(mode), Some(gross)) if errors.is_empty() => Ok(Case {
                mode,
                state_run: d.state_run,
                gross,
                deductions,
                contract_amount,
                recipients,
                agreement,
                unit_rule,
                tto,
                profits,
                years,
            }),
            _ => Err(errors),
        }
    }
}

/// One line of the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub recipient: String,
    /// Fen, or shares on the equity path.
    pub amount: i64,
    /// Self-implementation: the profit year.
    pub year: Option<i32>,
    pub category: Option<String>,
    pub main: bool,
    pub leader: bool,
    pub form: Option<RewardForm>,
    pub basis: Basis,
}

/// A value in a step's explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// In the distribution's unit.
    Amount(i64),
    Percent(Percent),
    Text(String),
}

/// One step of the reasoning trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `net_income`, `share_from_agreement`, `share_from_unit_rule`, `share_from_statute`,
    /// `clamped_to_floor`, `main_raised`, `tto_by_agreement`, `tto_rate`, `tto_service_fee`,
    /// `no_tto_reward`, `tto_before_net_income`, `tto_from_university_share`, `pool`,
    /// `leader_notice`, `institution_remainder`, `self_implementation_years`, `rounding`.
    pub code: &'static str,
    pub args: Vec<(&'static str, Arg)>,
    pub basis: Basis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    pub mode: DistributionMode,
    pub unit: Unit,
    pub gross: i64,
    pub net: i64,
    pub reward_share: Percent,
    pub share_source: ShareSource,
    pub pool: i64,
    pub tto: i64,
    pub institution: i64,
    pub lines: Vec<Line>,
    pub trail: Vec<Step>,
    /// A leader is rewarded: the rewards must be publicly noticed first.
    pub notice_required: bool,
}

/// Splits `total` in proportion to `weights`, exactly: each part is rounded down, and the
/// units left over go to the largest remainders (earlier parts first on ties).
pub fn allocate(total: i64, weights: &[i128]) -> Vec<i64> {
    let sum: i128 = weights.iter().sum();
    if weights.is_empty() || sum <= 0 {
        return vec![0; weights.len()];
    }
    let total = i128::from(total);
    let mut parts: Vec<i64> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = total * w;
        parts.push((exact / sum) as i64);
        remainders.push((exact % sum, i));
    }
    let spare = total - parts.iter().map(|p| i128::from(*p)).sum::<i128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders.into_iter().take(spare.max(0) as usize) {
        parts[i] += 1;
    }
    parts
}

const WHOLE: i128 = 1_000_000;

/// `amount × rate`, rounded half up (for single amounts such as the TTO reward).
fn apply_rate(amount: i64, rate: Percent) -> i64 {
    allocate(amount, &[i128::from(rate.ppm()), WHOLE - i128::from(rate.ppm())])[0]
}

/// Computes a distribution. Errors name the field and the rule.
pub fn compute(case: &Case, rules: &DistributionRules) -> Result<Distribution, ValidationErrors> {
    let unit = if case.mode == DistributionMode::Equity { Unit::Shares } else { Unit::Fen };
    let mut trail = Vec::new();
    let mut errors = ValidationErrors::new();

    // 1. The contributors' share: agreement → university rule → statute, floor for state-run.
    let (share, source) = match (&case.agreement, case.unit_rule.as_ref().and_then(|u| u.reward_share.map(|s| (u, s))))
    {
        (Some(a), _) => {
            if case.state_run && a.reward_share < rules.floor {
                errors.add(
                    "agreement.reward_share",
                    Violation::BelowPolicyMinimum {
                        minimum: rules.floor.to_string(),
                        unit: "percent",
                        rule: rules.floor_basis.rule.clone(),
                    },
                );
            }
            trail.push(Step {
                code: "share_from_agreement",
                args: vec![("share", Arg::Percent(a.reward_share)), ("reference", Arg::Text(a.reference.clone()))],
                basis: Basis::new(format!("{} · 促进科技成果转化法 第四十四条", a.reference), None),
            });
            (a.reward_share, ShareSource::Agreement)
        }
        (None, Some((u, s))) => {
            trail.push(Step {
                code: "share_from_unit_rule",
                args: vec![("share", Arg::Percent(s)), ("document", Arg::Text(u.document.clone()))],
                basis: Basis::new(format!("{} · 促进科技成果转化法 第四十四条", u.document), None),
            });
            if case.state_run && s < rules.floor {
                trail.push(Step {
                    code: "clamped_to_floor",
                    args: vec![("from", Arg::Percent(s)), ("to", Arg::Percent(rules.floor))],
                    basis: rules.floor_basis.clone(),
                });
                (rules.floor, ShareSource::UnitRule)
            } else {
                (s, ShareSource::UnitRule)
            }
        }
        (None, None) => {
            trail.push(Step {
                code: "share_from_statute",
                args: vec![("share", Arg::Percent(rules.floor))],
                basis: rules.floor_basis.clone(),
            });
            (rules.floor, ShareSource::Statute)
        }
    };

    // Main contributors' minimum share of the pool.
    let main_total: i128 = case.recipients.iter().filter(|r| r.main).map(|r| i128::from(r.share.ppm())).sum();
    let min = i128::from(rules.main_min.ppm());
    let weights: Vec<i128> = if main_total < min && main_total < WHOLE {
        trail.push(Step {
            code: "main_raised",
            args: vec![
                ("from", Arg::Percent(Percent::from_ppm(main_total as i64).unwrap_or(Percent::ZERO))),
                ("to", Arg::Percent(rules.main_min)),
            ],
            basis: rules.main_basis.clone(),
        });
        case.recipients
            .iter()
            .map(|r| {
                let s = i128::from(r.share.ppm());
                if r.main { s * min * (WHOLE - main_total) } else { s * (WHOLE - min) * main_total }
            })
            .collect()
    } else {
        case.recipients.iter().map(|r| i128::from(r.share.ppm())).collect()
    };
    let tto_position = case.unit_rule.as_ref().map(|u| u.tto_position).unwrap_or(TtoPosition::FromUniversityShare);

    if case.mode == DistributionMode::SelfImplementation {
        return self_implementation(case, rules, share, source, &weights, trail, errors);
    }

    // 2. Net income.
    let deducted: i64 = case.deductions.iter().map(|(_, m)| m.fen()).sum();
    let mut net = case.gross - deducted;
    if net < 0 {
        errors.add("deductions", rule("deductions_exceed_income", Money::from_fen(case.gross).to_string()));
    }
    if unit == Unit::Fen {
        trail.push(Step {
            code: "net_income",
            args: vec![
                ("gross", Arg::Amount(case.gross)),
                ("deductions", Arg::Amount(deducted)),
                ("net", Arg::Amount(net)),
            ],
            basis: rules.deductible_basis.clone(),
        });
    }

    // 3. The TTO reward (measure 十一).
    let mut tto_kind = LineKind::TtoReward;
    let (tto, tto_basis) = match (&case.agreement, case.tto) {
        (Some(Agreement { tto: Some(t), reference, .. }), _) => {
            let amount = match *t {
                AgreedTto::Amount(a) => a,
                AgreedTto::Rate(r) => match (unit, case.contract_amount) {
                    (Unit::Shares, _) => apply_rate(case.gross, r),
                    (Unit::Fen, Some(c)) => apply_rate(c.fen(), r),
                    (Unit::Fen, None) => {
                        errors.add("contract_amount", Violation::Required);
                        0
                    }
                },
            };
            let basis = Basis::new(format!("{reference} · {}", rules.tto_basis.rule), rules.tto_basis.grade);
            trail.push(Step {
                code: "tto_by_agreement",
                args: vec![("amount", Arg::Amount(amount))],
                basis: basis.clone(),
            });
            (amount, basis)
        }
        (_, TtoChoice::ServiceFee(fee)) => {
            if unit == Unit::Shares {
                errors.add("tto", rule("service_fee_in_cash", "a service fee is paid in cash, not from the shares"));
            }
            tto_kind = LineKind::ServiceFee;
            trail.push(Step {
                code: "tto_service_fee",
                args: vec![("amount", Arg::Amount(fee.fen()))],
                basis: rules.tto_basis.clone(),
            });
            (fee.fen(), rules.tto_basis.clone())
        }
        (_, choice) => {
            let rate = match choice {
                TtoChoice::Rate(r) => Some(r),
                _ => case.unit_rule.as_ref().and_then(|u| u.tto_rate),
            };
            match rate {
                None => {
                    trail.push(Step { code: "no_tto_reward", args: vec![], basis: rules.tto_basis.clone() });
                    (0, rules.tto_basis.clone())
                }
                Some(r) => {
                    if r < rules.tto_band.0 || r > rules.tto_band.1 {
                        errors.add("tto_value", outside_band(rules.tto_band, &rules.tto_basis.rule));
                    }
                    let base = match (unit, case.contract_amount) {
                        (Unit::Shares, _) => Some(case.gross),
                        (Unit::Fen, Some(c)) => Some(c.fen()),
                        (Unit::Fen, None) => {
                            errors.add("contract_amount", Violation::Required);
                            None
                        }
                    };
                    let amount = base.map(|b| apply_rate(b, r)).unwrap_or(0);
                    trail.push(Step {
                        code: "tto_rate",
                        args: vec![
                            ("rate", Arg::Percent(r)),
                            ("base", Arg::Amount(base.unwrap_or(0))),
                            ("amount", Arg::Amount(amount)),
                            ("min", Arg::Percent(rules.tto_band.0)),
                            ("max", Arg::Percent(rules.tto_band.1)),
                        ],
                        basis: rules.tto_basis.clone(),
                    });
                    (amount, rules.tto_basis.clone())
                }
            }
        }
    };
    let position_basis = case
        .unit_rule
        .as_ref()
        .map(|u| Basis::new(u.document.clone(), None))
        .unwrap_or_else(|| Basis::new("tto default: paid out of the university's share", None));
    let base = match tto_position {
        TtoPosition::BeforeNetIncome if tto > 0 => {
            trail.push(Step {
                code: "tto_before_net_income",
                args: vec![("amount", Arg::Amount(tto))],
                basis: position_basis,
            });
            net - tto
        }
        _ => {
            if tto > 0 {
                trail.push(Step { code: "tto_from_university_share", args: vec![], basis: position_basis });
            }
            net
        }
    };
    if base < 0 {
        errors.add("tto_value", rule("tto_exceeds_income", "the TTO reward is larger than the net income"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // 4. The reward pool and its split.
    let pool = allocate(base, &[i128::from(share.ppm()), WHOLE - i128::from(share.ppm())])[0];
    trail.push(Step {
        code: "pool",
        args: vec![("base", Arg::Amount(base)), ("share", Arg::Percent(share)), ("pool", Arg::Amount(pool))],
        basis: share_basis(case, rules, source),
    });
    let shares = allocate(pool, &weights);
    let institution = net - pool - tto;
    if institution < 0 {
        return Err(ValidationErrors::single(
            "tto_value",
            rule(
                "tto_exceeds_remainder",
                if unit == Unit::Shares { (net - pool).to_string() } else { Money::from_fen(net - pool).to_string() },
            ),
        ));
    }
    net = net.max(0);
    let share_basis = share_basis(case, rules, source);
    let mut lines: Vec<Line> = case
        .deductions
        .iter()
        .map(|(category, m)| Line {
            kind: LineKind::Deduction,
            recipient: category.clone(),
            amount: m.fen(),
            year: None,
            category: Some(category.clone()),
            main: false,
            leader: false,
            form: None,
            basis: rules.deductible_basis.clone(),
        })
        .collect();
    if tto > 0 {
        lines.push(Line {
            kind: tto_kind,
            recipient: String::new(),
            amount: tto,
            year: None,
            category: None,
            main: false,
            leader: false,
            form: None,
            basis: tto_basis,
        });
    }
    for (r, amount) in case.recipients.iter().zip(shares) {
        lines.push(contributor_line(r, amount, None, &share_basis, rules));
    }
    lines.push(Line {
        kind: LineKind::Institution,
        recipient: String::new(),
        amount: institution,
        year: None,
        category: None,
        main: false,
        leader: false,
        form: None,
        basis: Basis::new("促进科技成果转化法 第四十三条", Some(Grade::A)),
    });
    trail.push(Step {
        code: "institution_remainder",
        args: vec![("amount", Arg::Amount(institution))],
        basis: Basis::new("促进科技成果转化法 第四十三条", Some(Grade::A)),
    });
    let notice_required = leader_notice(case, rules, &mut trail);
    Ok(Distribution {
        mode: case.mode,
        unit,
        gross: case.gross,
        net,
        reward_share: share,
        share_source: source,
        pool,
        tto,
        institution,
        lines,
        trail,
        notice_required,
    })
}

fn share_basis(case: &Case, rules: &DistributionRules, source: ShareSource) -> Basis {
    match source {
        ShareSource::Agreement => {
            let r = case.agreement.as_ref().map(|a| a.reference.clone()).unwrap_or_default();
            Basis::new(format!("{r} · 促进科技成果转化法 第四十四条"), None)
        }
        ShareSource::UnitRule => {
            let d = case.unit_rule.as_ref().map(|u| u.document.clone()).unwrap_or_default();
            Basis::new(format!("{d} · 促进科技成果转化法 第四十四条"), None)
        }
        ShareSource::Statute => rules.floor_basis.clone(),
    }
}

fn contributor_line(r: &Recipient, amount: i64, year: Option<i32>, basis: &Basis, rules: &DistributionRules) -> Line {
    Line {
        kind: LineKind::Contributor,
        recipient: r.name.clone(),
        amount,
        year,
        category: None,
        main: r.main,
        leader: r.leader,
        form: Some(r.form),
        basis: if r.main {
            Basis::new(format!("{} · {}", basis.rule, rules.main_basis.rule), basis.grade)
        } else {
            basis.clone()
        },
    }
}

fn leader_notice(case: &Case, rules: &DistributionRules, trail: &mut Vec<Step>) -> bool {
    let leaders: Vec<String> = case.recipients.iter().filter(|r| r.leader).map(|r| r.name.clone()).collect();
    if leaders.is_empty() {
        return false;
    }
    trail.push(Step {
        code: "leader_notice",
        args: vec![("names", Arg::Text(leaders.join("、")))],
        basis: rules.leader_basis.clone(),
    });
    rules.leader_notice
}

fn self_implementation(
    case: &Case,
    rules: &DistributionRules,
    share: Percent,
    source: ShareSource,
    weights: &[i128],
    mut trail: Vec<Step>,
    mut errors: ValidationErrors,
) -> Result<Distribution, ValidationErrors> {
    let years = case.years.or_else(|| case.unit_rule.as_ref().and_then(|u| u.years)).unwrap_or(rules.years.0);
    if case.state_run && (years < rules.years.0 || years > rules.years.1) {
        errors.add(
            "years",
            rule("years_outside_range", format!("{}–{} ({})", rules.years.0, rules.years.1, rules.years_basis.rule)),
        );
    }
    if case.profits.len() as u32 > years {
        errors.add("profits", rule("more_years_than_period", years.to_string()));
    }
    if case.tto != TtoChoice::None || case.agreement.as_ref().is_some_and(|a| a.tto.is_some()) {
        errors.add("tto", rule("tto_not_applicable", "self-implementation has no technical-contract amount"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    trail.push(Step {
        code: "self_implementation_years",
        args: vec![("years", Arg::Text(years.to_string())), ("share", Arg::Percent(share))],
        basis: rules.years_basis.clone(),
    });
    let basis = share_basis(case, rules, source);
    let mut lines = Vec::new();
    let (mut pool, mut institution) = (0, 0);
    for (year, profit) in &case.profits {
        let year_pool = allocate(profit.fen(), &[i128::from(share.ppm()), WHOLE - i128::from(share.ppm())])[0];
        trail.push(Step {
            code: "pool",
            args: vec![
                ("base", Arg::Amount(profit.fen())),
                ("share", Arg::Percent(share)),
                ("pool", Arg::Amount(year_pool)),
                ("year", Arg::Text(year.to_string())),
            ],
            basis: basis.clone(),
        });
        for (r, amount) in case.recipients.iter().zip(allocate(year_pool, weights)) {
            lines.push(contributor_line(r, amount, Some(*year), &basis, rules));
        }
        lines.push(Line {
            kind: LineKind::Institution,
            recipient: String::new(),
            amount: profit.fen() - year_pool,
            year: Some(*year),
            category: None,
            main: false,
            leader: false,
            form: None,
            basis: Basis::new("促进科技成果转化法 第四十三条", Some(Grade::A)),
        });
        pool += year_pool;
        institution += profit.fen() - year_pool;
    }
    let notice_required = leader_notice(case, rules, &mut trail);
    Ok(Distribution {
        mode: case.mode,
        unit: Unit::Fen,
        gross: case.gross,
        net: case.gross,
        reward_share: share,
        share_source: source,
        pool,
        tto: 0,
        institution,
        lines,
        trail,
        notice_required,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pct(s: &str) -> Percent {
        Percent::parse(s).unwrap()
    }

    fn basis(r: &str) -> Basis {
        Basis::new(r, Some(Grade::A))
    }

    pub(crate) fn rules(floor: &str) -> DistributionRules {
        DistributionRules {
            floor: pct(floor),
            floor_basis: basis("促进科技成果转化法 第四十五条"),
            main_min: pct("50"),
            main_basis: basis("国发〔2016〕16号"),
            tto_band: (pct("5"), pct("15")),
            tto_basis: basis("措施（十一）"),
            deductible: vec!["transaction_taxes".into(), "maintenance_fees".into()],
            deductible_basis: basis("北京条例 第十二条"),
            fiscal_rd_not_cost: true,
            fiscal_rd_basis: basis("浙江条例 第三十七条"),
            leader_notice: true,
            leader_basis: basis("国科发政〔2018〕103号"),
            years: (3, 5),
            years_basis: basis("第四十五条第一款第（三）项"),
        }
    }

    fn recipient(name: &str, share: &str, main: bool) -> Recipient {
        Recipient { name: name.into(), share: pct(share), main, leader: false, form: RewardForm::Cash }
    }

    fn case(gross: i64) -> Case {
        Case {
            mode: DistributionMode::TransferLicence,
            state_run: true,
            gross,
            deductions: vec![],
            contract_amount: Some(Money::from_fen(gross)),
            recipients: vec![recipient("张伟", "60", true), recipient("李娜", "40", false)],
            agreement: None,
            unit_rule: None,
            tto: TtoChoice::None,
            profits: vec![],
            years: None,
        }
    }

    fn amount(d: &Distribution, kind: LineKind, who: &str) -> i64 {
        d.lines.iter().filter(|l| l.kind == kind && l.recipient == who).map(|l| l.amount).sum()
    }

    #[test]
    fn statute_default_with_tto_from_the_university_share() {
        let mut c = case(100_000_000);
        c.deductions = vec![("transaction_taxes".into(), Money::yuan(60_000))];
        c.tto = TtoChoice::Rate(pct("10"));
        let d = compute(&c, &rules("50")).unwrap();
        assert_eq!(d.net, 94_000_000);
        assert_eq!(d.pool, 47_000_000);
        assert_eq!(d.tto, 10_000_000);
        assert_eq!(amount(&d, LineKind::Contributor, "张伟"), 28_200_000);
        assert_eq!(amount(&d, LineKind::Contributor, "李娜"), 18_800_000);
        assert_eq!(d.institution, 37_000_000);
        assert_eq!(d.lines.iter().map(|l| l.amount).sum::<i64>(), d.gross);
        assert_eq!(d.share_source, ShareSource::Statute);
        assert!(d.lines.iter().all(|l| !l.basis.rule.is_empty()), "every line names its rule");
    }

    #[test]
    fn agreements_below_the_floor_are_refused_rules_are_clamped() {
        let mut c = case(1_000_000);
        c.agreement = Some(Agreement { reference: "协议 2026-1".into(), reward_share: pct("40"), tto: None });
        let e = compute(&c, &rules("50")).unwrap_err();
        assert_eq!(e.errors[0].field, "agreement.reward_share");
        assert_eq!(e.errors[0].violation.code(), "below_policy_minimum");
        c.state_run = false;
        assert_eq!(compute(&c, &rules("50")).unwrap().pool, 400_000, "a private university's agreement prevails");
        let mut c = case(1_000_000);
        c.unit_rule = Some(UnitRule {
            document: "某校办法".into(),
            reward_share: Some(pct("40")),
            tto_rate: None,
            tto_position: TtoPosition::FromUniversityShare,
            years: None,
        });
        let d = compute(&c, &rules("50")).unwrap();
        assert_eq!(d.pool, 500_000);
        assert!(d.trail.iter().any(|s| s.code == "clamped_to_floor"));
    }

    #[test]
    fn main_contributors_get_their_minimum_of_the_pool() {
        let mut c = case(1_000_000);
        c.recipients = vec![recipient("甲", "30", true), recipient("乙", "70", false)];
        let d = compute(&c, &rules("50")).unwrap();
        assert_eq!(amount(&d, LineKind::Contributor, "甲"), 250_000);
        assert_eq!(amount(&d, LineKind::Contributor, "乙"), 250_000);
        assert!(d.trail.iter().any(|s| s.code == "main_raised"));
    }

    #[test]
    fn tto_rate_outside_the_band_needs_an_agreement() {
        let mut c = case(1_000_000);
        c.tto = TtoChoice::Rate(pct("20"));
        assert_eq!(compute(&c, &rules("50")).unwrap_err().errors[0].violation.code(), "tto_rate_outside_band");
        c.agreement = Some(Agreement {
            reference: "协议".into(),
            reward_share: pct("70"),
            tto: Some(AgreedTto::Rate(pct("20"))),
        });
        let d = compute(&c, &rules("50")).unwrap();
        assert_eq!(d.tto, 200_000);
        assert_eq!(d.pool, 700_000);
        assert_eq!(d.institution, 100_000);
    }

    #[test]
    fn equity_and_self_implementation_paths() {
        let mut c = case(1_001);
        c.mode = DistributionMode::Equity;
        c.contract_amount = None;
        let d = compute(&c, &rules("50")).unwrap();
        assert_eq!(d.unit, Unit::Shares);
        assert_eq!(d.pool, 501, "half of 1,001 shares, the odd share to the pool");
        assert_eq!(amount(&d, LineKind::Contributor, "张伟") + amount(&d, LineKind::Contributor, "李娜"), 501);
        let mut c = case(0);
        c.mode = DistributionMode::SelfImplementation;
        c.contract_amount = None;
        c.profits = vec![(2025, Money::yuan(2_000_000)), (2026, Money::yuan(3_000_000))];
        c.gross = 500_000_000;
        let d = compute(&c, &rules("5")).unwrap();
        assert_eq!(d.pool, 25_000_000);
        assert_eq!(
            d.lines
                .iter()
                .filter(|l| l.year == Some(2026) && l.kind == LineKind::Contributor)
                .map(|l| l.amount)
                .sum::<i64>(),
            15_000_000
        );
        c.years = Some(6);
        assert_eq!(compute(&c, &rules("5")).unwrap_err().errors[0].violation.code(), "years_outside_range");
    }

    #[test]
    fn largest_remainder_loses_no_unit() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(allocate(10, &[333_333, 333_333, 333_334]), vec![3, 3, 4]);
        assert_eq!(allocate(0, &[1, 2]), vec![0, 0]);
    }

    proptest! {
        #[test]
        fn lines_always_add_up_and_floors_hold(
            gross in 0i64..10_000_000_000,
            deduction in 0i64..1_000_000_000,
            shares in proptest::collection::vec(1u32..1000, 1..8),
            main_count in 1usize..8,
            rate in 5u32..=15,
            agreed in 50u32..=100,
            with_agreement in any::<bool>(),
            before_net in any::<bool>(),
        ) {
            prop_assume!(deduction <= gross);
            // Shares (in ppm) totalling exactly 100 %.
            let total: u64 = shares.iter().map(|s| u64::from(*s)).sum();
            let mut ppm: Vec<i64> = shares.iter().map(|s| (u64::from(*s) * 1_000_000 / total) as i64).collect();
            let rest = 1_000_000 - ppm.iter().sum::<i64>();
            ppm[0] += rest;
            let recipients: Vec<Recipient> = ppm
                .iter()
                .enumerate()
                .map(|(i, p)| Recipient {
                    name: format!("r{i}"),
                    share: Percent::from_ppm(*p * 100 / 100).unwrap(),
                    main: i < main_count,
                    leader: false,
                    form: RewardForm::Cash,
                })
                .collect();
            let c = Case {
                mode: DistributionMode::TransferLicence,
                state_run: true,
                gross,
                deductions: vec![("transaction_taxes".into(), Money::from_fen(deduction))],
                contract_amount: Some(Money::from_fen(gross / 10)),
                recipients,
                agreement: with_agreement.then(|| Agreement { reference: "a".into(), reward_share: Percent::whole(agreed as u8).unwrap(), tto: None }),
                unit_rule: Some(UnitRule {
                    document: "u".into(),
                    reward_share: None,
                    tto_rate: None,
                    tto_position: if before_net { TtoPosition::BeforeNetIncome } else { TtoPosition::FromUniversityShare },
                    years: None,
                }),
                tto: TtoChoice::Rate(Percent::whole(rate as u8).unwrap()),
                profits: vec![],
                years: None,
            };
            let r = rules("50");
            match compute(&c, &r) {
                Ok(d) => {
                    prop_assert_eq!(d.lines.iter().map(|l| l.amount).sum::<i64>(), gross);
                    prop_assert!(d.lines.iter().all(|l| l.amount >= 0));
                    let base = if before_net { d.net - d.tto } else { d.net };
                    // The pool is at least the floor of its base (rounded half up).
                    prop_assert!(i128::from(d.pool) * 2 + 1 >= i128::from(base));
                    let contributors: i64 = d.lines.iter().filter(|l| l.kind == LineKind::Contributor).map(|l| l.amount).sum();
                    prop_assert_eq!(contributors, d.pool);
                    let main: i64 = d.lines.iter().filter(|l| l.kind == LineKind::Contributor && l.main).map(|l| l.amount).sum();
                    prop_assert!(i128::from(main) * 2 + d.recipients_len() as i128 >= i128::from(d.pool));
                }
                Err(e) => {
                    // The only refusal left: the TTO reward larger than what remains.
                    prop_assert!(e.errors.iter().all(|f| f.field == "tto_value"), "{:?}", e);
                }
            }
        }
    }

    impl Distribution {
        fn recipients_len(&self) -> usize {
            self.lines.iter().filter(|l| l.kind == LineKind::Contributor).count()
        }
    }
}
