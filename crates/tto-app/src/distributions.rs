//! Income distribution (measures 十一, 十六): university rules, income and expenses, the
//! preview of a case, distributions with approval, a public notice of the rewards and payment,
//! tax views, statements per person and the register.
//!
//! Workflow: draft → approved (tto_admin) → noticing (the rewards are publicly noticed for at
//! least `notice.min_days`; objections as for deals: an upheld one sends the distribution back
//! to draft) → noticed (the scheduled task or a person closes the notice) → paid; cancel from
//! any state before paid.

use time::Date;
use tto_domain::distribution::{
    AgreementDraft, Basis, Case, CaseDraft, Distribution, DistributionMode, DistributionRules, RecipientDraft,
    TtoPosition, UnitRule, UnitRuleDraft, compute,
};
use tto_domain::notice::{NoticeSubject, ObjectionStatus};
use tto_domain::policy::{ParamKey, ParamValue, Parameter};
use tto_domain::tax::{EnterpriseCase, EnterpriseTax, RewardFacts, RewardTax, TaxRules, enterprise_tax, reward_tax};
use tto_domain::{AchievementId, InstitutionId, Money, Percent, ValidationErrors, Violation};
use tto_store::distributions::{
    self as repo, DistributionHead, DistributionRecord, DistributionRow, DistributionStatus, FinanceEntry,
    FinanceFilter, FinanceKind, RuleRecord, StatementLine,
};
use tto_store::notices::{self as notice_repo, Notice};
use tto_store::{Scope, StoreError, WriteTx, achievements, contracts, institutions};

use crate::authz::{Actor, Permission};
use crate::deals::rule;
use crate::empowerment::citation_of;
use crate::{App, AppError, Result};

/// The rules behind a case, with the profile they came from.
#[derive(Debug, Clone)]
pub struct CaseRules {
    pub profile: String,
    pub distribution: DistributionRules,
    pub tax: TaxRules,
    pub notice_min_days: u32,
    pub parameters: Vec<Parameter>,
}

/// A computed preview: the case as read, the result, and the rules.
#[derive(Debug, Clone)]
pub struct Preview {
    pub case: Case,
    pub result: Distribution,
    pub rules: CaseRules,
    pub day: Date,
}

/// A line's tax view (contributor lines only).
#[derive(Debug, Clone)]
pub struct LineTax {
    pub position: usize,
    pub tax: RewardTax,
}

#[derive(Debug, Clone)]
pub struct DistributionView {
    pub record: DistributionRecord,
    pub taxes: Vec<LineTax>,
    pub notices: Vec<(Notice, Vec<tto_store::notices::Objection>)>,
    pub can_manage: bool,
    pub can_approve: bool,
    pub rules: Option<CaseRules>,
}

/// Input of a new distribution besides the case.
#[derive(Debug, Clone, Default)]
pub struct DistributionDraft {
    pub title: String,
    pub deal_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub achievement_id: Option<i64>,
    /// The day whose rules apply (default today).
    pub date: String,
    /// When the income was received (for the 36-month window of the tax rule).
    pub income_received_on: String,
    pub case: CaseDraft,
}

fn basis(p: &Parameter) -> Basis {
    Basis::new(citation_of(p), Some(p.grade))
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "distribution" },
        other => other.into(),
    }
}

fn percent_of(p: &Parameter) -> Result<Percent> {
    match &p.value {
        ParamValue::Percent(v) => Ok(*v),
        _ => Err(AppError::Internal(format!("{} is not a percentage", p.key.code()))),
    }
}

fn count_of(p: &Parameter) -> Result<u32> {
    match &p.value {
        ParamValue::Days(n) | ParamValue::Months(n) | ParamValue::Years(n) | ParamValue::Count(n) => Ok(*n),
        _ => Err(AppError::Internal(format!("{} is not a count", p.key.code()))),
    }
}

fn date_in(field: &str, raw: &str, default: Date) -> Result<Date> {
    if raw.trim().is_empty() {
        return Ok(default);
    }
    tto_domain::period::parse_date(raw).map_err(|v| AppError::field(field, v))
}

impl App {
    /// The profile's rules for a mode on a day; a day outside every profile is an error on
    /// `date`.
    pub fn case_rules(&self, mode: DistributionMode, day: Date) -> Result<CaseRules> {
        let profile = self.profile_for(day)?;
        let get = |key: ParamKey| self.parameter(&profile, key, day);
        let pct = percent_of;
        let count = count_of;
        let floor = get(match mode {
            DistributionMode::TransferLicence => ParamKey::RewardFloorTransferLicence,
            DistributionMode::Equity => ParamKey::RewardFloorEquity,
            DistributionMode::SelfImplementation => ParamKey::RewardFloorSelfImplementation,
        })?;
        let main = get(ParamKey::RewardMainContributorsMinShare)?;
        let band = get(ParamKey::TtoRewardBand)?;
        let deductible = get(ParamKey::NetIncomeDeductibleCategories)?;
        let fiscal = get(ParamKey::NetIncomeFiscalRdNotCost)?;
        let leader = get(ParamKey::RewardLeaderNoticeRequired)?;
        let years = get(ParamKey::RewardSelfImplementationYears)?;
        let (tax, tax_parameters) = self.tax_rules(&profile, day)?;
        let notice = get(ParamKey::NoticeMinDays)?;
        let ParamValue::PercentRange { min, max } = band.value else {
            return Err(AppError::Internal("tto_reward.band is not a range".into()));
        };
        let ParamValue::YearsRange { min: years_min, max: years_max } = years.value else {
            return Err(AppError::Internal("reward.self_implementation.years is not a range".into()));
        };
        let ParamValue::Categories(categories) = &deductible.value else {
            return Err(AppError::Internal("net_income.deductible_categories is not a list".into()));
        };
        let flag = |p: &Parameter| matches!(p.value, ParamValue::Flag(true));
        let distribution = DistributionRules {
            floor: pct(&floor)?,
            floor_basis: basis(&floor),
            main_min: pct(&main)?,
            main_basis: basis(&main),
            tto_band: (min, max),
            tto_basis: basis(&band),
            deductible: categories.clone(),
            deductible_basis: basis(&deductible),
            fiscal_rd_not_cost: flag(&fiscal),
            fiscal_rd_basis: basis(&fiscal),
            leader_notice: flag(&leader),
            leader_basis: basis(&leader),
            years: (years_min, years_max),
            years_basis: basis(&years),
        };
        let notice_min_days = count(&notice)?;
        let mut parameters = vec![floor, main, band, deductible, fiscal, leader, years];
        parameters.extend(tax_parameters);
        parameters.push(notice);
        Ok(CaseRules { profile, distribution, tax, notice_min_days, parameters })
    }

    /// The profile in force on `day`; a day outside every profile is an error on `date`.
    fn profile_for(&self, day: Date) -> Result<String> {
        self.profile_on(day)
            .map(|p| p.id.clone())
            .ok_or_else(|| AppError::field("date", rule("no_policy_profile", day.to_string())))
    }

    /// A parameter of `profile` on `day`. One the profile lacks (a number of Tianjin's
    /// measures on a day when only national law applied) is an error on `date`, not a fault.
    fn parameter(&self, profile: &str, key: ParamKey, day: Date) -> Result<Parameter> {
        self.policy().resolve(profile, key, day).map(|r| r.parameter.clone()).map_err(|e| match e {
            tto_domain::policy::PolicyError::Missing { key, .. } => {
                AppError::field("date", rule("missing_parameter", format!("{} ({profile}, {day})", key.code())))
            }
            other => AppError::Internal(other.to_string()),
        })
    }

    /// The tax numbers of `profile` on `day`, with their parameters.
    fn tax_rules(&self, profile: &str, day: Date) -> Result<(TaxRules, Vec<Parameter>)> {
        let get = |key: ParamKey| self.parameter(profile, key, day);
        let (pct, count) = (percent_of, count_of);
        let inclusion = get(ParamKey::TaxIitCashRewardInclusion)?;
        let window = get(ParamKey::TaxIitCashRewardWindow)?;
        let dividend = get(ParamKey::TaxEquityRewardDividendRate)?;
        let threshold = get(ParamKey::TaxEitExemptThreshold)?;
        let excess = get(ParamKey::TaxEitExcessTaxableShare)?;
        let eit_rate = get(ParamKey::TaxEitRate)?;
        let licence = get(ParamKey::TaxEitLicenceMinTerm)?;
        let ParamValue::Money(threshold_value) = threshold.value else {
            return Err(AppError::Internal("tax.eit.exempt_threshold is not an amount".into()));
        };
        let tax = TaxRules {
            inclusion: pct(&inclusion)?,
            inclusion_basis: basis(&inclusion),
            window_months: count(&window)?,
            window_basis: basis(&window),
            dividend_rate: pct(&dividend)?,
            dividend_basis: basis(&dividend),
            eit_threshold: threshold_value,
            eit_threshold_basis: basis(&threshold),
            eit_excess_share: pct(&excess)?,
            eit_excess_basis: basis(&excess),
            eit_rate: pct(&eit_rate)?,
            eit_rate_basis: basis(&eit_rate),
            licence_min_years: count(&licence)?,
            licence_basis: basis(&licence),
        };
        Ok((tax, vec![inclusion, window, dividend, threshold, excess, eit_rate, licence]))
    }

    /// Computes a case without recording anything (the preview API: anyone may use it).
    pub fn preview_distribution(&self, draft: &CaseDraft, date: &str) -> Result<Preview> {
        let day = date_in("date", date, self.today())?;
        let mode = DistributionMode::from_code(&draft.mode).map_err(|v| AppError::field("mode", v))?;
        let rules = self.case_rules(mode, day)?;
        let case = Case::validate(draft, &rules.distribution)?;
        let result = compute(&case, &rules.distribution)?;
        Ok(Preview { case, result, rules, day })
    }

    /// The enterprise-side income tax on technology-transfer income.
    pub fn enterprise_tax(
        &self,
        income: &str,
        licence_years: &str,
        wholly_related: bool,
        date: &str,
    ) -> Result<EnterpriseTax> {
        let day = date_in("date", date, self.today())?;
        // Only the tax numbers: national law has them before the Tianjin measures too.
        let (tax, _) = self.tax_rules(&self.profile_for(day)?, day)?;
        let mut errors = ValidationErrors::new();
        let income = if income.trim().is_empty() {
            errors.add("income", Violation::Required);
            None
        } else {
            errors.collect("income", Money::parse(income).and_then(Money::non_negative))
        };
        let licence_years = match licence_years.trim() {
            "" => None,
            y => match y.parse::<u32>() {
                Ok(y) => Some(y),
                Err(_) => {
                    errors.add("licence_years", Violation::InvalidFormat { expected: "whole_number" });
                    None
                }
            },
        };
        let (Some(income), true) = (income, errors.is_empty()) else { return Err(errors.into()) };
        Ok(enterprise_tax(&EnterpriseCase { income, licence_years, wholly_related }, &tax))
    }

    // -----------------------------------------------------------------------------------
    // The university's rule
    // -----------------------------------------------------------------------------------

    /// The rules an institution published, newest first.
    pub async fn unit_rules(&self, actor: &Actor) -> Result<Vec<RuleRecord>> {
        let scope = actor.internal_scope(Permission::DistributionRead)?;
        let institution = match scope {
            Scope::Institution(i) | Scope::OwnOrPublic(i) => i,
            _ => actor.institution_id().ok_or(AppError::Forbidden)?,
        };
        let mut r = self.store().reader().await?;
        Ok(repo::rules(&mut r, institution).await?)
    }

    /// Publishes a new version of the university's rule (the TTO administrator).
    pub async fn publish_unit_rule(
        &self,
        actor: &Actor,
        draft: &UnitRuleDraft,
        shares: [&str; 3],
        published_on: &str,
    ) -> Result<RuleRecord> {
        actor.require(Permission::DistributionApprove)?;
        let institution = actor.institution_id().ok_or(AppError::Forbidden)?;
        actor.require_for(Permission::DistributionApprove, institution)?;
        let today = self.today();
        let rules = self.case_rules(DistributionMode::TransferLicence, today)?;
        let mut errors = ValidationErrors::new();
        let day = errors.collect("published_on", tto_domain::period::parse_date(published_on));
        let fields = ["share_transfer", "share_equity", "share_self"];
        let mut parsed = [None, None, None];
        for (i, raw) in shares.iter().enumerate() {
            if !raw.trim().is_empty() {
                parsed[i] = errors.collect(fields[i], Percent::parse(raw));
            }
        }
        let rule = match UnitRule::validate(draft, rules.distribution.tto_band, &rules.distribution.tto_basis.rule) {
            Ok(r) => Some(r),
            Err(e) => {
                for fe in e.errors {
                    errors.add(fe.field.trim_start_matches("unit_rule.").to_string(), fe.violation);
                }
                None
            }
        };
        // A state-run university's rule may not go below the statutory floors.
        let institution_record = institutions::get(&mut self.store().reader().await?, institution).await?;
        if institution_record.fields.state_run {
            for (i, mode) in
                [DistributionMode::TransferLicence, DistributionMode::Equity, DistributionMode::SelfImplementation]
                    .into_iter()
                    .enumerate()
            {
                let floor = self.case_rules(mode, today)?.distribution;
                if parsed[i].is_some_and(|s| s < floor.floor) {
                    errors.add(
                        fields[i],
                        Violation::BelowPolicyMinimum {
                            minimum: floor.floor.to_string(),
                            unit: "percent",
                            rule: floor.floor_basis.rule.clone(),
                        },
                    );
                }
            }
            if let Some(y) = rule.as_ref().and_then(|r| r.years)
                && (y < rules.distribution.years.0 || y > rules.distribution.years.1)
            {
                errors.add(
                    "years",
                    crate::deals::rule(
                        "years_outside_range",
                        format!("{}–{}", rules.distribution.years.0, rules.distribution.years.1),
                    ),
                );
            }
        }
        let (Some(day), Some(rule), true) = (day, rule, errors.is_empty()) else { return Err(errors.into()) };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let saved = repo::insert_rule(
            &mut tx,
            institution,
            &rule.document,
            day,
            parsed,
            rule.years,
            rule.tto_rate,
            rule.tto_position,
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    // -----------------------------------------------------------------------------------
    // Income and expenses
    // -----------------------------------------------------------------------------------

    pub async fn finance_entries(&self, actor: &Actor, filter: &FinanceFilter) -> Result<Vec<FinanceEntry>> {
        let scope = actor.internal_scope(Permission::DistributionRead)?;
        let mut r = self.store().reader().await?;
        Ok(repo::entries(&mut r, scope, filter, 1000).await?)
    }

    /// Records a cost (by category of the profile), other income, or equity received.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_finance_entry(
        &self,
        actor: &Actor,
        kind: &str,
        category: &str,
        amount: &str,
        occurred_on: &str,
        links: (Option<i64>, Option<i64>, Option<i64>),
        note: &str,
    ) -> Result<FinanceEntry> {
        actor.require(Permission::DistributionManage)?;
        let institution = actor.institution_id().ok_or(AppError::Forbidden)?;
        let today = self.today();
        let rules = self.case_rules(DistributionMode::TransferLicence, today)?;
        let mut errors = ValidationErrors::new();
        let kind = errors.collect("kind", FinanceKind::from_code(kind));
        let category = category.trim().to_string();
        match kind {
            Some(FinanceKind::Cost) if category == "fiscal_rd" && rules.distribution.fiscal_rd_not_cost => {
                errors.add("category", rule("fiscal_rd_not_cost", rules.distribution.fiscal_rd_basis.rule.clone()));
            }
            Some(FinanceKind::Cost) if !rules.distribution.deductible.contains(&category) => {
                errors.add("category", Violation::UnknownChoice { value: category.clone() });
            }
            _ => {}
        }
        let value = match kind {
            Some(FinanceKind::Equity) => match amount.trim().replace(',', "").parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.add("amount", Violation::InvalidFormat { expected: "whole_number" });
                    None
                }
            },
            _ => {
                let m = if amount.trim().is_empty() {
                    errors.add("amount", Violation::Required);
                    None
                } else {
                    errors.collect("amount", Money::parse(amount).and_then(Money::non_negative))
                };
                m.map(Money::fen)
            }
        };
        let day = errors.collect("occurred_on", tto_domain::period::parse_date(occurred_on));
        if day.is_some_and(|d| d > today) {
            errors.add("occurred_on", rule("in_the_future", "the date is in the future"));
        }
        let note = tto_domain::validation::optional_text(&mut errors, "note", Some(note), 500).unwrap_or_default();
        if links == (None, None, None) {
            errors.add("achievement_id", Violation::Required);
        }
        let (Some(kind), Some(amount), Some(occurred_on), true) = (kind, value, day, errors.is_empty()) else {
            return Err(errors.into());
        };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        self.check_links(&mut tx, actor, institution, links).await?;
        let saved = repo::insert_entry(
            &mut tx,
            &FinanceEntry {
                id: 0,
                institution_id: institution,
                kind,
                category: if kind == FinanceKind::Cost { category } else { kind.code().to_string() },
                amount,
                occurred_on,
                deal_id: links.0,
                contract_id: links.1,
                achievement_id: links.2.map(AchievementId),
                note,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// The deal, contract and achievement a record links to must be the institution's.
    async fn check_links(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        institution: InstitutionId,
        (deal, contract, achievement): (Option<i64>, Option<i64>, Option<i64>),
    ) -> Result<()> {
        let own = |i: InstitutionId| i == institution || matches!(actor, Actor::System { .. });
        if let Some(d) = deal
            && !tto_store::deals::get(tx, Scope::All, d).await.is_ok_and(|x| own(x.institution_id))
        {
            return Err(AppError::field("deal_id", Violation::UnknownChoice { value: d.to_string() }));
        }
        if let Some(c) = contract
            && !contracts::get(tx, Scope::All, c).await.is_ok_and(|x| own(x.institution_id))
        {
            return Err(AppError::field("contract_id", Violation::UnknownChoice { value: c.to_string() }));
        }
        if let Some(a) = achievement
            && !achievements::get(tx, Scope::All, AchievementId(a)).await.is_ok_and(|x| own(x.institution_id))
        {
            return Err(AppError::field("achievement_id", Violation::UnknownChoice { value: a.to_string() }));
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // Distributions
    // -----------------------------------------------------------------------------------

    /// A case prefilled from what the platform knows: the contract's payments and the costs
    /// recorded, the achievement's contributors, an effective empowerment agreement's split,
    /// the university's type.
    pub async fn distribution_template(
        &self,
        actor: &Actor,
        contract: Option<i64>,
        achievement: Option<i64>,
    ) -> Result<DistributionDraft> {
        actor.require(Permission::DistributionManage)?;
        let institution = actor.institution_id().ok_or(AppError::Forbidden)?;
        let mut r = self.store().reader().await?;
        let mut draft = DistributionDraft::default();
        let mut case = CaseDraft {
            mode: DistributionMode::TransferLicence.code().into(),
            tto: "none".into(),
            ..Default::default()
        };
        case.state_run = institutions::get(&mut r, institution).await?.fields.state_run;
        let mut achievement_id = achievement;
        if let Some(c) = contract {
            let k = contracts::get(&mut r, Scope::Institution(institution), c)
                .await
                .map_err(|_| AppError::field("contract_id", Violation::UnknownChoice { value: c.to_string() }))?;
            draft.title = k.terms.title.clone();
            draft.contract_id = Some(k.id);
            draft.deal_id = k.deal_id;
            case.gross = k.received().to_plain();
            // The TTO reward of measure 十一 is a share of the contract amount; distributed
            // instalment by instalment, its base is the part of the amount received.
            case.contract_amount = k.received().min(k.terms.amount).to_plain();
            draft.income_received_on = k.payments.last().map(|p| p.received_on.to_string()).unwrap_or_default();
            if let Some(d) = k.deal_id {
                let deal = tto_store::deals::get(&mut r, Scope::All, d).await?;
                achievement_id = achievement_id.or(deal.items.first().map(|i| i.achievement_id.0));
                if deal.terms.mode == tto_domain::deal::DealMode::EquityInvestment {
                    case.mode = DistributionMode::Equity.code().into();
                }
            }
            let filter = FinanceFilter { contract: Some(k.id), ..Default::default() };
            case.deductions = repo::entries(&mut r, Scope::Institution(institution), &filter, 100)
                .await?
                .iter()
                .filter(|e| e.kind == FinanceKind::Cost)
                .map(|e| (e.category.clone(), Money::from_fen(e.amount).to_plain()))
                .collect();
        }
        if let Some(a) = achievement_id {
            let a = achievements::get(&mut r, Scope::Institution(institution), AchievementId(a))
                .await
                .map_err(|_| AppError::field("achievement_id", Violation::UnknownChoice { value: a.to_string() }))?;
            draft.achievement_id = Some(a.id.0);
            if draft.title.is_empty() {
                draft.title = a.fields.title.clone();
            }
            case.recipients = a
                .fields
                .contributors
                .iter()
                .map(|c| RecipientDraft {
                    name: c.name.clone(),
                    share: c.share.value().normalize().to_string(),
                    main: c.main,
                    leader: false,
                    // Empty: the form follows the mode (shares on the equity path, else cash).
                    form: String::new(),
                })
                .collect();
            let agreements = tto_store::empowerment::for_achievement(&mut r, a.id).await?;
            if let Some(g) =
                agreements.iter().rev().find(|g| g.status == tto_domain::empowerment::AgreementStatus::Effective)
            {
                case.agreement = Some(AgreementDraft {
                    reference: format!("赋权协议 #{}", g.id),
                    reward_share: g.terms.income_share.value().normalize().to_string(),
                    ..Default::default()
                });
            }
        }
        draft.date = self.today().to_string();
        draft.case = case;
        Ok(draft)
    }

    /// Computes and records a draft distribution. The university's rule in force on the
    /// case's date is applied unless the case brings its own.
    pub async fn create_distribution(&self, actor: &Actor, draft: &DistributionDraft) -> Result<DistributionRecord> {
        actor.require(Permission::DistributionManage)?;
        let institution = actor.institution_id().ok_or(AppError::Forbidden)?;
        let mut errors = ValidationErrors::new();
        let title = tto_domain::validation::required_text(&mut errors, "title", &draft.title, 200);
        let day = date_in("date", &draft.date, self.today())?;
        let received = if draft.income_received_on.trim().is_empty() {
            None
        } else {
            errors.collect("income_received_on", tto_domain::period::parse_date(&draft.income_received_on))
        };
        let mut case = draft.case.clone();
        {
            let mut r = self.store().reader().await?;
            case.state_run = institutions::get(&mut r, institution).await?.fields.state_run;
            if case.unit_rule.is_none()
                && let Ok(mode) = DistributionMode::from_code(&case.mode)
                && let Some(rule) = repo::rule_on(&mut r, institution, day).await?
            {
                case.unit_rule = Some(rule.draft(mode));
            }
        }
        let preview = match self.preview_distribution(&case, &day.to_string()) {
            Ok(p) => Some(p),
            Err(AppError::Validation(e)) => {
                errors.errors.extend(e.errors);
                None
            }
            Err(e) => return Err(e),
        };
        let (Some(title), Some(preview), true) = (title, preview, errors.is_empty()) else { return Err(errors.into()) };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        self.check_links(&mut tx, actor, institution, (draft.deal_id, draft.contract_id, draft.achievement_id)).await?;
        let head = DistributionHead {
            title,
            deal_id: draft.deal_id,
            contract_id: draft.contract_id,
            achievement_id: draft.achievement_id.map(AchievementId),
            case_date: day,
            income_received_on: received,
            state_run: case.state_run,
        };
        let saved = repo::insert(&mut tx, institution, &head, &case, &preview.result, &preview.rules.profile).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn distributions(
        &self,
        actor: &Actor,
        status: Option<DistributionStatus>,
    ) -> Result<Vec<DistributionRow>> {
        let scope = actor.internal_scope(Permission::DistributionRead)?;
        let mut r = self.store().reader().await?;
        Ok(repo::list(&mut r, scope, status, 1000).await?)
    }

    pub async fn distribution(&self, actor: &Actor, id: i64) -> Result<DistributionView> {
        let scope = actor.internal_scope(Permission::DistributionRead)?;
        let mut r = self.store().reader().await?;
        let record = repo::get(&mut r, scope, id).await.map_err(not_found)?;
        let mut notices = Vec::new();
        for n in notice_repo::for_subject(&mut r, NoticeSubject::Reward, record.id).await? {
            let objections = notice_repo::objections(&mut r, n.id).await?;
            notices.push((n, objections));
        }
        let registered = match record.head.contract_id {
            Some(c) => contracts::get(&mut r, Scope::All, c).await.ok().is_some_and(|k| k.registration.is_some()),
            None => false,
        };
        drop(r);
        let rules = self.case_rules(record.result.mode, record.head.case_date).ok();
        let taxes = match &rules {
            Some(rules) => {
                let facts = RewardFacts {
                    payer_non_profit: record.head.state_run,
                    mode: record.result.mode,
                    contract_registered: registered,
                    notice_completed: matches!(record.status, DistributionStatus::Noticed | DistributionStatus::Paid),
                    income_received_on: record.head.income_received_on,
                    paid_on: record.paid_on.unwrap_or_else(|| self.today()),
                };
                record
                    .result
                    .lines
                    .iter()
                    .enumerate()
                    .filter_map(|(position, l)| {
                        l.form.map(|form| LineTax { position, tax: reward_tax(form, l.amount, &facts, &rules.tax) })
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let can_manage = actor.require_for(Permission::DistributionManage, record.institution_id).is_ok();
        let can_approve = actor.require_for(Permission::DistributionApprove, record.institution_id).is_ok();
        Ok(DistributionView { record, taxes, notices, can_manage, can_approve, rules })
    }

    /// The audit events of a distribution the actor may read (its timeline), oldest first.
    pub async fn distribution_events(&self, actor: &Actor, id: i64) -> Result<Vec<tto_store::audit::AuditEvent>> {
        let scope = actor.internal_scope(Permission::DistributionRead)?;
        let mut r = self.store().reader().await?;
        let record = repo::get(&mut r, scope, id).await.map_err(not_found)?;
        Ok(tto_store::audit::for_entity(&mut r, "distribution", &record.id.to_string()).await?)
    }

    async fn load_distribution(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        id: i64,
        version: i64,
        permission: Permission,
    ) -> Result<DistributionRecord> {
        actor.require(permission)?;
        let d = repo::get(tx, Scope::All, id).await.map_err(not_found)?;
        actor.require_for(permission, d.institution_id).map_err(|e| match e {
            AppError::NotFound { .. } => AppError::NotFound { entity: "distribution" },
            other => other,
        })?;
        if d.version != version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        Ok(d)
    }

    fn step_error(from: DistributionStatus, action: &str) -> AppError {
        AppError::conflict(
            "status",
            rule("illegal_distribution_transition", format!("cannot {action} a distribution that is {from}")),
        )
    }

    /// The TTO administrator approves the computed distribution.
    pub async fn approve_distribution(&self, actor: &Actor, id: i64, version: i64) -> Result<DistributionRecord> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_distribution(&mut tx, actor, id, version, Permission::DistributionApprove).await?;
        if before.status != DistributionStatus::Draft {
            return Err(Self::step_error(before.status, "approve"));
        }
        let after = DistributionRecord {
            status: DistributionStatus::Approved,
            approved_on: Some(self.today()),
            ..before.clone()
        };
        let saved = repo::save_workflow(&mut tx, &before, &after, "distribution.approve").await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Starts the public notice of the rewards (names, amounts, leaders flagged).
    pub async fn start_distribution_notice(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        starts: &str,
        ends: &str,
    ) -> Result<Notice> {
        let today = self.today();
        let mut errors = ValidationErrors::new();
        let starts_on = errors.collect("starts_on", tto_domain::period::parse_date(starts));
        let ends_on = errors.collect("ends_on", tto_domain::period::parse_date(ends));
        let (Some(starts_on), Some(ends_on), true) = (starts_on, ends_on, errors.is_empty()) else {
            return Err(errors.into());
        };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_distribution(&mut tx, actor, id, version, Permission::DistributionManage).await?;
        if before.status != DistributionStatus::Approved {
            return Err(Self::step_error(before.status, "notice"));
        }
        let rules = self.case_rules(before.result.mode, before.head.case_date)?;
        let citation =
            rules.parameters.iter().find(|p| p.key == ParamKey::NoticeMinDays).map(citation_of).unwrap_or_default();
        tto_domain::notice::check_period(starts_on, ends_on, today, rules.notice_min_days, &citation)?;
        let content = serde_json::json!({
            "institution": before.institution_name,
            "distribution_id": before.id,
            "title": before.head.title,
            "mode": before.result.mode.code(),
            "unit": before.result.unit.code(),
            "recipients": before.result.lines.iter().filter(|l| l.form.is_some()).map(|l| serde_json::json!({
                "name": l.recipient,
                "amount": l.amount,
                "year": l.year,
                "form": l.form.map(|f| f.code()),
                "leader": l.leader,
            })).collect::<Vec<_>>(),
            "objections_until": ends_on.to_string(),
        });
        let title = format!("{} · 奖励公示", before.head.title);
        let notice = notice_repo::insert(
            &mut tx,
            before.institution_id,
            NoticeSubject::Reward,
            before.id,
            &title,
            &content,
            starts_on,
            ends_on,
        )
        .await?;
        let after = DistributionRecord { status: DistributionStatus::Noticing, ..before.clone() };
        repo::save_workflow(&mut tx, &before, &after, "distribution.start_notice").await?;
        tx.commit().await?;
        Ok(notice)
    }

    /// The notice of a distribution closed (called by the notice machinery).
    pub(crate) async fn distribution_noticed(&self, tx: &mut WriteTx, id: i64) -> Result<()> {
        let before = repo::get(tx, Scope::All, id).await?;
        if before.status == DistributionStatus::Noticing {
            let after = DistributionRecord { status: DistributionStatus::Noticed, ..before.clone() };
            repo::save_workflow(tx, &before, &after, "distribution.noticed").await?;
        }
        Ok(())
    }

    /// An objection to the rewards was upheld: back to draft (recompute, approve, notice again).
    pub(crate) async fn distribution_objection_upheld(&self, tx: &mut WriteTx, id: i64) -> Result<()> {
        let before = repo::get(tx, Scope::All, id).await?;
        if before.status == DistributionStatus::Noticing {
            let after = DistributionRecord { status: DistributionStatus::Draft, approved_on: None, ..before.clone() };
            repo::save_workflow(tx, &before, &after, "distribution.return_to_draft").await?;
        }
        Ok(())
    }

    /// Records the payment of the rewards (after the notice).
    pub async fn pay_distribution(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        paid_on: &str,
    ) -> Result<DistributionRecord> {
        let day = tto_domain::period::parse_date(paid_on).map_err(|v| AppError::field("paid_on", v))?;
        if day > self.today() {
            return Err(AppError::field("paid_on", rule("in_the_future", "the payment date is in the future")));
        }
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_distribution(&mut tx, actor, id, version, Permission::DistributionManage).await?;
        if before.status != DistributionStatus::Noticed {
            return Err(Self::step_error(before.status, "pay"));
        }
        let open = notice_repo::for_subject(&mut tx, NoticeSubject::Reward, before.id).await?;
        // The rewards are paid after the notice, not during it.
        if let Some(n) =
            open.iter().filter(|n| n.status == tto_domain::notice::NoticeStatus::Closed).max_by_key(|n| n.ends_on)
            && day <= n.ends_on
        {
            return Err(AppError::field(
                "paid_on",
                rule("notice_not_finished", format!("the notice ran until {}", n.ends_on)),
            ));
        }
        for n in &open {
            if notice_repo::objections(&mut tx, n.id).await?.iter().any(|o| o.status == ObjectionStatus::Open) {
                return Err(AppError::conflict("status", rule("objection_open", "an objection is still open")));
            }
        }
        let after = DistributionRecord { status: DistributionStatus::Paid, paid_on: Some(day), ..before.clone() };
        let saved = repo::save_workflow(&mut tx, &before, &after, "distribution.pay").await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn cancel_distribution(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        reason: &str,
    ) -> Result<DistributionRecord> {
        let mut errors = ValidationErrors::new();
        let reason = tto_domain::validation::required_text(&mut errors, "cancel_reason", reason, 500);
        let Some(reason) = reason else { return Err(errors.into()) };
        let today = self.today();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_distribution(&mut tx, actor, id, version, Permission::DistributionManage).await?;
        if matches!(before.status, DistributionStatus::Paid | DistributionStatus::Cancelled) {
            return Err(Self::step_error(before.status, "cancel"));
        }
        for n in notice_repo::for_subject(&mut tx, NoticeSubject::Reward, before.id).await? {
            if n.status == tto_domain::notice::NoticeStatus::Open {
                notice_repo::finish(
                    &mut tx,
                    &n,
                    tto_domain::notice::NoticeStatus::Terminated,
                    today,
                    "notice.terminate",
                )
                .await?;
            }
        }
        let after =
            DistributionRecord { status: DistributionStatus::Cancelled, cancel_reason: Some(reason), ..before.clone() };
        let saved = repo::save_workflow(&mut tx, &before, &after, "distribution.cancel").await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// A person's rewards across the actor's distributions.
    pub async fn statement(&self, actor: &Actor, recipient: &str) -> Result<Vec<StatementLine>> {
        let scope = actor.internal_scope(Permission::DistributionRead)?;
        let recipient = recipient.trim();
        if recipient.is_empty() {
            return Err(AppError::field("recipient", Violation::Required));
        }
        let mut r = self.store().reader().await?;
        Ok(repo::statement(&mut r, scope, recipient).await?)
    }
}

/// The default position of the TTO reward (documented in the trail when no rule says).
pub const DEFAULT_TTO_POSITION: TtoPosition = TtoPosition::FromUniversityShare;
