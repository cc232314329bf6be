//! Enterprise technology needs (企业技术需求, measure 十五): enterprises post what they want
//! solved; districts, associations and the technology exchange collect needs for many
//! enterprises (bulk import). Published needs are public; the contact follows the need's
//! contact policy. Matching needs to achievements comes with the search issue.

use std::collections::{HashMap, HashSet};

use tto_domain::tech_need::{NeedAction, NeedDraft, NeedFields, NeedStatus};
use tto_domain::{ChainCode, Institution, InstitutionId, Violation};
use tto_store::tech_needs::{self as repo, ContactAccess, NewNeed};
use tto_store::{Scope, StoreError, institutions};

use crate::authz::{Actor, Permission};
use crate::import::{ImportError, RowProblem};
use crate::{App, AppError, Result};

pub use tto_store::tech_needs::{Need, NeedFilter, NeedRow};

/// A page of the needs list with the total and counts per status (of everything in scope).
#[derive(Debug, Clone)]
pub struct NeedListing {
    pub rows: Vec<NeedRow>,
    pub total: i64,
    pub counts: Vec<(NeedStatus, i64)>,
}

/// A need with what the actor may do with it.
#[derive(Debug, Clone)]
pub struct NeedView {
    pub need: Need,
    pub actions: Vec<NeedAction>,
    pub can_edit: bool,
    /// The suggested chain is not among the need's chains and the actor may add it.
    pub can_confirm_chain: bool,
}

/// One record of a needs import file.
#[derive(Debug, Clone, Default)]
pub struct NeedImportRow {
    /// Line number in the file (1-based), for the report.
    pub line: usize,
    /// Short code of the owning institution; defaults to the importing user's institution.
    pub institution: Option<String>,
    pub draft: NeedDraft,
    /// `draft` (default) or `published`.
    pub status: Option<String>,
    /// The record's identifier in the submitting system (duplicates are refused).
    pub external_ref: Option<String>,
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "need" },
        other => other.into(),
    }
}

fn illegal(e: tto_domain::tech_need::IllegalNeedTransition) -> AppError {
    AppError::conflict("status", Violation::Rule { code: "illegal_need_transition", detail: e.to_string() })
}

struct CheckedNeed {
    institution_id: InstitutionId,
    fields: NeedFields,
    status: NeedStatus,
    external_ref: Option<String>,
}

impl App {
    /// Rows and contact details the actor may read.
    fn need_access(&self, actor: &Actor) -> (Scope, ContactAccess) {
        let scope = actor.catalogue_scope(Permission::NeedRead);
        let access = if matches!(actor, Actor::System { .. }) || actor.can(Permission::NeedContact) {
            ContactAccess::Broker
        } else {
            ContactAccess::PublicOnly
        };
        (scope, access)
    }

    pub async fn list_needs(&self, actor: &Actor, filter: &NeedFilter, offset: i64, limit: i64) -> Result<NeedListing> {
        let (scope, _) = self.need_access(actor);
        let mut r = self.store().reader().await?;
        let rows = repo::list(&mut r, scope, filter, offset.max(0), limit.clamp(1, 1000)).await?;
        let total = repo::count(&mut r, scope, filter).await?;
        let counts = repo::count_by_status(&mut r, scope).await?;
        Ok(NeedListing { rows, total, counts })
    }

    pub async fn need(&self, actor: &Actor, id: i64) -> Result<NeedView> {
        let (scope, access) = self.need_access(actor);
        let mut r = self.store().reader().await?;
        let need = repo::get(&mut r, scope, access, id).await.map_err(not_found)?;
        let manage = actor.require_for(Permission::NeedManage, need.institution_id).is_ok();
        let actions = if manage { need.status.allowed_actions() } else { Vec::new() };
        let can_confirm_chain = manage
            && need.status.is_editable()
            && need.suggested_chain.as_ref().is_some_and(|c| !need.fields.chains.contains(c));
        Ok(NeedView { can_edit: manage && need.status.is_editable(), actions, can_confirm_chain, need })
    }

    /// The chain a text suggests (for forms that show it before saving).
    pub fn suggest_chain(&self, text: &str) -> Option<ChainCode> {
        self.chains().suggest(text).into_iter().next()
    }

    fn need_institution(&self, actor: &Actor, requested: Option<InstitutionId>) -> Result<InstitutionId> {
        actor.require(Permission::NeedManage)?;
        let id = match (actor, requested) {
            (_, Some(id)) => id,
            (Actor::User(u), None) => u.institution_id,
            _ => return Err(AppError::field("institution_id", Violation::Required)),
        };
        match actor.require_for(Permission::NeedManage, id) {
            Ok(()) => Ok(id),
            Err(AppError::NotFound { .. }) => Err(AppError::Forbidden),
            Err(e) => Err(e),
        }
    }

    /// Registers a need as a draft of the actor's institution (or, for the platform, of the
    /// institution named).
    pub async fn create_need(
        &self,
        actor: &Actor,
        institution: Option<InstitutionId>,
        draft: &NeedDraft,
    ) -> Result<Need> {
        let institution_id = self.need_institution(actor, institution)?;
        let fields = NeedFields::validate(draft, self.chains(), self.today())?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let new = NewNeed {
            institution_id,
            suggested_chain: fields.suggested_chain(self.chains()),
            fields: &fields,
            status: NeedStatus::Draft,
            published_on: None,
            external_ref: None,
        };
        let need = repo::insert(&mut tx, new, "need.create").await?;
        tx.commit().await?;
        Ok(need)
    }

    async fn need_for_change(&self, tx: &mut tto_store::WriteTx, actor: &Actor, id: i64, version: i64) -> Result<Need> {
        actor.require(Permission::NeedManage)?;
        let need = repo::get(tx, Scope::All, ContactAccess::Broker, id).await.map_err(not_found)?;
        actor.require_for(Permission::NeedManage, need.institution_id).map_err(|e| match e {
            AppError::NotFound { .. } => AppError::NotFound { entity: "need" },
            other => other,
        })?;
        if need.version != version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        Ok(need)
    }

    /// Replaces the content of a need that is not closed or withdrawn.
    pub async fn update_need(&self, actor: &Actor, id: i64, version: i64, draft: &NeedDraft) -> Result<Need> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.need_for_change(&mut tx, actor, id, version).await?;
        if !before.status.is_editable() {
            return Err(AppError::conflict(
                "status",
                Violation::Rule { code: "need_locked", detail: "a closed or withdrawn need cannot be changed".into() },
            ));
        }
        // A deadline already passed may stay as it is; a new one must not be in the past.
        let fields = match NeedFields::validate(draft, self.chains(), self.today()) {
            Ok(f) => f,
            Err(errors) => {
                let kept_deadline = before.fields.deadline.map(tto_store::format_date);
                let only_old_deadline = errors.errors.iter().all(|e| e.field == "deadline")
                    && draft.deadline.as_deref().map(str::trim) == kept_deadline.as_deref();
                if !only_old_deadline {
                    return Err(errors.into());
                }
                let day = before.fields.deadline.unwrap_or_else(|| self.today());
                NeedFields::validate(draft, self.chains(), day)?
            }
        };
        let after = Need { suggested_chain: fields.suggested_chain(self.chains()), fields, ..before.clone() };
        let saved = repo::update(&mut tx, &before, version, &after, "need.update").await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Moves a need on: publish, match, start, close, withdraw, reopen.
    pub async fn transition_need(&self, actor: &Actor, id: i64, version: i64, action: NeedAction) -> Result<Need> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.need_for_change(&mut tx, actor, id, version).await?;
        let status = before.status.apply(action).map_err(illegal)?;
        if action == NeedAction::Publish && before.fields.deadline.is_some_and(|d| d < self.today()) {
            return Err(AppError::field(
                "deadline",
                Violation::Rule { code: "in_the_past", detail: "the deadline has passed; change it first".into() },
            ));
        }
        let published_on = if action == NeedAction::Publish { Some(self.today()) } else { before.published_on };
        let after = Need { status, published_on, ..before.clone() };
        let saved = repo::update(&mut tx, &before, version, &after, &format!("need.{}", action.code())).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Adds the suggested chain to the need's chains (staff confirm the suggestion).
    pub async fn confirm_need_chain(&self, actor: &Actor, id: i64, version: i64) -> Result<Need> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.need_for_change(&mut tx, actor, id, version).await?;
        let Some(chain) = before.suggested_chain.clone().filter(|c| self.chains().get(c.as_str()).is_some()) else {
            return Err(AppError::conflict(
                "chains",
                Violation::Rule { code: "no_suggestion", detail: "there is no chain to confirm".into() },
            ));
        };
        if before.fields.chains.contains(&chain) || !before.status.is_editable() {
            return Err(AppError::conflict(
                "chains",
                Violation::Rule { code: "no_suggestion", detail: "there is no chain to confirm".into() },
            ));
        }
        if before.fields.chains.len() >= tto_domain::tech_need::CHAINS_MAX {
            return Err(AppError::field(
                "chains",
                Violation::OutOfRange { min: "0".into(), max: tto_domain::tech_need::CHAINS_MAX.to_string() },
            ));
        }
        let mut after = before.clone();
        after.fields.chains.push(chain);
        let saved = repo::update(&mut tx, &before, version, &after, "need.confirm_chain").await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Imports every row or none: each row is checked first (fields, institution, duplicate
    /// titles and references within the file and against the stored needs).
    pub async fn import_needs(&self, actor: &Actor, rows: Vec<NeedImportRow>) -> Result<usize, ImportError> {
        let checked = self.check_need_import(actor, &rows).await?;
        let total = checked.len();
        if total == 0 {
            return Err(ImportError::Rows(vec![RowProblem {
                line: 0,
                field: "file".into(),
                violation: Violation::Required,
            }]));
        }
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        for c in checked {
            let new = NewNeed {
                institution_id: c.institution_id,
                suggested_chain: c.fields.suggested_chain(self.chains()),
                fields: &c.fields,
                status: c.status,
                published_on: (c.status == NeedStatus::Published).then(|| self.today()),
                external_ref: c.external_ref,
            };
            repo::insert(&mut tx, new, "need.import").await?;
        }
        tx.commit().await?;
        Ok(total)
    }

    /// The problems an import would report, without writing anything.
    pub async fn validate_need_import(&self, actor: &Actor, rows: &[NeedImportRow]) -> Result<(), ImportError> {
        self.check_need_import(actor, rows).await.map(|_| ())
    }

    async fn check_need_import(&self, actor: &Actor, rows: &[NeedImportRow]) -> Result<Vec<CheckedNeed>, ImportError> {
        actor.require(Permission::NeedImport)?;
        let mut reader = self.store().reader().await?;
        let all: Vec<Institution> = institutions::list(&mut reader).await?;
        let by_code: HashMap<&str, &Institution> = all.iter().map(|i| (i.fields.short_code.as_str(), i)).collect();
        let today = self.today();
        let mut problems = Vec::new();
        let mut checked = Vec::with_capacity(rows.len());
        let mut titles: HashSet<(InstitutionId, String)> = HashSet::new();
        let mut refs: HashSet<(InstitutionId, String)> = HashSet::new();
        for row in rows {
            let mut problem = |field: &str, violation: Violation| {
                problems.push(RowProblem { line: row.line, field: field.to_string(), violation });
            };
            let requested = row.institution.as_deref().map(str::trim).filter(|c| !c.is_empty());
            let institution_id = match (requested, actor) {
                (Some(code), _) => match by_code.get(code.to_ascii_uppercase().as_str()) {
                    Some(i) => Some(i.id),
                    None => {
                        problem("institution", Violation::UnknownChoice { value: code.to_string() });
                        None
                    }
                },
                (None, Actor::User(u)) => Some(u.institution_id),
                (None, _) => {
                    problem("institution", Violation::Required);
                    None
                }
            };
            if let Some(id) = institution_id
                && actor.require_for(Permission::NeedImport, id).is_err()
            {
                problem(
                    "institution",
                    Violation::Rule {
                        code: "not_your_institution",
                        detail: "you may import only into your own institution".into(),
                    },
                );
                continue;
            }
            let status = match row.status.as_deref().map(str::trim) {
                None | Some("") => Some(NeedStatus::Draft),
                Some(s) => match NeedStatus::from_code(s) {
                    Ok(st @ (NeedStatus::Draft | NeedStatus::Published)) => Some(st),
                    Ok(_) => {
                        problem("status", Violation::UnknownChoice { value: s.to_string() });
                        None
                    }
                    Err(v) => {
                        problem("status", v);
                        None
                    }
                },
            };
            let fields = match NeedFields::validate(&row.draft, self.chains(), today) {
                Ok(f) => Some(f),
                Err(errors) => {
                    for e in errors.errors {
                        problem(&e.field, e.violation);
                    }
                    None
                }
            };
            let (Some(institution_id), Some(status), Some(fields)) = (institution_id, status, fields) else {
                continue;
            };
            if !titles.insert((institution_id, fields.title.clone()))
                || repo::find_by_title(&mut reader, institution_id, &fields.title).await?.is_some()
            {
                problem("title", Violation::Duplicate { value: fields.title.clone() });
                continue;
            }
            let external_ref = row.external_ref.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
            if let Some(reference) = &external_ref
                && (reference.chars().count() > 100
                    || !refs.insert((institution_id, reference.clone()))
                    || repo::find_by_external_ref(&mut reader, institution_id, reference).await?.is_some())
            {
                problem("external_ref", Violation::Duplicate { value: reference.clone() });
                continue;
            }
            checked.push(CheckedNeed { institution_id, fields, status, external_ref });
        }
        if !problems.is_empty() {
            return Err(ImportError::Rows(problems));
        }
        Ok(checked)
    }
}
