//! Bulk import of achievements: all rows or none.
//!
//! Every row is validated first (fields, known institution, duplicates within the file and
//! against the ledger); if any row is bad, nothing is written and the report lists every
//! bad row with its line and field. Then all rows are inserted in one transaction, each
//! with its own audit event.

use std::collections::{HashMap, HashSet};

use tto_domain::achievement::{AchievementDraft, OwnershipPeriodDraft, validate_ownership};
use tto_domain::{AchievementFields, AchievementStatus, Institution, InstitutionId, Violation};
use tto_store::{achievements as repo, institutions};

use crate::authz::{Actor, Permission};
use crate::{App, AppError};

/// One record read from an import file.
#[derive(Debug, Clone, Default)]
pub struct ImportRow {
    /// Line number in the file (1-based), for the report.
    pub line: usize,
    /// Short code of the owning institution; defaults to the importing user's institution.
    pub institution: Option<String>,
    pub draft: AchievementDraft,
    /// Lifecycle status to register with; defaults to `draft`.
    pub status: Option<String>,
    /// The record's identifier in its source system (kept for idempotent re-imports).
    pub external_ref: Option<String>,
    /// Ledger number to keep (restoring an export); assigned when absent.
    pub code: Option<String>,
    /// Ownership history to keep (restoring an export); the institution holds 100 % when absent.
    pub ownership: Option<Vec<OwnershipPeriodDraft>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: usize,
    pub field: String,
    pub violation: Violation,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} bad rows; nothing was imported", .0.len())]
    Rows(Vec<RowProblem>),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<tto_store::StoreError> for ImportError {
    fn from(e: tto_store::StoreError) -> Self {
        ImportError::App(e.into())
    }
}

struct Checked {
    institution_id: InstitutionId,
    fields: AchievementFields,
    status: AchievementStatus,
    external_ref: Option<String>,
    code: Option<String>,
    ownership: Option<Vec<tto_domain::OwnershipPeriod>>,
}

impl App {
    /// Imports every row or none. `progress` is called with the number of rows written so far.
    pub async fn import_achievements(
        &self,
        actor: &Actor,
        rows: Vec<ImportRow>,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<usize, ImportError> {
        let checked = self.check_import(actor, &rows).await?;
        self.write_import(actor, checked, progress).await
    }

    /// Checks rows without writing anything: the problems an import would report.
    pub async fn validate_import(&self, actor: &Actor, rows: &[ImportRow]) -> Result<(), ImportError> {
        self.check_import(actor, rows).await.map(|_| ())
    }

    async fn check_import(&self, actor: &Actor, rows: &[ImportRow]) -> Result<Vec<Checked>, ImportError> {
        actor.require(Permission::AchievementImport)?;
        let mut reader = self.store().reader().await?;
        let all: Vec<Institution> = institutions::list(&mut reader).await?;
        let by_code: HashMap<&str, &Institution> = all.iter().map(|i| (i.fields.short_code.as_str(), i)).collect();

        let mut problems = Vec::new();
        let mut checked = Vec::with_capacity(rows.len());
        let mut titles: HashSet<(InstitutionId, String)> = HashSet::new();
        let mut refs: HashSet<(InstitutionId, String)> = HashSet::new();
        let mut codes: HashSet<(InstitutionId, String)> = HashSet::new();
        for row in rows {
            let mut problem = |field: &str, violation: Violation| {
                problems.push(RowProblem { line: row.line, field: field.to_string(), violation });
            };
            let institution_id = match (&row.institution, actor) {
                (Some(code), _) => match by_code.get(code.trim().to_ascii_uppercase().as_str()) {
                    Some(i) => Some(i.id),
                    None => {
                        problem("institution", Violation::UnknownChoice { value: code.clone() });
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
                && actor.require_for(Permission::AchievementImport, id).is_err()
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
                None | Some("") => Some(AchievementStatus::Draft),
                Some(s) => match AchievementStatus::from_code(s) {
                    Ok(status) => Some(status),
                    Err(v) => {
                        problem("status", v);
                        None
                    }
                },
            };
            let fields = match AchievementFields::validate(&row.draft, self.chains()) {
                Ok(f) => Some(f),
                Err(errors) => {
                    for e in errors.errors {
                        problem(&e.field, e.violation);
                    }
                    None
                }
            };
            let ownership = match &row.ownership {
                None => Some(None),
                Some(periods) => match validate_ownership(periods) {
                    Ok(p) => Some(Some(p)),
                    Err(errors) => {
                        for e in errors.errors {
                            problem(&e.field, e.violation);
                        }
                        None
                    }
                },
            };
            let (Some(institution_id), Some(status), Some(fields), Some(ownership)) =
                (institution_id, status, fields, ownership)
            else {
                continue;
            };
            if !titles.insert((institution_id, fields.title.clone()))
                || repo::find_by_title(&mut reader, institution_id, &fields.title).await?.is_some()
            {
                problem("title", Violation::Duplicate { value: fields.title.clone() });
                continue;
            }
            let external_ref = row.external_ref.clone().filter(|r| !r.trim().is_empty());
            if let Some(reference) = &external_ref
                && (!refs.insert((institution_id, reference.clone()))
                    || repo::find_by_external_ref(&mut reader, institution_id, reference).await?.is_some())
            {
                problem("external_ref", Violation::Duplicate { value: reference.clone() });
                continue;
            }
            let code = row.code.clone().map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
            if let Some(code) = &code
                && (code.chars().count() > 40
                    || !codes.insert((institution_id, code.clone()))
                    || repo::find_by_code(&mut reader, institution_id, code).await?.is_some())
            {
                problem("code", Violation::Duplicate { value: code.clone() });
                continue;
            }
            checked.push(Checked { institution_id, fields, status, external_ref, code, ownership });
        }
        drop(reader);
        if !problems.is_empty() {
            return Err(ImportError::Rows(problems));
        }
        Ok(checked)
    }

    async fn write_import(
        &self,
        actor: &Actor,
        checked: Vec<Checked>,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<usize, ImportError> {
        let total = checked.len();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        for (n, c) in checked.into_iter().enumerate() {
            let new = crate::achievements::Insert {
                institution_id: c.institution_id,
                fields: &c.fields,
                ownership: c.ownership,
                status: c.status,
                external_ref: c.external_ref,
                code: c.code,
            };
            self.insert_achievement(&mut tx, new).await?;
            if (n + 1) % 100 == 0 {
                progress(n + 1);
            }
        }
        tx.commit().await?;
        if total >= 1000 {
            // Large loads change the data's shape; let the planner know.
            self.store().analyze().await?;
        }
        progress(total);
        Ok(total)
    }
}
