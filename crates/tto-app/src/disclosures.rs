//! Invention disclosures (成果披露): the inventor's portal and the TTO's intake.
//!
//! An inventor drafts and submits; the TTO accepts (an achievement of the ledger is created
//! from the disclosure in the same transaction, registered, and linked), returns it with
//! comments (the inventor edits and submits again) or rejects it with a reason. Inventors
//! see only their own disclosures; the TTO sees the institution's.

use sha2::{Digest, Sha256};
use tto_domain::achievement::{AchievementDraft, AchievementFields, ContributorDraft};
use tto_domain::disclosure::{DisclosureAction, DisclosureDraft, DisclosureFields, DisclosureStatus};
use tto_domain::{AchievementStatus, ValidationErrors, Violation};
use tto_store::disclosures::{self as repo, Attachment, Disclosure, DisclosureScope};
use tto_store::{Scope, StoreError, WriteTx};

use crate::achievements::Insert;
use crate::authz::{Actor, Permission};
use crate::deals::rule;
use crate::{App, AppError, Result};

/// Largest attachment accepted.
pub const ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// What the TTO adds when it accepts a disclosure (the ledger needs more than the inventor
/// gives).
#[derive(Debug, Clone, Default)]
pub struct AcceptDraft {
    pub discipline: String,
    pub kind: String,
    pub trl: String,
    pub confidentiality: String,
    pub chains: Vec<String>,
    pub keywords: Vec<String>,
    pub job_related: bool,
    pub major: bool,
    pub comments: String,
}

#[derive(Debug, Clone)]
pub struct DisclosureView {
    pub disclosure: Disclosure,
    pub attachments: Vec<Attachment>,
    pub can_edit: bool,
    pub can_review: bool,
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "disclosure" },
        other => other.into(),
    }
}

impl App {
    /// How the actor reads disclosures: the office (TTO) or as an inventor (own only).
    fn disclosure_scope(&self, actor: &Actor) -> Result<DisclosureScope> {
        if let Ok(scope) = actor.internal_scope(Permission::DisclosureReview) {
            return Ok(DisclosureScope::Office(scope));
        }
        actor.require(Permission::DisclosureSubmit)?;
        let user = actor.user().ok_or(AppError::Forbidden)?;
        Ok(DisclosureScope::Inventor(user.user_id.0))
    }

    pub async fn disclosures(&self, actor: &Actor, status: Option<DisclosureStatus>) -> Result<Vec<Disclosure>> {
        let scope = self.disclosure_scope(actor)?;
        let mut r = self.store().reader().await?;
        Ok(repo::list(&mut r, scope, status, 500).await?)
    }

    pub async fn disclosure(&self, actor: &Actor, id: i64) -> Result<DisclosureView> {
        let scope = self.disclosure_scope(actor)?;
        let mut r = self.store().reader().await?;
        let disclosure = repo::get(&mut r, scope, id).await.map_err(not_found)?;
        let attachments = repo::attachments(&mut r, id).await?;
        let own = actor.user().is_some_and(|u| u.user_id.0 == disclosure.inventor_user_id);
        let can_review = actor.require_for(Permission::DisclosureReview, disclosure.institution_id).is_ok();
        let can_edit = disclosure.status.editable() && (own || can_review);
        Ok(DisclosureView { disclosure, attachments, can_edit, can_review })
    }

    /// An inventor (or the TTO on their behalf) drafts a disclosure.
    pub async fn create_disclosure(&self, actor: &Actor, draft: &DisclosureDraft) -> Result<Disclosure> {
        actor.require(Permission::DisclosureSubmit)?;
        let user = actor.user().ok_or(AppError::Forbidden)?;
        let fields = DisclosureFields::validate(draft)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let saved = repo::insert(&mut tx, user.institution_id, (user.user_id.0, &user.display_name), &fields).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn load_editable(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        id: i64,
        version: Option<i64>,
    ) -> Result<Disclosure> {
        let scope = self.disclosure_scope(actor)?;
        let d = repo::get(tx, scope, id).await.map_err(not_found)?;
        if version.is_some_and(|v| v != d.version) {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        if !d.status.editable() {
            return Err(AppError::conflict("status", rule("disclosure_locked", d.status.code())));
        }
        Ok(d)
    }

    pub async fn update_disclosure(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        draft: &DisclosureDraft,
    ) -> Result<Disclosure> {
        let fields = DisclosureFields::validate(draft)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_editable(&mut tx, actor, id, Some(version)).await?;
        let saved = repo::update_fields(&mut tx, &before, &fields).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn attach_to_disclosure(
        &self,
        actor: &Actor,
        id: i64,
        file_name: &str,
        media_type: &str,
        content: Vec<u8>,
    ) -> Result<Attachment> {
        let mut errors = ValidationErrors::new();
        let name = tto_domain::validation::required_text(&mut errors, "file", file_name, 200);
        if content.is_empty() {
            errors.add("file", Violation::Required);
        }
        if content.len() > ATTACHMENT_MAX_BYTES {
            errors.add("file", rule("file_too_large", format!("{} MiB", ATTACHMENT_MAX_BYTES / 1024 / 1024)));
        }
        let (Some(name), true) = (name, errors.is_empty()) else { return Err(errors.into()) };
        // Keep only the base name: paths of the uploading machine are nobody's business.
        let name = name.rsplit(['/', '\\']).next().unwrap_or(&name).to_string();
        let media = if media_type.trim().is_empty() { "application/octet-stream" } else { media_type.trim() };
        let sha: String = Sha256::digest(&content).iter().map(|b| format!("{b:02x}")).collect();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let d = self.load_editable(&mut tx, actor, id, None).await?;
        if repo::attachments(&mut tx, d.id).await?.len() >= 20 {
            return Err(AppError::field("file", rule("too_many_files", "20")));
        }
        let saved = repo::add_attachment(&mut tx, &d, &name, media, &sha, content).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn detach_from_disclosure(&self, actor: &Actor, id: i64, attachment: i64) -> Result<()> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let d = self.load_editable(&mut tx, actor, id, None).await?;
        let a = repo::attachments(&mut tx, d.id)
            .await?
            .into_iter()
            .find(|a| a.id == attachment)
            .ok_or(AppError::NotFound { entity: "attachment" })?;
        repo::remove_attachment(&mut tx, &d, &a).await?;
        Ok(tx.commit().await?)
    }

    /// An attachment's bytes, for whoever may read the disclosure.
    pub async fn disclosure_attachment(
        &self,
        actor: &Actor,
        id: i64,
        attachment: i64,
    ) -> Result<(Attachment, Vec<u8>)> {
        let scope = self.disclosure_scope(actor)?;
        let mut r = self.store().reader().await?;
        repo::get(&mut r, scope, id).await.map_err(not_found)?;
        repo::attachment_content(&mut r, id, attachment).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound { entity: "attachment" },
            other => other.into(),
        })
    }

    pub async fn submit_disclosure(&self, actor: &Actor, id: i64, version: i64) -> Result<Disclosure> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_editable(&mut tx, actor, id, Some(version)).await?;
        let status = next(&before, DisclosureAction::Submit)?;
        let after = Disclosure { status, submitted_on: Some(self.today()), ..before.clone() };
        let saved = repo::save_workflow(&mut tx, &before, &after, "disclosure.submit").await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn load_for_review(&self, tx: &mut WriteTx, actor: &Actor, id: i64, version: i64) -> Result<Disclosure> {
        actor.require(Permission::DisclosureReview)?;
        let d = repo::get(tx, DisclosureScope::Office(Scope::All), id).await.map_err(not_found)?;
        actor
            .require_for(Permission::DisclosureReview, d.institution_id)
            .map_err(|_| AppError::NotFound { entity: "disclosure" })?;
        if d.version != version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        Ok(d)
    }

    /// Returns a submitted disclosure to the inventor with comments.
    pub async fn return_disclosure(&self, actor: &Actor, id: i64, version: i64, comments: &str) -> Result<Disclosure> {
        self.decide_disclosure(actor, id, version, DisclosureAction::Return, comments).await
    }

    pub async fn reject_disclosure(&self, actor: &Actor, id: i64, version: i64, reason: &str) -> Result<Disclosure> {
        self.decide_disclosure(actor, id, version, DisclosureAction::Reject, reason).await
    }

    async fn decide_disclosure(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        action: DisclosureAction,
        text: &str,
    ) -> Result<Disclosure> {
        let mut errors = ValidationErrors::new();
        let text = tto_domain::validation::required_text(&mut errors, "comments", text, 5000);
        let Some(text) = text else { return Err(errors.into()) };
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_for_review(&mut tx, actor, id, version).await?;
        let status = next(&before, action)?;
        let decided_on = (action == DisclosureAction::Reject).then(|| self.today());
        let after = Disclosure { status, comments: Some(text), decided_on, ..before.clone() };
        let saved = repo::save_workflow(&mut tx, &before, &after, &format!("disclosure.{}", action.code())).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Accepts a disclosure: creates the achievement (registered) from it and links it.
    pub async fn accept_disclosure(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        extra: &AcceptDraft,
    ) -> Result<Disclosure> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_for_review(&mut tx, actor, id, version).await?;
        let status = next(&before, DisclosureAction::Accept)?;
        let f = &before.fields;
        let draft = AchievementDraft {
            title: f.title.clone(),
            summary: f.summary.clone(),
            detail: Some(format!("解决的问题：{}\n已知现有技术：{}", f.problem, f.prior_art)),
            keywords: extra.keywords.clone(),
            discipline: extra.discipline.clone(),
            chains: extra.chains.clone(),
            kind: extra.kind.clone(),
            trl: extra.trl.clone(),
            funding_source: f.funding_source.code().to_string(),
            funding_refs: f.funding_refs.clone(),
            completion_date: Some(self.today().to_string()),
            confidentiality: extra.confidentiality.clone(),
            contributors: f
                .contributors
                .iter()
                .map(|c| ContributorDraft {
                    person_id: None,
                    name: c.name.clone(),
                    share: c.share.value().normalize().to_string(),
                    main: c.main,
                })
                .collect(),
            job_related: extra.job_related,
            major: extra.major,
        };
        let fields = AchievementFields::validate(&draft, self.chains())?;
        let achievement = self
            .insert_achievement(
                &mut tx,
                Insert {
                    institution_id: before.institution_id,
                    fields: &fields,
                    ownership: None,
                    status: AchievementStatus::Registered,
                    external_ref: Some(format!("disclosure:{}", before.id)),
                    code: None,
                },
            )
            .await?;
        let comments =
            (!extra.comments.trim().is_empty()).then(|| extra.comments.trim().to_string()).or(before.comments.clone());
        let after = Disclosure {
            status,
            achievement_id: Some(achievement.id),
            decided_on: Some(self.today()),
            comments,
            ..before.clone()
        };
        let saved = repo::save_workflow(&mut tx, &before, &after, "disclosure.accept").await?;
        tx.commit().await?;
        Ok(saved)
    }
}

fn next(d: &Disclosure, action: DisclosureAction) -> Result<DisclosureStatus> {
    d.status
        .apply(action)
        .map_err(|e| AppError::conflict("status", rule("illegal_disclosure_transition", e.to_string())))
}
