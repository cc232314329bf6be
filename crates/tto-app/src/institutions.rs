//! Institutions: the directory of tenants.

use tto_domain::institution::InstitutionDraft;
use tto_domain::{Institution, InstitutionFields, InstitutionId, Violation};
use tto_store::institutions as repo;

use crate::authz::{Actor, Permission};
use crate::{App, AppError, Result};

impl App {
    /// The directory is public: names, kinds and regions of every institution.
    pub async fn institutions(&self) -> Result<Vec<Institution>> {
        let mut r = self.store().reader().await?;
        Ok(repo::list(&mut r).await?)
    }

    pub async fn institution(&self, id: InstitutionId) -> Result<Institution> {
        let mut r = self.store().reader().await?;
        repo::get(&mut r, id).await.map_err(|e| match e {
            tto_store::StoreError::NotFound => AppError::NotFound { entity: "institution" },
            other => other.into(),
        })
    }

    pub async fn create_institution(&self, actor: &Actor, draft: &InstitutionDraft) -> Result<Institution> {
        actor.require(Permission::InstitutionManage)?;
        let fields = InstitutionFields::validate(draft)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        if repo::find_by_credit_code(&mut tx, &fields.credit_code).await?.is_some() {
            return Err(AppError::conflict(
                "credit_code",
                Violation::Duplicate { value: fields.credit_code.to_string() },
            ));
        }
        if repo::find_by_short_code(&mut tx, &fields.short_code).await?.is_some() {
            return Err(AppError::conflict("short_code", Violation::Duplicate { value: fields.short_code.clone() }));
        }
        let institution = repo::insert(&mut tx, &fields).await?;
        tx.commit().await?;
        Ok(institution)
    }

    pub async fn update_institution(
        &self,
        actor: &Actor,
        id: InstitutionId,
        expected_version: i64,
        draft: &InstitutionDraft,
    ) -> Result<Institution> {
        actor.require(Permission::InstitutionManage)?;
        let fields = InstitutionFields::validate(draft)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        if let Some(other) = repo::find_by_credit_code(&mut tx, &fields.credit_code).await?
            && other.id != id
        {
            return Err(AppError::conflict(
                "credit_code",
                Violation::Duplicate { value: fields.credit_code.to_string() },
            ));
        }
        if let Some(other) = repo::find_by_short_code(&mut tx, &fields.short_code).await?
            && other.id != id
        {
            return Err(AppError::conflict("short_code", Violation::Duplicate { value: fields.short_code.clone() }));
        }
        let institution = repo::update(&mut tx, id, expected_version, &fields).await.map_err(|e| match e {
            tto_store::StoreError::NotFound => AppError::NotFound { entity: "institution" },
            other => other.into(),
        })?;
        tx.commit().await?;
        Ok(institution)
    }
}
