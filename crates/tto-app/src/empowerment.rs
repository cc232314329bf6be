//! Ownership empowerment (赋权, measure 九): draft, approve, notice, take effect, cancel.

use time::Date;
use tto_domain::empowerment::{
    AgreementAction, AgreementStatus, AgreementTerms, EmpowermentKind, EmpowermentRules, TermsDraft, conflict,
    notice_period, ownership_after,
};
use tto_domain::policy::ParamKey;
use tto_domain::{Achievement, AchievementId, Period, ValidationErrors, Violation};
use tto_store::empowerment::{self as repo, Agreement, AgreementFilter, AgreementRow};
use tto_store::{Scope, StoreError, achievements, institutions};

use crate::authz::{Actor, Permission};
use crate::{App, AppError, Result};

pub use tto_store::empowerment::AgreementFilter as EmpowermentFilter;

/// An agreement with what the actor may do next and the rules that apply.
#[derive(Debug, Clone)]
pub struct AgreementView {
    pub agreement: Agreement,
    pub achievement: Achievement,
    pub actions: Vec<AgreementAction>,
    pub can_approve: bool,
    pub notice_required: bool,
    pub notice_min_days: u32,
    /// The profile parameters behind the checks (for the page's 计算依据).
    pub rules: Vec<tto_domain::policy::Parameter>,
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "agreement" },
        other => other.into(),
    }
}

fn date_field(field: &str, raw: &str) -> Result<Date> {
    tto_domain::period::parse_date(raw).map_err(|v| AppError::field(field, v))
}

/// "天津市…（九）" — a parameter's citation for messages.
pub fn citation_of(p: &tto_domain::policy::Parameter) -> String {
    match &p.source.article {
        Some(a) => format!("{} {a}", p.source.document),
        None => p.source.document.clone(),
    }
}

impl App {
    pub(crate) fn profile_id(&self, day: Date) -> Result<String> {
        self.profile_on(day).map(|p| p.id.clone()).ok_or(AppError::NotFound { entity: "policy profile" })
    }

    fn empowerment_rules(
        &self,
        day: Date,
    ) -> Result<(EmpowermentRules, bool, u32, Vec<tto_domain::policy::Parameter>)> {
        let profile = self.profile_id(day)?;
        let policy = self.policy();
        let internal = |e: tto_domain::policy::PolicyError| AppError::Internal(e.to_string());
        let (years, years_p) = policy.count(&profile, ParamKey::EmpowermentUseRightMinTerm, day).map_err(internal)?;
        let (notice, notice_p) = policy.flag(&profile, ParamKey::EmpowermentNoticeRequired, day).map_err(internal)?;
        let (days, days_p) = policy.count(&profile, ParamKey::NoticeMinDays, day).map_err(internal)?;
        let rules = EmpowermentRules { use_right_min_years: years, use_right_rule: citation_of(years_p.parameter) };
        let params = vec![years_p.parameter.clone(), notice_p.parameter.clone(), days_p.parameter.clone()];
        Ok((rules, notice, days, params))
    }

    pub async fn empowerment_agreements(&self, actor: &Actor, filter: &AgreementFilter) -> Result<Vec<AgreementRow>> {
        let scope = actor.internal_scope(Permission::EmpowermentRead)?;
        let mut r = self.store().reader().await?;
        Ok(repo::list(&mut r, scope, filter, 500).await?)
    }

    pub async fn empowerment_agreement(&self, actor: &Actor, id: i64) -> Result<AgreementView> {
        let scope = actor.internal_scope(Permission::EmpowermentRead)?;
        let mut r = self.store().reader().await?;
        let agreement = repo::get(&mut r, scope, id).await.map_err(not_found)?;
        let achievement = achievements::get(&mut r, Scope::All, agreement.achievement_id).await?;
        drop(r);
        let (_, notice_required, notice_min_days, rules) = self.empowerment_rules(self.today())?;
        let manage = actor.require_for(Permission::EmpowermentManage, agreement.institution_id).is_ok();
        let can_approve = actor.require_for(Permission::EmpowermentApprove, agreement.institution_id).is_ok();
        let actions = agreement
            .status
            .allowed_actions()
            .into_iter()
            .filter(|a| match a {
                AgreementAction::Approve => can_approve,
                AgreementAction::StartNotice => manage && notice_required,
                AgreementAction::TakeEffect => {
                    manage && (!notice_required || agreement.status == AgreementStatus::Noticing)
                }
                AgreementAction::Cancel => manage,
            })
            .collect();
        Ok(AgreementView { agreement, achievement, actions, can_approve, notice_required, notice_min_days, rules })
    }

    /// Agreements of one achievement, for its page.
    pub async fn empowerments_of(&self, actor: &Actor, achievement: AchievementId) -> Result<Vec<Agreement>> {
        let scope = actor.internal_scope(Permission::EmpowermentRead)?;
        let mut r = self.store().reader().await?;
        let a = achievements::get(&mut r, scope, achievement).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound { entity: "achievement" },
            other => other.into(),
        })?;
        Ok(repo::for_achievement(&mut r, a.id).await?)
    }

    /// Drafts an agreement for a job-related achievement.
    pub async fn create_empowerment(
        &self,
        actor: &Actor,
        achievement: AchievementId,
        draft: &TermsDraft,
    ) -> Result<Agreement> {
        actor.require(Permission::EmpowermentManage)?;
        let today = self.today();
        let (rules, ..) = self.empowerment_rules(today)?;
        let profile = self.profile_id(today)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let a = achievements::get(&mut tx, Scope::All, achievement).await.map_err(|e| match e {
            StoreError::NotFound => {
                AppError::field("achievement", Violation::UnknownChoice { value: achievement.to_string() })
            }
            other => other.into(),
        })?;
        actor.require_for(Permission::EmpowermentManage, a.institution_id)?;
        // Conflicts with the agreements already there come first: they explain more than
        // the shares would.
        let existing: Vec<_> = repo::for_achievement(&mut tx, a.id)
            .await?
            .into_iter()
            .filter(|g| g.status != AgreementStatus::Cancelled)
            .map(|g| (g.terms.kind, g.status, use_right_period(&g)))
            .collect();
        if let Ok(kind) = EmpowermentKind::from_code(&draft.kind)
            && let Some(v) = conflict(kind, &existing, today)
        {
            return Err(AppError::conflict("kind", v));
        }
        let terms = AgreementTerms::validate(draft, &a, today, &rules)?;
        let agreement = repo::insert(&mut tx, a.institution_id, a.id, &terms, &profile).await?;
        tx.commit().await?;
        Ok(agreement)
    }

    async fn load_for_action(
        &self,
        tx: &mut tto_store::WriteTx,
        actor: &Actor,
        id: i64,
        version: i64,
        permission: Permission,
        action: AgreementAction,
    ) -> Result<(Agreement, AgreementStatus)> {
        actor.require(permission)?;
        let agreement = repo::get(tx, Scope::All, id).await.map_err(not_found)?;
        actor.require_for(permission, agreement.institution_id)?;
        if agreement.version != version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        let next = agreement.status.apply(action).map_err(|e| {
            AppError::conflict(
                "status",
                Violation::Rule { code: "illegal_agreement_transition", detail: e.to_string() },
            )
        })?;
        Ok((agreement, next))
    }

    /// Records the coordination group's approval (measure 一).
    pub async fn approve_empowerment(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        approved_on: &str,
        approval_ref: &str,
    ) -> Result<Agreement> {
        let mut errors = ValidationErrors::new();
        let day = errors.collect("approved_on", tto_domain::period::parse_date(approved_on));
        if day.is_some_and(|d| d > self.today()) {
            errors.add(
                "approved_on",
                Violation::Rule { code: "in_the_future", detail: "the approval date is in the future".into() },
            );
        }
        let reference = tto_domain::validation::required_text(&mut errors, "approval_ref", approval_ref, 200);
        let (Some(day), Some(reference), true) = (day, reference, errors.is_empty()) else { return Err(errors.into()) };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let (before, status) = self
            .load_for_action(&mut tx, actor, id, version, Permission::EmpowermentApprove, AgreementAction::Approve)
            .await?;
        let after = Agreement { status, approved_on: Some(day), approval_ref: Some(reference), ..before.clone() };
        let saved = repo::save_workflow(&mut tx, &before, &after, "empowerment.approve").await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Starts the on-campus notice (at least the profile's minimum days).
    pub async fn start_empowerment_notice(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        starts: &str,
        ends: &str,
    ) -> Result<Agreement> {
        let today = self.today();
        let (_, required, min_days, params) = self.empowerment_rules(today)?;
        if !required {
            return Err(AppError::conflict(
                "status",
                Violation::Rule {
                    code: "notice_not_required",
                    detail: "the policy profile requires no notice for empowerment".into(),
                },
            ));
        }
        let period = notice_period(starts, ends, min_days, &citation_of(&params[2]))?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let (before, status) = self
            .load_for_action(&mut tx, actor, id, version, Permission::EmpowermentManage, AgreementAction::StartNotice)
            .await?;
        if before.approved_on.is_some_and(|a| period.start() < a) {
            return Err(AppError::field(
                "notice_starts_on",
                Violation::Rule { code: "before_approval", detail: "the notice starts before the approval".into() },
            ));
        }
        let after = Agreement {
            status,
            notice_starts_on: Some(period.start()),
            notice_ends_on: period.end(),
            ..before.clone()
        };
        let saved = repo::save_workflow(&mut tx, &before, &after, "empowerment.start_notice").await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// The agreement takes effect on `from`: ownership periods are updated (or the use right
    /// starts), in the same transaction.
    pub async fn empowerment_take_effect(&self, actor: &Actor, id: i64, version: i64, from: &str) -> Result<Agreement> {
        let from = date_field("effective_from", from)?;
        let today = self.today();
        let (rules, notice_required, _, _) = self.empowerment_rules(today)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let (before, status) = self
            .load_for_action(&mut tx, actor, id, version, Permission::EmpowermentManage, AgreementAction::TakeEffect)
            .await?;
        if notice_required {
            match before.notice_ends_on {
                None => {
                    return Err(AppError::conflict(
                        "status",
                        Violation::Rule {
                            code: "notice_required",
                            detail: "the agreement must be noticed on campus first".into(),
                        },
                    ));
                }
                Some(end) if end > today || from < end => {
                    return Err(AppError::field(
                        "effective_from",
                        Violation::Rule { code: "notice_not_finished", detail: format!("the notice runs until {end}") },
                    ));
                }
                _ => {}
            }
        }
        if before.approved_on.is_some_and(|a| from < a) {
            return Err(AppError::field(
                "effective_from",
                Violation::Rule { code: "before_approval", detail: "takes effect before it was approved".into() },
            ));
        }
        let achievement = achievements::get(&mut tx, Scope::All, before.achievement_id).await?;
        // The situation may have changed since drafting: check the terms again on `from`.
        let redraft = TermsDraft {
            kind: before.terms.kind.code().to_string(),
            parties: before.terms.parties.iter().map(|p| (p.name.clone(), p.share.value().to_string())).collect(),
            income_share: before.terms.income_share.value().to_string(),
            cost_share: before.terms.cost_share.value().to_string(),
            maintenance_share: before.terms.maintenance_share.value().to_string(),
            decision_rules: before.terms.decision_rules.clone(),
            term_years: before.terms.term_years.map(|y| y.to_string()),
            deal_reference: before.terms.deal_reference.clone(),
        };
        let use_right_rules = EmpowermentRules { use_right_min_years: 0, ..rules };
        AgreementTerms::validate(&redraft, &achievement, from, &use_right_rules)?;
        let mut after = Agreement { status, effective_from: Some(from), ..before.clone() };
        if before.terms.kind == EmpowermentKind::LongTermUseRight {
            let years = before.terms.term_years.unwrap_or(0) as i32;
            after.effective_until = Some(add_years(from, years));
        } else {
            let institution = institutions::get(&mut tx, achievement.institution_id).await?;
            let ownership = ownership_after(&achievement, &institution.fields.name, &before.terms, before.id, from)
                .map_err(|v| AppError::field("effective_from", v))?;
            let changed = Achievement { ownership, ..achievement.clone() };
            achievements::update(&mut tx, &achievement, achievement.version, changed, "achievement.empowerment")
                .await?;
        }
        let saved = repo::save_workflow(&mut tx, &before, &after, "empowerment.take_effect").await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn cancel_empowerment(&self, actor: &Actor, id: i64, version: i64, reason: &str) -> Result<Agreement> {
        let mut errors = ValidationErrors::new();
        let reason = tto_domain::validation::required_text(&mut errors, "cancel_reason", reason, 500);
        let Some(reason) = reason else { return Err(errors.into()) };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let (before, status) = self
            .load_for_action(&mut tx, actor, id, version, Permission::EmpowermentManage, AgreementAction::Cancel)
            .await?;
        let after = Agreement { status, cancel_reason: Some(reason), ..before.clone() };
        let saved = repo::save_workflow(&mut tx, &before, &after, "empowerment.cancel").await?;
        tx.commit().await?;
        Ok(saved)
    }
}

/// The same day `years` later (29 February becomes 1 March in common years).
fn add_years(day: Date, years: i32) -> Date {
    let year = day.year() + years;
    day.replace_year(year).unwrap_or_else(|_| Date::from_calendar_date(year, time::Month::March, 1).unwrap_or(day))
}

fn use_right_period(a: &Agreement) -> Option<Period> {
    a.effective_from.and_then(|f| Period::new(f, a.effective_until).ok())
}
