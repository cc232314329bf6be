//! IP records with annuity deadlines and reminders, the patent-conversion programme, and the
//! dynamic monitoring of major achievements (measure 六).

use rust_decimal::Decimal;
use time::Date;
use tto_domain::ip::{self as rules, Annuity, IpDraft, IpFields, IpKind, LegalStatus, ProgrammeStatus};
use tto_domain::monitoring::{Alert, Indicators, alerts};
use tto_domain::policy::{ParamKey, ParamValue, Parameter};
use tto_domain::{Achievement, AchievementId, InstitutionId, Money, Violation};
use tto_store::ip::{self as repo, AnnuityPayment, IpFilter, IpRecord, Reminder};
use tto_store::{Scope, StoreError, achievements, audit, contracts, deals, reviews};

use crate::authz::{Actor, Permission};
use crate::deals::rule;
use crate::{App, AppError, Result};

/// An annuity with its payment, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnuityLine {
    pub annuity: Annuity,
    pub payment: Option<AnnuityPayment>,
    pub overdue: bool,
}

#[derive(Debug, Clone)]
pub struct IpView {
    pub record: IpRecord,
    pub annuities: Vec<AnnuityLine>,
    pub expires_on: Option<Date>,
    pub can_manage: bool,
    pub term: Option<Parameter>,
}

/// An overdue or coming annuity across the actor's patents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAnnuity {
    pub record: IpRecord,
    pub annuity: Annuity,
    pub overdue: bool,
}

/// A watched major achievement.
#[derive(Debug, Clone)]
pub struct Watched {
    pub achievement: tto_store::achievements::Row,
    pub indicators: Indicators,
    pub alerts: Vec<Alert>,
}

/// The conversion rate of granted patents in the programme, per university.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeRate {
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub granted: usize,
    pub in_programme: usize,
    pub converted: usize,
    /// Converted / in programme, percent with one decimal (None without patents in it).
    pub rate: Option<Decimal>,
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "IP record" },
        other => other.into(),
    }
}

impl App {
    fn param(&self, key: ParamKey, day: Date) -> Result<Parameter> {
        let profile = self.profile_id(day)?;
        self.policy()
            .resolve(&profile, key, day)
            .map(|r| r.parameter.clone())
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    fn count_param(&self, key: ParamKey, day: Date) -> Result<u32> {
        match self.param(key, day)?.value {
            ParamValue::Days(n) | ParamValue::Months(n) | ParamValue::Years(n) | ParamValue::Count(n) => Ok(n),
            _ => Err(AppError::Internal(format!("{} is not a count", key.code()))),
        }
    }

    /// The term parameter of a kind (patents only).
    fn term(&self, kind: IpKind, day: Date) -> Result<Option<Parameter>> {
        let key = match kind {
            IpKind::InventionPatent => ParamKey::PatentTermInvention,
            IpKind::UtilityModel => ParamKey::PatentTermUtilityModel,
            IpKind::Design => ParamKey::PatentTermDesign,
            _ => return Ok(None),
        };
        self.param(key, day).map(Some)
    }

    fn annuity_lines(
        &self,
        r: &IpRecord,
        payments: &[AnnuityPayment],
    ) -> Result<(Vec<AnnuityLine>, Option<Date>, Option<Parameter>)> {
        let today = self.today();
        // Terms have not changed since the 2008 patent law; read them from today's profile.
        let term = self.term(r.fields.kind, today)?;
        let years = match term.as_ref().map(|p| &p.value) {
            Some(ParamValue::Years(y)) => Some(*y),
            _ => None,
        };
        let (Some(years), Some(grant)) = (years, r.fields.grant_date) else {
            return Ok((Vec::new(), years.map(|y| rules::expires_on(r.fields.filing_date, y)), term));
        };
        let active = r.fields.legal_status == LegalStatus::Granted;
        let lines = rules::annuities(r.fields.filing_date, grant, years)
            .into_iter()
            .map(|a| {
                let payment = payments.iter().find(|p| p.year == a.year).cloned();
                AnnuityLine { overdue: active && payment.is_none() && a.due_on < today, annuity: a, payment }
            })
            .collect();
        Ok((lines, Some(rules::expires_on(r.fields.filing_date, years)), term))
    }

    pub async fn ip_records(&self, actor: &Actor, filter: &IpFilter) -> Result<Vec<IpRecord>> {
        let scope = actor.internal_scope(Permission::IpRead)?;
        let mut r = self.store().reader().await?;
        Ok(repo::list(&mut r, scope, filter, 2000).await?)
    }

    pub async fn ip_record(&self, actor: &Actor, id: i64) -> Result<IpView> {
        let scope = actor.internal_scope(Permission::IpRead)?;
        let mut r = self.store().reader().await?;
        let record = repo::get(&mut r, scope, id).await.map_err(not_found)?;
        let payments = repo::payments(&mut r, id).await?;
        let (annuities, expires_on, term) = self.annuity_lines(&record, &payments)?;
        let can_manage = actor.require_for(Permission::IpManage, record.institution_id).is_ok();
        Ok(IpView { record, annuities, expires_on, can_manage, term })
    }

    async fn linked_achievement(
        &self,
        tx: &mut tto_store::WriteTx,
        institution: InstitutionId,
        id: Option<i64>,
    ) -> Result<Option<AchievementId>> {
        match id {
            None => Ok(None),
            Some(a) => achievements::get(tx, Scope::Institution(institution), AchievementId(a))
                .await
                .map(|a| Some(a.id))
                .map_err(|_| AppError::field("achievement_id", Violation::UnknownChoice { value: a.to_string() })),
        }
    }

    pub async fn create_ip_record(&self, actor: &Actor, achievement: Option<i64>, draft: &IpDraft) -> Result<IpRecord> {
        actor.require(Permission::IpManage)?;
        let institution = actor.institution_id().ok_or(AppError::Forbidden)?;
        let fields = IpFields::validate(draft, self.today())?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let achievement = self.linked_achievement(&mut tx, institution, achievement).await?;
        let saved = repo::insert(&mut tx, institution, achievement, &fields).await.map_err(|e| match e {
            StoreError::Duplicate(_) => {
                AppError::field("application_number", Violation::Duplicate { value: fields.application_number.clone() })
            }
            other => other.into(),
        })?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn load_ip(
        &self,
        tx: &mut tto_store::WriteTx,
        actor: &Actor,
        id: i64,
        version: Option<i64>,
    ) -> Result<IpRecord> {
        actor.require(Permission::IpManage)?;
        let r = repo::get(tx, Scope::All, id).await.map_err(not_found)?;
        actor
            .require_for(Permission::IpManage, r.institution_id)
            .map_err(|_| AppError::NotFound { entity: "IP record" })?;
        if version.is_some_and(|v| v != r.version) {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        Ok(r)
    }

    pub async fn update_ip_record(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        achievement: Option<i64>,
        draft: &IpDraft,
    ) -> Result<IpRecord> {
        let fields = IpFields::validate(draft, self.today())?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_ip(&mut tx, actor, id, Some(version)).await?;
        let achievement = self.linked_achievement(&mut tx, before.institution_id, achievement).await?;
        let programme = before.programme && fields.legal_status == LegalStatus::Granted;
        let saved = repo::update(
            &mut tx,
            &before,
            achievement,
            &fields,
            programme,
            before.programme_status.filter(|_| programme),
            "ip.update",
        )
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => {
                AppError::field("application_number", Violation::Duplicate { value: fields.application_number.clone() })
            }
            other => other.into(),
        })?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Puts a granted patent in (or takes it out of) the patent-conversion programme, or moves
    /// its programme status.
    pub async fn set_programme(&self, actor: &Actor, id: i64, version: i64, status: Option<&str>) -> Result<IpRecord> {
        let status =
            status.map(ProgrammeStatus::from_code).transpose().map_err(|v| AppError::field("programme_status", v))?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_ip(&mut tx, actor, id, Some(version)).await?;
        if status.is_some()
            && !(before.fields.legal_status == LegalStatus::Granted
                && matches!(before.fields.kind, IpKind::InventionPatent | IpKind::UtilityModel | IpKind::Design))
        {
            return Err(AppError::conflict(
                "programme_status",
                rule("not_a_granted_patent", before.fields.application_number.clone()),
            ));
        }
        let saved = repo::update(
            &mut tx,
            &before,
            before.achievement_id,
            &before.fields,
            status.is_some(),
            status,
            "ip.programme",
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Records an annuity payment.
    pub async fn pay_annuity(&self, actor: &Actor, id: i64, year: &str, paid_on: &str, amount: &str) -> Result<IpView> {
        let mut errors = tto_domain::ValidationErrors::new();
        let year = match year.trim().parse::<u32>() {
            Ok(y) if y >= 1 => Some(y),
            _ => {
                errors.add("year", Violation::InvalidFormat { expected: "whole_number" });
                None
            }
        };
        let day = errors.collect("paid_on", tto_domain::period::parse_date(paid_on));
        if day.is_some_and(|d| d > self.today()) {
            errors.add("paid_on", rule("in_the_future", "the date is in the future"));
        }
        let amount = if amount.trim().is_empty() {
            errors.add("amount", Violation::Required);
            None
        } else {
            errors.collect("amount", Money::parse(amount).and_then(Money::non_negative))
        };
        let (Some(year), Some(day), Some(amount), true) = (year, day, amount, errors.is_empty()) else {
            return Err(errors.into());
        };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let record = self.load_ip(&mut tx, actor, id, None).await?;
        let payments = repo::payments(&mut tx, id).await?;
        let (lines, ..) = self.annuity_lines(&record, &payments)?;
        match lines.iter().find(|l| l.annuity.year == year) {
            None => return Err(AppError::field("year", rule("no_such_annuity", year.to_string()))),
            Some(l) if l.payment.is_some() => {
                return Err(AppError::conflict("year", rule("annuity_paid", year.to_string())));
            }
            Some(_) => {}
        }
        repo::record_payment(&mut tx, &record, year, day, amount).await?;
        tx.commit().await?;
        self.ip_record(actor, id).await
    }

    /// Annuities overdue or due within the profile's reminder days, across the actor's patents.
    pub async fn due_annuities(&self, actor: &Actor) -> Result<Vec<DueAnnuity>> {
        let scope = actor.internal_scope(Permission::IpRead)?;
        let today = self.today();
        let horizon = self.count_param(ParamKey::IpAnnuityReminderDays, today)?;
        let mut r = self.store().reader().await?;
        let mut out = Vec::new();
        for record in repo::granted_patents(&mut r, scope).await? {
            let payments = repo::payments(&mut r, record.id).await?;
            let (lines, ..) = self.annuity_lines(&record, &payments)?;
            for l in lines.into_iter().filter(|l| l.payment.is_none()) {
                if l.overdue || (l.annuity.due_on - today).whole_days() <= i64::from(horizon) {
                    out.push(DueAnnuity { record: record.clone(), annuity: l.annuity, overdue: l.overdue });
                }
            }
        }
        out.sort_by_key(|d| d.annuity.due_on);
        Ok(out)
    }

    pub async fn reminders(&self, actor: &Actor) -> Result<Vec<Reminder>> {
        let scope = actor.internal_scope(Permission::IpRead)?;
        let mut r = self.store().reader().await?;
        Ok(repo::reminders(&mut r, scope, true, 500).await?)
    }

    /// The scheduled task's part: raises a reminder for every unpaid annuity due within the
    /// reminder days (once per annuity). Returns how many were raised.
    pub(crate) async fn raise_annuity_reminders(&self) -> Result<usize> {
        let system = Actor::system("scheduler");
        let due = self.due_annuities(&system).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store().write(system.audit_actor(), self.now()).await?;
        let mut raised = 0;
        for d in &due {
            if repo::raise_reminder(
                &mut tx,
                d.record.institution_id,
                "annuity",
                d.record.id,
                i64::from(d.annuity.year),
                d.annuity.due_on,
            )
            .await?
            {
                raised += 1;
            }
        }
        if raised > 0 {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(raised)
    }

    /// The patent-conversion programme: conversion rate of granted patents per university.
    pub async fn programme_rates(&self, actor: &Actor) -> Result<Vec<ProgrammeRate>> {
        let scope = actor.internal_scope(Permission::MonitoringRead)?;
        let mut r = self.store().reader().await?;
        let mut out: Vec<ProgrammeRate> = Vec::new();
        for p in repo::granted_patents(&mut r, scope).await? {
            let entry = match out.iter_mut().position(|x| x.institution_id == p.institution_id) {
                Some(i) => &mut out[i],
                None => {
                    out.push(ProgrammeRate {
                        institution_id: p.institution_id,
                        institution_name: p.institution_name.clone(),
                        granted: 0,
                        in_programme: 0,
                        converted: 0,
                        rate: None,
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            entry.granted += 1;
            if p.programme {
                entry.in_programme += 1;
                if p.programme_status == Some(ProgrammeStatus::Converted) {
                    entry.converted += 1;
                }
            }
        }
        for e in out.iter_mut() {
            if e.in_programme > 0 {
                let rate =
                    Decimal::from(e.converted as u64) * Decimal::ONE_HUNDRED / Decimal::from(e.in_programme as u64);
                e.rate = Some(rate.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero));
            }
        }
        out.sort_by(|a, b| a.institution_name.cmp(&b.institution_name));
        Ok(out)
    }

    /// The monitoring dashboard: every major achievement in scope with indicators and alerts.
    pub async fn monitoring(&self, actor: &Actor) -> Result<Vec<Watched>> {
        let scope = actor.internal_scope(Permission::MonitoringRead)?;
        let today = self.today();
        let stall = self.count_param(ParamKey::MonitoringStallMonths, today)?;
        let horizon = self.count_param(ParamKey::IpAnnuityReminderDays, today)?;
        let filter = tto_store::achievements::Filter { major: Some(true), ..Default::default() };
        let mut r = self.store().reader().await?;
        let rows = achievements::list(
            &mut r,
            scope,
            &filter,
            Default::default(),
            tto_store::achievements::Page::Offset { offset: 0, limit: 500 },
        )
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let a = achievements::get(&mut r, Scope::All, row.id).await?;
            let indicators = self.indicators(&mut r, &a).await?;
            let alerts = alerts(&indicators, today, stall, horizon);
            out.push(Watched { achievement: row, indicators, alerts });
        }
        out.sort_by_key(|w| std::cmp::Reverse(w.alerts.len()));
        Ok(out)
    }

    async fn indicators(&self, r: &mut tto_store::Reader, a: &Achievement) -> Result<Indicators> {
        // When the achievement entered its current status: the last audited status change.
        let events = audit::for_entity(r, "achievement", &a.id.0.to_string()).await?;
        let status_since = events
            .iter()
            .rev()
            .find(|e| e.action != "achievement.update" && e.action != "achievement.empowerment")
            .and_then(|e| tto_store::parse_timestamp(&e.occurred_at).ok())
            .map(|t| t.to_offset(self.settings().utc_offset).date())
            .unwrap_or_else(|| a.created_at.date());
        let filter = tto_store::deals::DealFilter { achievement: Some(a.id), ..Default::default() };
        let deal_rows = deals::list(r, Scope::All, &filter, 100).await?;
        let completed = deal_rows.iter().filter(|d| d.status == tto_domain::deal::DealStatus::Completed).count();
        let mut income = Money::ZERO;
        for d in &deal_rows {
            let cs = contracts::list(
                r,
                Scope::All,
                &tto_store::contracts::ContractFilter { deal: Some(d.id), ..Default::default() },
                100,
            )
            .await?;
            for c in cs {
                income = income.checked_add(c.received).unwrap_or(income);
            }
        }
        let evaluation_score = match reviews::evaluations(r, Scope::All, None, Some(a.id), 1).await?.first() {
            Some(e) => {
                let sheets: Vec<_> =
                    reviews::sheets(r, "evaluation", e.id).await?.into_iter().map(|s| s.sheet).collect();
                tto_domain::evaluation::aggregate(&e.template, &sheets).map(|g| g.score)
            }
            None => None,
        };
        let (mut next_annuity, mut overdue) = (None::<Date>, 0);
        for ip in repo::list(r, Scope::All, &IpFilter { achievement: Some(a.id), ..Default::default() }, 50).await? {
            let payments = repo::payments(r, ip.id).await?;
            let (lines, ..) = self.annuity_lines(&ip, &payments)?;
            for l in lines.iter().filter(|l| l.payment.is_none()) {
                if l.overdue {
                    overdue += 1;
                } else if next_annuity.is_none_or(|n| l.annuity.due_on < n) {
                    next_annuity = Some(l.annuity.due_on);
                }
            }
        }
        Ok(Indicators {
            status: a.status,
            status_since,
            deals: deal_rows.len(),
            completed_deals: completed,
            income,
            evaluation_score,
            next_annuity,
            overdue_annuities: overdue,
        })
    }
}
