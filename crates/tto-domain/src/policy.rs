//! Policy profiles: every number that comes from law or policy, with its source.
//!
//! A [`PolicyProfile`] is a versioned, dated set of [`Parameter`]s for one jurisdiction
//! (`CN` national, `CN-TJ` Tianjin, …). A profile may extend another (Tianjin extends the
//! national profile); a parameter not set in a profile is looked up in the one it extends.
//! A parameter may carry its own effective period, so a rule that changes on a date (the
//! VAT exemption of technical contracts on 2026-01-01) is two entries of one key.
//! Every parameter has a source document and a confidence grade (A statute read, B faithful
//! copy, C secondary, U unverified); grade-U values are shown as "needs confirmation".
//!
//! The keys are code ([`ParamKey`]), because code consumes them; the values are data.

use std::collections::BTreeSet;
use std::fmt;

use rust_decimal::Decimal;
use time::Date;

use crate::money::Money;
use crate::percent::{self, Percent};
use crate::period::{Period, parse_date};
use crate::validation::{ValidationErrors, Violation};

code_enum! {
    /// Confidence in a parameter's value (policy/rules.md "How to read this file").
    Grade {
        A => "A",
        B => "B",
        C => "C",
        U => "U",
    }
}

impl Grade {
    /// Grade-U values are unverified: shown with a "needs confirmation" badge.
    pub fn needs_confirmation(self) -> bool {
        self == Grade::U
    }
}

code_enum! {
    /// The shape of a parameter's value.
    ValueKind {
        Percent => "percent",
        PercentRange => "percent_range",
        Money => "money",
        Days => "days",
        WorkingDays => "working_days",
        Months => "months",
        Years => "years",
        YearsRange => "years_range",
        Count => "count",
        Flag => "flag",
        Weights => "weights",
        Categories => "categories",
        Brackets => "brackets",
    }
}

macro_rules! param_keys {
    ($($variant:ident => ($code:literal, $kind:ident)),+ $(,)?) => {
        /// Every parameter the platform consumes. Adding a rule means adding a key here and
        /// its value, source and grade to the profile files.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ParamKey { $($variant),+ }

        impl ParamKey {
            pub const ALL: &'static [ParamKey] = &[$(ParamKey::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $(ParamKey::$variant => $code),+ }
            }

            pub fn kind(self) -> ValueKind {
                match self { $(ParamKey::$variant => ValueKind::$kind),+ }
            }

            pub fn from_code(code: &str) -> Result<ParamKey, Violation> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|k| k.code() == code.trim())
                    .ok_or_else(|| Violation::UnknownChoice { value: code.to_string() })
            }
        }
    };
}

param_keys! {
    RewardFloorTransferLicence => ("reward.floor.transfer_licence", Percent),
    RewardFloorEquity => ("reward.floor.equity", Percent),
    RewardFloorSelfImplementation => ("reward.floor.self_implementation", Percent),
    RewardSelfImplementationYears => ("reward.self_implementation.years", YearsRange),
    RewardMainContributorsMinShare => ("reward.main_contributors.min_share_of_pool", Percent),
    RewardLeaderNoticeRequired => ("reward.leader.notice_required", Flag),
    PatentBonusInvention => ("patent.bonus.invention", Money),
    PatentBonusUtilityOrDesign => ("patent.bonus.utility_or_design", Money),
    PatentBonusDeadline => ("patent.bonus.deadline", Months),
    PatentTermInvention => ("patent.term.invention", Years),
    PatentTermUtilityModel => ("patent.term.utility_model", Years),
    PatentTermDesign => ("patent.term.design", Years),
    IpAnnuityReminderDays => ("ip.annuity.reminder_days", Days),
    EvaluationPrefilingWeights => ("evaluation.prefiling.weights", Weights),
    EvaluationScaleMax => ("evaluation.scale_max", Count),
    MonitoringStallMonths => ("monitoring.stall_months", Months),
    NetIncomeDeductibleCategories => ("net_income.deductible_categories", Categories),
    NetIncomeFiscalRdNotCost => ("net_income.fiscal_rd_not_cost", Flag),
    TaxIitCashRewardInclusion => ("tax.iit.cash_reward_inclusion", Percent),
    TaxIitCashRewardWindow => ("tax.iit.cash_reward_window", Months),
    TaxIitBrackets => ("tax.iit.brackets", Brackets),
    TaxEquityRewardDividendRate => ("tax.equity_reward.dividend_rate", Percent),
    TaxEitExemptThreshold => ("tax.eit.exempt_threshold", Money),
    TaxEitExcessTaxableShare => ("tax.eit.excess_taxable_share", Percent),
    TaxEitRate => ("tax.eit.rate", Percent),
    TaxEitLicenceMinTerm => ("tax.eit.licence_min_term", Years),
    TaxVatTechContractExempt => ("tax.vat.tech_contract_exempt", Flag),
    EmpowermentUseRightMinTerm => ("empowerment.use_right.min_term", Years),
    EmpowermentNoticeRequired => ("empowerment.notice_required", Flag),
    LedgerUnmeasurableNotRecognised => ("ledger.unmeasurable_not_recognised", Flag),
    NoticeMinDays => ("notice.min_days", Days),
    ExemptionQualifyingRoutes => ("exemption.qualifying_routes", Categories),
    AuctionAntiSnipingMinutes => ("auction.anti_sniping_minutes", Count),
    AuctionExtensionMinutes => ("auction.extension_minutes", Count),
    ListingMinDays => ("listing.min_days", Days),
    CentralReleaseUnconvertedYears => ("central_release.unconverted_years", Years),
    ContractRegistrationDecisionDays => ("contract.registration.decision_days", Days),
    TtoRewardBand => ("tto_reward.band", PercentRange),
    GoldMedalSubsidyRate => ("gold_medal.subsidy_rate", Percent),
    GoldMedalSubsidyCap => ("gold_medal.subsidy_cap", Money),
    TiankaiTtoSupportCap => ("tiankai.tto_support_cap", Money),
    AssessmentWeights => ("assessment.weights", Weights),
}

impl fmt::Display for ParamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a parameter's value was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub document: String,
    pub article: Option<String>,
    pub url: Option<String>,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.document)?;
        if let Some(article) = &self.article {
            write!(f, " {article}")?;
        }
        Ok(())
    }
}

/// One named share of a weighting (e.g. the five dimensions of the TTO assessment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weight {
    pub code: String,
    pub share: Percent,
}

/// One bracket of a progressive tax table: income up to `up_to` (open-ended when `None`)
/// is taxed at `rate` minus the quick deduction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxBracket {
    pub up_to: Option<Money>,
    pub rate: Percent,
    pub quick_deduction: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    Percent(Percent),
    PercentRange { min: Percent, max: Percent },
    Money(Money),
    Days(u32),
    WorkingDays(u32),
    Months(u32),
    Years(u32),
    YearsRange { min: u32, max: u32 },
    Count(u32),
    Flag(bool),
    Weights(Vec<Weight>),
    Categories(Vec<String>),
    Brackets(Vec<TaxBracket>),
}

/// A value as read from a profile file, before it is checked against its key's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    Text(String),
    Integer(i64),
    Bool(bool),
    List(Vec<RawValue>),
}

fn expected(kind: ValueKind) -> Violation {
    let expected = match kind {
        ValueKind::Percent => "percentage as a string, e.g. \"50\"",
        ValueKind::PercentRange => "two percentages [min, max]",
        ValueKind::Money => "amount in yuan as a string, e.g. \"500000.00\"",
        ValueKind::Days | ValueKind::WorkingDays | ValueKind::Months | ValueKind::Years | ValueKind::Count => {
            "whole number"
        }
        ValueKind::YearsRange => "two whole numbers [min, max]",
        ValueKind::Flag => "true or false",
        ValueKind::Weights => "list of [code, percentage] pairs totalling 100",
        ValueKind::Categories => "list of category codes",
        ValueKind::Brackets => "list of [up_to or \"\", rate, quick_deduction]",
    };
    Violation::InvalidFormat { expected }
}

fn text(raw: &RawValue) -> Option<&str> {
    match raw {
        RawValue::Text(s) => Some(s),
        _ => None,
    }
}

fn whole(raw: &RawValue) -> Option<u32> {
    match raw {
        RawValue::Integer(i) => u32::try_from(*i).ok(),
        _ => None,
    }
}

fn pair(raw: &RawValue) -> Option<(&RawValue, &RawValue)> {
    match raw {
        RawValue::List(items) if items.len() == 2 => Some((&items[0], &items[1])),
        _ => None,
    }
}

impl ParamValue {
    pub fn kind(&self) -> ValueKind {
        match self {
            ParamValue::Percent(_) => ValueKind::Percent,
            ParamValue::PercentRange { .. } => ValueKind::PercentRange,
            ParamValue::Money(_) => ValueKind::Money,
            ParamValue::Days(_) => ValueKind::Days,
            ParamValue::WorkingDays(_) => ValueKind::WorkingDays,
            ParamValue::Months(_) => ValueKind::Months,
            ParamValue::Years(_) => ValueKind::Years,
            ParamValue::YearsRange { .. } => ValueKind::YearsRange,
            ParamValue::Count(_) => ValueKind::Count,
            ParamValue::Flag(_) => ValueKind::Flag,
            ParamValue::Weights(_) => ValueKind::Weights,
            ParamValue::Categories(_) => ValueKind::Categories,
            ParamValue::Brackets(_) => ValueKind::Brackets,
        }
    }

    /// Reads a raw value as the given kind, checking its internal rules (ranges ordered,
    /// weights totalling 100 %, brackets ascending).
    pub fn from_raw(kind: ValueKind, raw: &RawValue) -> Result<ParamValue, Violation> {
        let bad = || expected(kind);
        let percent = |r: &RawValue| text(r).ok_or_else(bad).and_then(|s| Percent::parse(s).map_err(Violation::from));
        let money = |r: &RawValue| {
            text(r)
                .ok_or_else(bad)
                .and_then(|s| Money::parse(s).map_err(Violation::from)?.non_negative().map_err(Violation::from))
        };
        let value = match kind {
            ValueKind::Percent => ParamValue::Percent(percent(raw)?),
            ValueKind::PercentRange => {
                let (a, b) = pair(raw).ok_or_else(bad)?;
                let (min, max) = (percent(a)?, percent(b)?);
                if min > max {
                    return Err(Violation::OutOfRange { min: min.to_string(), max: max.to_string() });
                }
                ParamValue::PercentRange { min, max }
            }
            ValueKind::Money => ParamValue::Money(money(raw)?),
            ValueKind::Days => ParamValue::Days(whole(raw).ok_or_else(bad)?),
            ValueKind::WorkingDays => ParamValue::WorkingDays(whole(raw).ok_or_else(bad)?),
            ValueKind::Months => ParamValue::Months(whole(raw).ok_or_else(bad)?),
            ValueKind::Years => ParamValue::Years(whole(raw).ok_or_else(bad)?),
            ValueKind::Count => ParamValue::Count(whole(raw).ok_or_else(bad)?),
            ValueKind::YearsRange => {
                let (a, b) = pair(raw).ok_or_else(bad)?;
                let (min, max) = (whole(a).ok_or_else(bad)?, whole(b).ok_or_else(bad)?);
                if min > max {
                    return Err(Violation::OutOfRange { min: min.to_string(), max: max.to_string() });
                }
                ParamValue::YearsRange { min, max }
            }
            ValueKind::Flag => match raw {
                RawValue::Bool(b) => ParamValue::Flag(*b),
                _ => return Err(bad()),
            },
            ValueKind::Weights => {
                let RawValue::List(items) = raw else { return Err(bad()) };
                let mut weights = Vec::with_capacity(items.len());
                for item in items {
                    let (code, share) = pair(item).ok_or_else(bad)?;
                    let code = text(code).ok_or_else(bad)?.trim().to_string();
                    if code.is_empty() || weights.iter().any(|w: &Weight| w.code == code) {
                        return Err(bad());
                    }
                    weights.push(Weight { code, share: percent(share)? });
                }
                let total = percent::total(weights.iter().map(|w| w.share));
                if total != Decimal::ONE_HUNDRED {
                    return Err(Violation::SharesNotHundred { total: total.normalize().to_string() });
                }
                ParamValue::Weights(weights)
            }
            ValueKind::Categories => {
                let RawValue::List(items) = raw else { return Err(bad()) };
                let codes: Option<Vec<String>> = items.iter().map(|i| text(i).map(|s| s.trim().to_string())).collect();
                let codes = codes.ok_or_else(bad)?;
                if codes.iter().any(String::is_empty) || codes.iter().collect::<BTreeSet<_>>().len() != codes.len() {
                    return Err(bad());
                }
                ParamValue::Categories(codes)
            }
            ValueKind::Brackets => {
                let RawValue::List(rows) = raw else { return Err(bad()) };
                let mut brackets: Vec<TaxBracket> = Vec::with_capacity(rows.len());
                for row in rows {
                    let RawValue::List(cells) = row else { return Err(bad()) };
                    if cells.len() != 3 {
                        return Err(bad());
                    }
                    let up_to = match text(&cells[0]).ok_or_else(bad)?.trim() {
                        "" => None,
                        s => Some(Money::parse(s).map_err(Violation::from)?),
                    };
                    let bracket = TaxBracket { up_to, rate: percent(&cells[1])?, quick_deduction: money(&cells[2])? };
                    if let Some(previous) = brackets.last() {
                        let ascending = match (previous.up_to, bracket.up_to) {
                            (Some(a), Some(b)) => a < b,
                            (Some(_), None) => true,
                            (None, _) => false,
                        };
                        if !ascending {
                            return Err(bad());
                        }
                    }
                    brackets.push(bracket);
                }
                if brackets.last().is_none_or(|b| b.up_to.is_some()) {
                    return Err(bad());
                }
                ParamValue::Brackets(brackets)
            }
        };
        Ok(value)
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Percent(p) => write!(f, "{p}"),
            ParamValue::PercentRange { min, max } => write!(f, "{} – {}", min, max),
            ParamValue::Money(m) => write!(f, "{m}"),
            ParamValue::Days(n) => write!(f, "{n} d"),
            ParamValue::WorkingDays(n) => write!(f, "{n} working d"),
            ParamValue::Months(n) => write!(f, "{n} mo"),
            ParamValue::Years(n) => write!(f, "{n} y"),
            ParamValue::YearsRange { min, max } => write!(f, "{min}–{max} y"),
            ParamValue::Count(n) => write!(f, "{n}"),
            ParamValue::Flag(b) => write!(f, "{b}"),
            ParamValue::Weights(ws) => {
                let parts: Vec<String> = ws.iter().map(|w| format!("{} {}", w.code, w.share)).collect();
                f.write_str(&parts.join(" / "))
            }
            ParamValue::Categories(cs) => f.write_str(&cs.join(", ")),
            ParamValue::Brackets(bs) => {
                let parts: Vec<String> = bs
                    .iter()
                    .map(|b| match b.up_to {
                        Some(up_to) => format!("≤ {} {}", up_to.to_grouped(), b.rate),
                        None => format!("> {}", b.rate),
                    })
                    .collect();
                f.write_str(&parts.join("; "))
            }
        }
    }
}

/// One rule value with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub key: ParamKey,
    pub value: ParamValue,
    pub grade: Grade,
    pub source: Source,
    pub note_zh: Option<String>,
    pub note_en: Option<String>,
    /// When set, the value applies only in this period (inside the profile's own period).
    pub effective: Option<Period>,
}

impl Parameter {
    pub fn applies_on(&self, day: Date) -> bool {
        self.effective.is_none_or(|p| p.contains(day))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProfile {
    pub id: String,
    pub version: u32,
    pub title_zh: String,
    pub title_en: String,
    /// `CN`, `CN-TJ`, …
    pub jurisdiction: String,
    pub extends: Option<String>,
    pub effective: Period,
    pub parameters: Vec<Parameter>,
}

impl PolicyProfile {
    pub fn in_force_on(&self, day: Date) -> bool {
        self.effective.contains(day)
    }

    fn own(&self, key: ParamKey, day: Date) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.key == key && p.applies_on(day))
    }
}

/// A parameter found for a case, with the profile it came from (for the reasoning trail).
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    pub parameter: &'a Parameter,
    pub profile: &'a PolicyProfile,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("no policy profile {0:?}")]
    UnknownProfile(String),
    #[error("no value for {key} in profile {profile} on {day}")]
    Missing { profile: String, key: ParamKey, day: Date },
    #[error("{key} is not a {expected}")]
    WrongKind { key: ParamKey, expected: ValueKind },
}

/// Raw parameter input, as read from a profile file.
#[derive(Debug, Clone)]
pub struct ParameterDraft {
    pub key: String,
    pub value: Option<RawValue>,
    pub grade: String,
    pub document: String,
    pub article: Option<String>,
    pub url: Option<String>,
    pub note_zh: Option<String>,
    pub note_en: Option<String>,
    pub effective_from: Option<String>,
    pub effective_until: Option<String>,
}

/// Raw profile input, as read from a profile file.
#[derive(Debug, Clone)]
pub struct ProfileDraft {
    pub id: String,
    pub version: i64,
    pub title_zh: String,
    pub title_en: String,
    pub jurisdiction: String,
    pub extends: Option<String>,
    pub effective_from: String,
    pub effective_until: Option<String>,
    pub parameters: Vec<ParameterDraft>,
}

/// All loaded profiles, validated together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySet {
    profiles: Vec<PolicyProfile>,
}

fn dated_period(errors: &mut ValidationErrors, field: &str, from: Option<&str>, until: Option<&str>) -> Option<Period> {
    let start = errors.collect(format!("{field}.effective_from"), parse_date(from.unwrap_or_default()))?;
    let end = match until.map(str::trim) {
        None | Some("") => None,
        Some(u) => Some(errors.collect(format!("{field}.effective_until"), parse_date(u))?),
    };
    errors.collect(format!("{field}.effective_until"), Period::new(start, end))
}

impl PolicySet {
    /// Validates every profile and the set as a whole: unique ids, known parents without
    /// cycles, values of the right kind, no overlapping dated entries of one key, and every
    /// key resolvable in every profile that no other profile extends.
    pub fn new(drafts: Vec<ProfileDraft>) -> Result<PolicySet, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut profiles = Vec::with_capacity(drafts.len());
        for draft in &drafts {
            let field = format!("profiles[{}]", draft.id);
            if let Some(profile) = Self::profile_from_draft(&mut errors, &field, draft) {
                if profiles.iter().any(|p: &PolicyProfile| p.id == profile.id) {
                    errors.add(format!("{field}.id"), Violation::Duplicate { value: profile.id.clone() });
                }
                profiles.push(profile);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let set = PolicySet { profiles };
        for profile in &set.profiles {
            let field = format!("profiles[{}]", profile.id);
            if let Some(parent) = &profile.extends {
                if set.profile(parent).is_none() {
                    errors.add(format!("{field}.extends"), Violation::UnknownChoice { value: parent.clone() });
                    continue;
                }
                if set.chain(profile).count() > set.profiles.len() {
                    errors.add(
                        format!("{field}.extends"),
                        Violation::Rule { code: "cycle", detail: "profiles extend each other in a cycle".into() },
                    );
                    continue;
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        for leaf in set.profiles.iter().filter(|p| !set.profiles.iter().any(|q| q.extends.as_deref() == Some(&p.id))) {
            let day = leaf.effective.start();
            for key in ParamKey::ALL {
                if set.resolve(&leaf.id, *key, day).is_err() {
                    errors.add(
                        format!("profiles[{}].parameters", leaf.id),
                        Violation::Rule { code: "missing_parameter", detail: format!("no value for {key} on {day}") },
                    );
                }
            }
        }
        errors.finish(|| set)
    }

    fn profile_from_draft(errors: &mut ValidationErrors, field: &str, d: &ProfileDraft) -> Option<PolicyProfile> {
        let before = errors.errors.len();
        let id = d.id.trim().to_string();
        if id.is_empty() {
            errors.add(format!("{field}.id"), Violation::Required);
        }
        let version = errors.collect(
            format!("{field}.version"),
            u32::try_from(d.version)
                .ok()
                .filter(|v| *v > 0)
                .ok_or(Violation::OutOfRange { min: "1".into(), max: u32::MAX.to_string() }),
        );
        for (name, value) in [("title_zh", &d.title_zh), ("title_en", &d.title_en), ("jurisdiction", &d.jurisdiction)] {
            if value.trim().is_empty() {
                errors.add(format!("{field}.{name}"), Violation::Required);
            }
        }
        let effective = dated_period(errors, field, Some(&d.effective_from), d.effective_until.as_deref());
        let mut parameters: Vec<Parameter> = Vec::with_capacity(d.parameters.len());
        for (i, p) in d.parameters.iter().enumerate() {
            let pfield = format!("{field}.parameters[{i}]");
            let Some(key) = errors.collect(format!("{pfield}.key"), ParamKey::from_code(&p.key)) else { continue };
            let pfield = format!("{field}.parameters[{}]", key.code());
            let value = match &p.value {
                None => {
                    errors.add(format!("{pfield}.value"), Violation::Required);
                    None
                }
                Some(raw) => errors.collect(format!("{pfield}.value"), ParamValue::from_raw(key.kind(), raw)),
            };
            let grade = errors.collect(format!("{pfield}.grade"), Grade::from_code(&p.grade));
            if p.document.trim().is_empty() {
                errors.add(format!("{pfield}.document"), Violation::Required);
            }
            let effective = if p.effective_from.is_some() || p.effective_until.is_some() {
                let from = p.effective_from.as_deref().or(Some(d.effective_from.as_str()));
                dated_period(errors, &pfield, from, p.effective_until.as_deref()).map(Some)
            } else {
                Some(None)
            };
            if let (Some(value), Some(grade), Some(effective)) = (value, grade, effective) {
                let clash = parameters.iter().any(|q| {
                    q.key == key
                        && match (q.effective, effective) {
                            (Some(a), Some(b)) => a.overlaps(&b),
                            _ => true,
                        }
                });
                if clash {
                    errors.add(format!("{pfield}.effective_from"), Violation::Overlapping);
                }
                parameters.push(Parameter {
                    key,
                    value,
                    grade,
                    source: Source {
                        document: p.document.trim().to_string(),
                        article: p.article.clone().filter(|a| !a.trim().is_empty()),
                        url: p.url.clone().filter(|u| !u.trim().is_empty()),
                    },
                    note_zh: p.note_zh.clone().filter(|n| !n.trim().is_empty()),
                    note_en: p.note_en.clone().filter(|n| !n.trim().is_empty()),
                    effective,
                });
            }
        }
        if errors.errors.len() != before {
            return None;
        }
        Some(PolicyProfile {
            id,
            version: version?,
            title_zh: d.title_zh.trim().to_string(),
            title_en: d.title_en.trim().to_string(),
            jurisdiction: d.jurisdiction.trim().to_string(),
            extends: d.extends.clone().filter(|e| !e.trim().is_empty()),
            effective: effective?,
            parameters,
        })
    }

    pub fn profiles(&self) -> &[PolicyProfile] {
        &self.profiles
    }

    pub fn profile(&self, id: &str) -> Option<&PolicyProfile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    /// The profile and its ancestors, most specific first.
    fn chain<'a>(&'a self, start: &'a PolicyProfile) -> impl Iterator<Item = &'a PolicyProfile> + 'a {
        let limit = self.profiles.len() + 1;
        std::iter::successors(Some(start), move |p| p.extends.as_deref().and_then(|id| self.profile(id))).take(limit)
    }

    /// The most recent profile of a jurisdiction in force on `day`; before the jurisdiction's
    /// first profile, the enclosing jurisdiction's (`CN-TJ` → `CN`): national law applied in
    /// Tianjin before Tianjin's measures.
    pub fn in_force(&self, jurisdiction: &str, day: Date) -> Option<&PolicyProfile> {
        let own = self
            .profiles
            .iter()
            .filter(|p| p.jurisdiction == jurisdiction && p.in_force_on(day))
            .max_by_key(|p| (p.effective.start(), p.version));
        match (own, jurisdiction.rsplit_once('-')) {
            (Some(p), _) => Some(p),
            (None, Some((parent, _))) => self.in_force(parent, day),
            (None, None) => None,
        }
    }

    /// The value of `key` for a case evaluated under `profile_id` on `day`: from the profile
    /// itself, else from the profile it extends, and so on.
    pub fn resolve(&self, profile_id: &str, key: ParamKey, day: Date) -> Result<Resolved<'_>, PolicyError> {
        let start = self.profile(profile_id).ok_or_else(|| PolicyError::UnknownProfile(profile_id.to_string()))?;
        self.chain(start)
            .find_map(|profile| profile.own(key, day).map(|parameter| Resolved { parameter, profile }))
            .ok_or(PolicyError::Missing { profile: profile_id.to_string(), key, day })
    }

    /// The value of every key the profile (or what it extends) sets for `day`, in key order
    /// (for the profile page). Keys a profile does not set are left out: the national
    /// profile, say, has no TTO-reward band.
    pub fn effective_parameters(&self, profile_id: &str, day: Date) -> Result<Vec<Resolved<'_>>, PolicyError> {
        self.profile(profile_id).ok_or_else(|| PolicyError::UnknownProfile(profile_id.to_string()))?;
        Ok(ParamKey::ALL.iter().filter_map(|key| self.resolve(profile_id, *key, day).ok()).collect())
    }

    /// Every entry of every key along the chain (all dates), for showing the full history.
    pub fn all_entries(&self, profile_id: &str) -> Result<Vec<Resolved<'_>>, PolicyError> {
        let start = self.profile(profile_id).ok_or_else(|| PolicyError::UnknownProfile(profile_id.to_string()))?;
        let mut entries = Vec::new();
        for key in ParamKey::ALL {
            let own_profile = self.chain(start).find(|p| p.parameters.iter().any(|q| q.key == *key));
            if let Some(profile) = own_profile {
                entries.extend(
                    profile
                        .parameters
                        .iter()
                        .filter(|q| q.key == *key)
                        .map(|parameter| Resolved { parameter, profile }),
                );
            }
        }
        Ok(entries)
    }

    pub fn percent(&self, profile_id: &str, key: ParamKey, day: Date) -> Result<(Percent, Resolved<'_>), PolicyError> {
        let r = self.resolve(profile_id, key, day)?;
        match r.parameter.value {
            ParamValue::Percent(p) => Ok((p, r)),
            _ => Err(PolicyError::WrongKind { key, expected: ValueKind::Percent }),
        }
    }

    pub fn money(&self, profile_id: &str, key: ParamKey, day: Date) -> Result<(Money, Resolved<'_>), PolicyError> {
        let r = self.resolve(profile_id, key, day)?;
        match r.parameter.value {
            ParamValue::Money(m) => Ok((m, r)),
            _ => Err(PolicyError::WrongKind { key, expected: ValueKind::Money }),
        }
    }

    /// Days, working days, months, years or a plain count: the number, whichever unit the key
    /// uses.
    pub fn count(&self, profile_id: &str, key: ParamKey, day: Date) -> Result<(u32, Resolved<'_>), PolicyError> {
        let r = self.resolve(profile_id, key, day)?;
        match r.parameter.value {
            ParamValue::Days(n)
            | ParamValue::WorkingDays(n)
            | ParamValue::Months(n)
            | ParamValue::Years(n)
            | ParamValue::Count(n) => Ok((n, r)),
            _ => Err(PolicyError::WrongKind { key, expected: key.kind() }),
        }
    }

    pub fn categories(
        &self,
        profile_id: &str,
        key: ParamKey,
        day: Date,
    ) -> Result<(Vec<String>, Resolved<'_>), PolicyError> {
        let r = self.resolve(profile_id, key, day)?;
        match &r.parameter.value {
            ParamValue::Categories(c) => Ok((c.clone(), r)),
            _ => Err(PolicyError::WrongKind { key, expected: ValueKind::Categories }),
        }
    }

    pub fn flag(&self, profile_id: &str, key: ParamKey, day: Date) -> Result<(bool, Resolved<'_>), PolicyError> {
        let r = self.resolve(profile_id, key, day)?;
        match r.parameter.value {
            ParamValue::Flag(b) => Ok((b, r)),
            _ => Err(PolicyError::WrongKind { key, expected: ValueKind::Flag }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn param(key: &str, value: RawValue, grade: &str) -> ParameterDraft {
        ParameterDraft {
            key: key.into(),
            value: Some(value),
            grade: grade.into(),
            document: "测试文件".into(),
            article: Some("第1条".into()),
            url: None,
            note_zh: None,
            note_en: None,
            effective_from: None,
            effective_until: None,
        }
    }

    fn t(s: &str) -> RawValue {
        RawValue::Text(s.into())
    }

    fn full_national() -> ProfileDraft {
        let mut parameters = Vec::new();
        for key in ParamKey::ALL {
            let value = match key.kind() {
                ValueKind::Percent => t("50"),
                ValueKind::PercentRange => RawValue::List(vec![t("5"), t("15")]),
                ValueKind::Money => t("5000000"),
                ValueKind::Days | ValueKind::WorkingDays | ValueKind::Months | ValueKind::Years | ValueKind::Count => {
                    RawValue::Integer(10)
                }
                ValueKind::YearsRange => RawValue::List(vec![RawValue::Integer(3), RawValue::Integer(5)]),
                ValueKind::Flag => RawValue::Bool(true),
                ValueKind::Weights => {
                    RawValue::List(vec![RawValue::List(vec![t("a"), t("40")]), RawValue::List(vec![t("b"), t("60")])])
                }
                ValueKind::Categories => RawValue::List(vec![t("taxes")]),
                ValueKind::Brackets => RawValue::List(vec![
                    RawValue::List(vec![t("36000"), t("3"), t("0")]),
                    RawValue::List(vec![t(""), t("10"), t("2520")]),
                ]),
            };
            parameters.push(param(key.code(), value, "A"));
        }
        ProfileDraft {
            id: "national".into(),
            version: 1,
            title_zh: "国家".into(),
            title_en: "National".into(),
            jurisdiction: "CN".into(),
            extends: None,
            effective_from: "2015-10-01".into(),
            effective_until: None,
            parameters,
        }
    }

    fn tianjin(parameters: Vec<ParameterDraft>) -> ProfileDraft {
        ProfileDraft {
            id: "tianjin".into(),
            version: 1,
            title_zh: "天津".into(),
            title_en: "Tianjin".into(),
            jurisdiction: "CN-TJ".into(),
            extends: Some("national".into()),
            effective_from: "2023-12-12".into(),
            effective_until: None,
            parameters,
        }
    }

    #[test]
    fn local_overrides_national_and_falls_back() {
        let set =
            PolicySet::new(vec![full_national(), tianjin(vec![param("notice.min_days", RawValue::Integer(15), "U")])])
                .unwrap();
        let (days, r) = set.count("tianjin", ParamKey::NoticeMinDays, date!(2024 - 01 - 01)).unwrap();
        assert_eq!(days, 15);
        assert_eq!(r.profile.id, "tianjin");
        assert!(r.parameter.grade.needs_confirmation());
        let (floor, r) = set.percent("tianjin", ParamKey::RewardFloorEquity, date!(2024 - 01 - 01)).unwrap();
        assert_eq!(floor, Percent::whole(50).unwrap());
        assert_eq!(r.profile.id, "national");
        assert_eq!(set.in_force("CN-TJ", date!(2024 - 01 - 01)).unwrap().id, "tianjin");
        // Before Tianjin's first profile, the national profile applies in Tianjin.
        assert_eq!(set.in_force("CN-TJ", date!(2023 - 01 - 01)).unwrap().id, "national");
        assert!(set.in_force("CN-TJ", date!(2015 - 01 - 01)).is_none(), "nothing before the 2015 law");
    }

    #[test]
    fn dated_entries_switch_on_their_date() {
        let mut before = param("tax.vat.tech_contract_exempt", RawValue::Bool(true), "B");
        before.effective_until = Some("2026-01-01".into());
        let mut after = param("tax.vat.tech_contract_exempt", RawValue::Bool(false), "U");
        after.effective_from = Some("2026-01-01".into());
        let set = PolicySet::new(vec![full_national(), tianjin(vec![before, after])]).unwrap();
        assert!(set.flag("tianjin", ParamKey::TaxVatTechContractExempt, date!(2025 - 12 - 31)).unwrap().0);
        assert!(!set.flag("tianjin", ParamKey::TaxVatTechContractExempt, date!(2026 - 01 - 01)).unwrap().0);
    }

    #[test]
    fn rejects_bad_values_and_missing_keys() {
        let mut national = full_national();
        national.parameters.retain(|p| p.key != "notice.min_days");
        let bad = vec![
            param("tto_reward.band", RawValue::List(vec![t("15"), t("5")]), "A"),
            param("assessment.weights", RawValue::List(vec![RawValue::List(vec![t("a"), t("40")])]), "B"),
            param("gold_medal.subsidy_cap", t("-1"), "A"),
            param("reward.floor.equity", t("50"), "E"),
            param("no.such.key", t("1"), "A"),
        ];
        let errors = PolicySet::new(vec![national.clone(), tianjin(bad)]).unwrap_err();
        let codes: Vec<&str> = errors.errors.iter().map(|e| e.violation.code()).collect();
        assert_eq!(codes, ["out_of_range", "shares_not_hundred", "negative", "unknown_choice", "unknown_choice"]);
        let errors = PolicySet::new(vec![national, tianjin(vec![])]).unwrap_err();
        assert_eq!(errors.errors[0].violation.code(), "missing_parameter");
    }

    #[test]
    fn overlapping_dated_entries_are_rejected() {
        let a = param("notice.min_days", RawValue::Integer(15), "U");
        let b = param("notice.min_days", RawValue::Integer(20), "U");
        let errors = PolicySet::new(vec![full_national(), tianjin(vec![a, b])]).unwrap_err();
        assert_eq!(errors.errors[0].violation, Violation::Overlapping);
    }

    #[test]
    fn brackets_must_ascend_and_end_open() {
        let rows = |cells: &[(&str, &str, &str)]| {
            RawValue::List(cells.iter().map(|(a, b, c)| RawValue::List(vec![t(a), t(b), t(c)])).collect())
        };
        assert!(ParamValue::from_raw(ValueKind::Brackets, &rows(&[("100", "3", "0"), ("", "10", "5")])).is_ok());
        assert!(ParamValue::from_raw(ValueKind::Brackets, &rows(&[("100", "3", "0"), ("50", "10", "5")])).is_err());
        assert!(ParamValue::from_raw(ValueKind::Brackets, &rows(&[("100", "3", "0")])).is_err());
    }
}
