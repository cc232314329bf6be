//! Central release (集中发布, measure 十四): fiscally funded achievements not converted within
//! the profile's period are published together on the public portal and handed to the
//! technology exchange as an export file.
//!
//! The period is a profile parameter graded U (the measure says "a certain period"); the
//! candidates page shows it with its source and the "needs confirmation" mark.

use time::Date;
use tto_domain::policy::{ParamKey, Parameter};
use tto_domain::{AchievementId, ValidationErrors, Violation};
use tto_store::releases::{self as repo, Campaign, CampaignStatus, ReleaseItem};
use tto_store::{Scope, StoreError};

use crate::authz::{Actor, Permission};
use crate::deals::rule;
use crate::{App, AppError, Result};

/// Candidates with the rule that selected them.
#[derive(Debug, Clone)]
pub struct ReleaseCandidates {
    pub items: Vec<ReleaseItem>,
    /// Completed on or before this day.
    pub completed_by: Date,
    pub years: u32,
    pub parameter: Parameter,
}

fn campaign_not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "release campaign" },
        other => other.into(),
    }
}

impl App {
    pub async fn release_candidates(&self, actor: &Actor) -> Result<ReleaseCandidates> {
        let scope = actor.internal_scope(Permission::ReleaseManage)?;
        let today = self.today();
        let profile = self.profile_id(today)?;
        let (years, resolved) = self
            .policy()
            .count(&profile, ParamKey::CentralReleaseUnconvertedYears, today)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        // Three years before 29 February is 28 February (not today, which would make every
        // completed achievement a candidate).
        let year = today.year() - years as i32;
        let completed_by = today
            .replace_year(year)
            .or_else(|_| Date::from_calendar_date(year, time::Month::February, 28))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut r = self.store().reader().await?;
        let items = repo::candidates(&mut r, scope, completed_by, 5000).await?;
        Ok(ReleaseCandidates { items, completed_by, years, parameter: resolved.parameter.clone() })
    }

    /// Campaigns: published ones for everyone, drafts for their institution (and regulators).
    pub async fn release_campaigns(&self, actor: &Actor) -> Result<Vec<Campaign>> {
        let mut r = self.store().reader().await?;
        Ok(repo::list(&mut r, actor.catalogue_scope(Permission::ReleaseManage), 200).await?)
    }

    pub async fn release_campaign(&self, actor: &Actor, id: i64) -> Result<(Campaign, bool)> {
        let mut r = self.store().reader().await?;
        let c = repo::get(&mut r, actor.catalogue_scope(Permission::ReleaseManage), id)
            .await
            .map_err(campaign_not_found)?;
        let can_manage = actor.require_for(Permission::ReleaseManage, c.institution_id).is_ok();
        Ok((c, can_manage))
    }

    /// Drafts a campaign of candidates the actor may release.
    pub async fn create_release_campaign(
        &self,
        actor: &Actor,
        title: &str,
        description: &str,
        achievements: &[i64],
    ) -> Result<Campaign> {
        actor.require(Permission::ReleaseManage)?;
        let institution = actor.institution_id().ok_or(AppError::Forbidden)?;
        let mut errors = ValidationErrors::new();
        let title = tto_domain::validation::required_text(&mut errors, "title", title, 200);
        let description = tto_domain::validation::optional_text(&mut errors, "description", Some(description), 5000)
            .unwrap_or_default();
        if achievements.is_empty() {
            errors.add("achievements", Violation::Required);
        }
        let mut seen = std::collections::BTreeSet::new();
        if achievements.iter().any(|a| !seen.insert(*a)) {
            errors.add("achievements", Violation::Duplicate { value: "achievement".into() });
        }
        let candidates = self.release_candidates(actor).await?;
        for id in achievements {
            if !candidates.items.iter().any(|c| c.achievement_id.0 == *id) {
                errors.add("achievements", rule("not_a_release_candidate", id.to_string()));
            }
        }
        let (Some(title), true) = (title, errors.is_empty()) else { return Err(errors.into()) };
        let profile = self.profile_id(self.today())?;
        let ids: Vec<AchievementId> = achievements.iter().copied().map(AchievementId).collect();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let saved = repo::insert(&mut tx, institution, &title, &description, &ids, &profile).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn publish_release_campaign(&self, actor: &Actor, id: i64, version: i64) -> Result<Campaign> {
        actor.require(Permission::ReleaseManage)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = repo::get(&mut tx, Scope::All, id).await.map_err(campaign_not_found)?;
        actor
            .require_for(Permission::ReleaseManage, before.institution_id)
            .map_err(|_| AppError::NotFound { entity: "release campaign" })?;
        if before.version != version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        if before.status != CampaignStatus::Draft {
            return Err(AppError::conflict("status", rule("already_published", "the campaign is already published")));
        }
        let saved = repo::publish(&mut tx, &before, self.today()).await?;
        tx.commit().await?;
        Ok(saved)
    }
}
