//! The separate ledger (单列管理, measure 十): assessments, conversions, bookings,
//! reconciliation.

use tto_domain::ledger::{AssessmentDraft, Conversion, ConversionDraft, LedgerAssessment};
use tto_domain::policy::ParamKey;
use tto_domain::{Achievement, AchievementId, Violation};
use tto_store::ledger::{self as repo, ConversionRecord, LedgerEntry, LedgerFilter, LedgerRow, Reconciliation};
use tto_store::{Scope, StoreError, achievements};

use crate::authz::{Actor, Permission};
use crate::{App, AppError, Result};

pub use tto_store::ledger::LedgerFilter as LedgerListFilter;

#[derive(Debug, Clone)]
pub struct LedgerView {
    pub achievement: Achievement,
    pub entry: Option<LedgerEntry>,
    pub conversions: Vec<ConversionRecord>,
    pub can_manage: bool,
    /// The rule behind "not recognised before conversion" with its source.
    pub rule: Option<tto_domain::policy::Parameter>,
}

fn achievement_not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "achievement" },
        other => other.into(),
    }
}

impl App {
    fn ledger_rule(&self) -> Option<tto_domain::policy::Parameter> {
        let day = self.today();
        let profile = self.profile_on(day)?;
        self.policy()
            .resolve(&profile.id, ParamKey::LedgerUnmeasurableNotRecognised, day)
            .ok()
            .map(|r| r.parameter.clone())
    }

    pub async fn ledger(&self, actor: &Actor, filter: &LedgerFilter) -> Result<Vec<LedgerRow>> {
        let scope = actor.internal_scope(Permission::LedgerRead)?;
        let mut r = self.store().reader().await?;
        Ok(repo::list(&mut r, scope, filter, 20_000).await?)
    }

    pub async fn ledger_view(&self, actor: &Actor, achievement: AchievementId) -> Result<LedgerView> {
        let scope = actor.internal_scope(Permission::LedgerRead)?;
        let mut r = self.store().reader().await?;
        let a = achievements::get(&mut r, scope, achievement).await.map_err(achievement_not_found)?;
        let entry = repo::entry_for(&mut r, Scope::All, a.id).await?;
        let conversions = repo::conversions(&mut r, a.id).await?;
        let can_manage = actor.require_for(Permission::LedgerManage, a.institution_id).is_ok();
        Ok(LedgerView { achievement: a, entry, conversions, can_manage, rule: self.ledger_rule() })
    }

    /// Changes the assessment of an entry (stage, measurability, recognition before conversion).
    pub async fn assess_ledger(
        &self,
        actor: &Actor,
        achievement: AchievementId,
        version: i64,
        draft: &AssessmentDraft,
    ) -> Result<LedgerEntry> {
        actor.require(Permission::LedgerManage)?;
        let rule = self.ledger_rule().map(|p| crate::empowerment::citation_of(&p)).unwrap_or_default();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let a = achievements::get(&mut tx, Scope::All, achievement).await.map_err(achievement_not_found)?;
        actor.require_for(Permission::LedgerManage, a.institution_id)?;
        let entry =
            repo::entry_for(&mut tx, Scope::All, a.id).await?.ok_or(AppError::NotFound { entity: "ledger entry" })?;
        if entry.version != version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        let booked = entry.assessment.recognition == tto_domain::ledger::Recognition::Booked;
        let mut assessment = LedgerAssessment::validate(draft, booked, &rule)?;
        if booked {
            assessment.book_value = entry.assessment.book_value;
        }
        let saved = repo::save_assessment(&mut tx, &entry, version, &assessment, "ledger.assess").await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Records a conversion (transfer, licence, equity investment) of an achievement.
    pub async fn record_conversion(
        &self,
        actor: &Actor,
        achievement: AchievementId,
        draft: &ConversionDraft,
    ) -> Result<ConversionRecord> {
        actor.require(Permission::LedgerManage)?;
        let conversion = Conversion::validate(draft)?;
        if conversion.occurred_on > self.today() {
            return Err(AppError::field(
                "occurred_on",
                Violation::Rule { code: "in_the_future", detail: "the conversion date is in the future".into() },
            ));
        }
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let a = achievements::get(&mut tx, Scope::All, achievement).await.map_err(achievement_not_found)?;
        actor.require_for(Permission::LedgerManage, a.institution_id)?;
        let record = repo::insert_conversion(&mut tx, a.institution_id, a.id, &conversion).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Books a recorded conversion in the achievement's ledger entry.
    pub async fn book_conversion(&self, actor: &Actor, conversion_id: i64, booked_on: &str) -> Result<LedgerEntry> {
        actor.require(Permission::LedgerManage)?;
        let day = tto_domain::period::parse_date(booked_on).map_err(|v| AppError::field("booked_on", v))?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let conversion = repo::conversion(&mut tx, Scope::All, conversion_id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::field(
                "conversion",
                Violation::Rule {
                    code: "booking_needs_conversion",
                    detail: "booking needs a recorded conversion (transfer, licence or equity investment)".into(),
                },
            ),
            other => other.into(),
        })?;
        actor.require_for(Permission::LedgerManage, conversion.institution_id)?;
        if conversion.booked_on.is_some() {
            return Err(AppError::conflict(
                "conversion",
                Violation::Rule { code: "already_booked", detail: "this conversion is already booked".into() },
            ));
        }
        if day < conversion.conversion.occurred_on {
            return Err(AppError::field(
                "booked_on",
                Violation::Rule { code: "before_conversion", detail: "booked before the conversion happened".into() },
            ));
        }
        let entry = repo::entry_for(&mut tx, Scope::All, conversion.achievement_id).await?.ok_or_else(|| {
            AppError::conflict(
                "achievement",
                Violation::Rule {
                    code: "no_ledger_entry",
                    detail: "the achievement has no separate-ledger entry (not job-related?)".into(),
                },
            )
        })?;
        let saved = repo::book(&mut tx, &entry, &conversion, day).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn reconcile_ledger(&self, actor: &Actor) -> Result<Reconciliation> {
        let scope = actor.internal_scope(Permission::LedgerRead)?;
        let mut r = self.store().reader().await?;
        Ok(repo::reconcile(&mut r, scope).await?)
    }

    /// Opens entries for job-related achievements that have none (found by reconciliation).
    pub async fn open_missing_ledger_entries(&self, actor: &Actor) -> Result<usize> {
        let scope = actor.internal_scope(Permission::LedgerManage)?;
        let found = {
            let mut r = self.store().reader().await?;
            repo::reconcile(&mut r, scope).await?.missing
        };
        if found.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        for (id, ..) in &found {
            let a = achievements::get(&mut tx, Scope::All, *id).await?;
            repo::open_entry(&mut tx, a.institution_id, a.id).await?;
        }
        tx.commit().await?;
        Ok(found.len())
    }
}
