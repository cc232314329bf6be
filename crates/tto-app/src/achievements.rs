//! The achievement ledger: browse, open, create, edit, move through the lifecycle.

use tto_domain::achievement::{AchievementDraft, OwnershipPeriodDraft, original_ownership, validate_ownership};
use tto_domain::{
    Achievement, AchievementAction, AchievementFields, AchievementId, AchievementStatus, ChainCode, InstitutionId,
    Violation,
};
use tto_store::achievements::{self as repo, Filter, NewAchievement, Page, Row, Sort};
use tto_store::audit::{self, AuditEvent};
use tto_store::{Scope, StoreError, institutions};

use crate::authz::{Actor, Permission};
use crate::{App, AppError, Result};

pub use tto_store::achievements::{Filter as AchievementFilter, Page as AchievementPage, Sort as AchievementSort};

/// Largest page a caller may ask for.
pub const MAX_PAGE: i64 = 200;

/// One page of the list, with the total when numbered pages were asked for.
#[derive(Debug, Clone)]
pub struct Listing {
    pub rows: Vec<Row>,
    pub total: Option<i64>,
    /// Cursor for the next keyset page (API), when there is one.
    pub next_before: Option<AchievementId>,
}

/// An achievement as a given actor may see it.
#[derive(Debug, Clone)]
pub struct AchievementView {
    pub achievement: Achievement,
    pub institution_name: String,
    /// Confidential content (detail, contributors, ownership, funding references) was
    /// removed because the actor may only see public fields.
    pub redacted: bool,
    pub can_edit: bool,
    /// Lifecycle actions this actor may take now.
    pub actions: Vec<AchievementAction>,
    /// The industrial chain the text suggests and the record does not have yet, for those
    /// who may edit it to confirm.
    pub suggested_chain: Option<ChainCode>,
}

/// What the shared insert step needs.
pub(crate) struct Insert<'a> {
    pub institution_id: InstitutionId,
    pub fields: &'a AchievementFields,
    pub ownership: Option<Vec<tto_domain::OwnershipPeriod>>,
    pub status: AchievementStatus,
    pub external_ref: Option<String>,
    /// A ledger number to keep (imports of exports); otherwise the next one is assigned.
    pub code: Option<String>,
}

/// Home-page figures.
#[derive(Debug, Clone)]
pub struct Overview {
    pub total: i64,
    pub by_status: Vec<(AchievementStatus, i64)>,
    pub institutions: i64,
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "achievement" },
        other => other.into(),
    }
}

/// Removes what only the owning institution (and regulators) may see.
fn redact(mut a: Achievement) -> Achievement {
    a.fields.detail = None;
    a.fields.contributors.clear();
    a.fields.funding_refs.clear();
    a.ownership.clear();
    a
}

impl App {
    /// A page of the list. Results are cached against the data version, so repeated views
    /// of the same page cost no query until something changes.
    pub async fn list_achievements(&self, actor: &Actor, filter: &Filter, sort: Sort, page: Page) -> Result<Listing> {
        let scope = actor.catalogue_scope(Permission::AchievementRead);
        let page = match page {
            Page::Offset { offset, limit } => Page::Offset { offset: offset.max(0), limit: limit.clamp(1, MAX_PAGE) },
            Page::Before { id, limit } => Page::Before { id, limit: limit.clamp(1, MAX_PAGE) },
        };
        let sort = if matches!(page, Page::Before { .. }) { Sort::IdDesc } else { sort };
        let version = self.store().data_version().await?;
        let key = (scope, filter.clone(), sort, page);
        if let Some(hit) = self.cache().lists.get(&key, version) {
            return Ok(hit.as_ref().clone());
        }
        let _filling = self.cache().fill.lock().await;
        if let Some(hit) = self.cache().lists.get(&key, version) {
            return Ok(hit.as_ref().clone());
        }
        let mut r = self.store().reader().await?;
        let listing = match page {
            Page::Offset { .. } => {
                let rows = repo::list(&mut r, scope, filter, sort, page).await?;
                let count_key = (scope, filter.clone());
                let total = match self.cache().counts.get(&count_key, version) {
                    Some(n) => n,
                    None => {
                        let n = repo::count(&mut r, scope, filter).await?;
                        self.cache().counts.put(count_key, version, n);
                        n
                    }
                };
                Listing { rows, total: Some(total), next_before: None }
            }
            Page::Before { id, limit } => {
                let mut rows =
                    repo::list(&mut r, scope, filter, Sort::IdDesc, Page::Before { id, limit: limit + 1 }).await?;
                let more = rows.len() as i64 > limit;
                rows.truncate(limit as usize);
                let next_before = if more { rows.last().map(|r| r.id) } else { None };
                Listing { rows, total: None, next_before }
            }
        };
        self.cache().lists.put(key, version, std::sync::Arc::new(listing.clone()));
        Ok(listing)
    }

    pub async fn achievement(&self, actor: &Actor, id: AchievementId) -> Result<AchievementView> {
        let scope = actor.catalogue_scope(Permission::AchievementRead);
        let mut r = self.store().reader().await?;
        let achievement = repo::get(&mut r, scope, id).await.map_err(not_found)?;
        let institution = institutions::get(&mut r, achievement.institution_id).await?;
        let full_access = match scope {
            Scope::All => true,
            Scope::Institution(own) | Scope::OwnOrPublic(own) => own == achievement.institution_id,
            Scope::Public => false,
        };
        let can_edit = actor.require_for(Permission::AchievementEdit, achievement.institution_id).is_ok();
        let actions = if actor.require_for(Permission::AchievementTransition, achievement.institution_id).is_ok() {
            achievement.status.allowed_actions()
        } else {
            Vec::new()
        };
        let suggested_chain = if can_edit { self.suggested_chain(&achievement) } else { None };
        let achievement = if full_access { achievement } else { redact(achievement) };
        Ok(AchievementView {
            achievement,
            institution_name: institution.fields.name,
            redacted: !full_access,
            can_edit,
            actions,
            suggested_chain,
        })
    }

    /// The audit events of one achievement, oldest first (its timeline). Only for those
    /// who may see the full record.
    pub async fn achievement_timeline(&self, actor: &Actor, id: AchievementId) -> Result<Vec<AuditEvent>> {
        let view = self.achievement(actor, id).await?;
        if view.redacted {
            return Ok(Vec::new());
        }
        let mut r = self.store().reader().await?;
        Ok(audit::for_entity(&mut r, "achievement", &id.to_string()).await?)
    }

    /// The institution an actor creates achievements for: their own, or (for the system)
    /// the one named.
    fn target_institution(&self, actor: &Actor, requested: Option<InstitutionId>) -> Result<InstitutionId> {
        match actor {
            Actor::System { .. } => requested.ok_or_else(|| AppError::field("institution_id", Violation::Required)),
            Actor::User(u) => match requested {
                Some(id) if id != u.institution_id => Err(AppError::Forbidden),
                _ => Ok(u.institution_id),
            },
            Actor::Anonymous => Err(AppError::Unauthenticated),
        }
    }

    /// Registers a new achievement as a draft. Ownership defaults to the institution holding
    /// 100 % from the completion date.
    pub async fn create_achievement(
        &self,
        actor: &Actor,
        institution: Option<InstitutionId>,
        draft: &AchievementDraft,
        ownership: Option<&[OwnershipPeriodDraft]>,
        external_ref: Option<String>,
    ) -> Result<Achievement> {
        let institution_id = self.target_institution(actor, institution)?;
        actor.require_for(Permission::AchievementCreate, institution_id)?;
        let fields = AchievementFields::validate(draft, self.chains())?;
        let ownership = match ownership {
            Some(periods) => Some(validate_ownership(periods)?),
            None => None,
        };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let new = Insert {
            institution_id,
            fields: &fields,
            ownership,
            status: AchievementStatus::Draft,
            external_ref,
            code: None,
        };
        let achievement = self.insert_achievement(&mut tx, new).await?;
        tx.commit().await?;
        Ok(achievement)
    }

    /// The shared insert step of create and import: duplicate checks, ledger number,
    /// default ownership.
    pub(crate) async fn insert_achievement(&self, tx: &mut tto_store::WriteTx, new: Insert<'_>) -> Result<Achievement> {
        let Insert { institution_id, fields, ownership, status, external_ref, code } = new;
        let institution = institutions::get(tx, institution_id).await.map_err(|e| match e {
            StoreError::NotFound => {
                AppError::field("institution_id", Violation::UnknownChoice { value: institution_id.to_string() })
            }
            other => other.into(),
        })?;
        if repo::find_by_title(tx, institution_id, &fields.title).await?.is_some() {
            return Err(AppError::conflict("title", Violation::Duplicate { value: fields.title.clone() }));
        }
        if let Some(reference) = &external_ref
            && repo::find_by_external_ref(tx, institution_id, reference).await?.is_some()
        {
            return Err(AppError::conflict("external_ref", Violation::Duplicate { value: reference.clone() }));
        }
        let since = fields.completion_date.unwrap_or_else(|| self.today());
        let ownership =
            ownership.unwrap_or_else(|| vec![original_ownership(institution_id, &institution.fields.name, since)]);
        let code = match code {
            Some(code) => {
                if repo::find_by_code(tx, institution_id, &code).await?.is_some() {
                    return Err(AppError::conflict("code", Violation::Duplicate { value: code }));
                }
                code
            }
            None => repo::next_code(tx, institution_id, &institution.fields.short_code, tx.now().year()).await?,
        };
        let new = NewAchievement { institution_id, code, fields, ownership: &ownership, status, external_ref };
        let achievement = repo::insert(tx, new, "achievement.create").await?;
        if achievement.fields.job_related {
            // Every job-related achievement is kept in the separate ledger (measure 十).
            tto_store::ledger::open_entry(tx, institution_id, achievement.id).await?;
        }
        Ok(achievement)
    }

    /// Replaces the editable fields (and, when given, the ownership history) if the record
    /// is still at `expected_version`.
    pub async fn update_achievement(
        &self,
        actor: &Actor,
        id: AchievementId,
        expected_version: i64,
        draft: &AchievementDraft,
        ownership: Option<&[OwnershipPeriodDraft]>,
    ) -> Result<Achievement> {
        actor.require(Permission::AchievementEdit)?;
        let fields = AchievementFields::validate(draft, self.chains())?;
        let ownership = match ownership {
            Some(periods) => Some(validate_ownership(periods)?),
            None => None,
        };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = repo::get(&mut tx, Scope::All, id).await.map_err(not_found)?;
        actor.require_for(Permission::AchievementEdit, before.institution_id)?;
        if before.version != expected_version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        if fields.title != before.fields.title
            && repo::find_by_title(&mut tx, before.institution_id, &fields.title).await?.is_some()
        {
            return Err(AppError::conflict("title", Violation::Duplicate { value: fields.title.clone() }));
        }
        let mut after = before.clone();
        after.fields = fields;
        if let Some(periods) = ownership {
            after.ownership = periods;
        }
        if after.fields == before.fields && after.ownership == before.ownership {
            return Ok(before);
        }
        let saved = repo::update(&mut tx, &before, expected_version, after, "achievement.update").await?;
        if saved.fields.job_related {
            tto_store::ledger::open_entry(&mut tx, saved.institution_id, saved.id).await?;
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Moves an achievement through its lifecycle. `expected_version`, when given, guards
    /// against acting on a stale page.
    /// The chain an achievement's title, keywords and summary suggest most, if the record
    /// does not have it yet.
    pub fn suggested_chain(&self, a: &Achievement) -> Option<ChainCode> {
        let f = &a.fields;
        let text = format!("{} {} {}", f.title, f.keywords.join(" "), f.summary);
        self.chains().suggest(&text).into_iter().find(|c| !f.chains.contains(c))
    }

    /// Adds the suggested chain to an achievement (staff confirm what the text suggests).
    pub async fn confirm_achievement_chain(
        &self,
        actor: &Actor,
        id: AchievementId,
        expected_version: i64,
    ) -> Result<Achievement> {
        actor.require(Permission::AchievementEdit)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = repo::get(&mut tx, Scope::All, id).await.map_err(not_found)?;
        actor.require_for(Permission::AchievementEdit, before.institution_id)?;
        if before.version != expected_version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        let no_suggestion = || {
            AppError::conflict(
                "chains",
                Violation::Rule { code: "no_suggestion", detail: "there is no chain to confirm".into() },
            )
        };
        let chain = self.suggested_chain(&before).ok_or_else(no_suggestion)?;
        if before.fields.chains.len() >= tto_domain::achievement::CHAINS_MAX {
            return Err(AppError::field(
                "chains",
                Violation::OutOfRange { min: "0".into(), max: tto_domain::achievement::CHAINS_MAX.to_string() },
            ));
        }
        let mut after = before.clone();
        after.fields.chains.push(chain);
        let saved = repo::update(&mut tx, &before, before.version, after, "achievement.confirm_chain").await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn transition_achievement(
        &self,
        actor: &Actor,
        id: AchievementId,
        expected_version: Option<i64>,
        action: AchievementAction,
    ) -> Result<Achievement> {
        actor.require(Permission::AchievementTransition)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = repo::get(&mut tx, Scope::All, id).await.map_err(not_found)?;
        actor.require_for(Permission::AchievementTransition, before.institution_id)?;
        if expected_version.is_some_and(|v| v != before.version) {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        let status = before.status.apply(action)?;
        let after = Achievement { status, ..before.clone() };
        let action_name = format!("achievement.{}", action.code());
        let saved = repo::update(&mut tx, &before, before.version, after, &action_name).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn overview(&self, actor: &Actor) -> Result<Overview> {
        let scope = actor.catalogue_scope(Permission::AchievementRead);
        let head = self.store().data_version().await?;
        let _filling = self.cache().fill.lock().await;
        let mut r = self.store().reader().await?;
        let by_status = match self.cache().by_status.get(&scope, head) {
            Some(v) => v,
            None => {
                let v = repo::count_by_status(&mut r, scope).await?;
                self.cache().by_status.put(scope, head, v.clone());
                v
            }
        };
        let total = by_status.iter().map(|(_, n)| n).sum();
        let institutions = match self.cache().institutions.get(&(), head) {
            Some(n) => n,
            None => {
                let n = institutions::list(&mut r).await?.len() as i64;
                self.cache().institutions.put((), head, n);
                n
            }
        };
        Ok(Overview { total, by_status, institutions })
    }

    /// Disciplines present in what the actor may see (filter choices).
    pub async fn disciplines(&self, actor: &Actor) -> Result<Vec<String>> {
        let scope = actor.catalogue_scope(Permission::AchievementRead);
        let head = self.store().data_version().await?;
        if let Some(v) = self.cache().disciplines.get(&scope, head) {
            return Ok(v);
        }
        let _filling = self.cache().fill.lock().await;
        if let Some(v) = self.cache().disciplines.get(&scope, head) {
            return Ok(v);
        }
        let mut r = self.store().reader().await?;
        let v = repo::disciplines(&mut r, scope).await?;
        self.cache().disciplines.put(scope, head, v.clone());
        Ok(v)
    }

    /// Full achievements in id order after `after_id`, for export. Requires the export
    /// permission; regulators export everything, TTO staff their own institution.
    pub async fn export_batch(&self, actor: &Actor, after_id: i64, limit: i64) -> Result<Vec<Achievement>> {
        let scope = actor.internal_scope(Permission::AchievementExport)?;
        let mut r = self.store().reader().await?;
        Ok(repo::batch(&mut r, scope, after_id, limit.clamp(1, 1000)).await?)
    }
}
