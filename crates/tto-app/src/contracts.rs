//! Technical contracts (技术合同): terms with a payment schedule that adds up to the amount,
//! registration (认定登记) and the payments received (income for the distribution engine).

use tto_domain::contract::{ContractDraft, ContractTerms, Registration, check_payment};
use tto_domain::{InstitutionId, ValidationErrors, Violation};
use tto_store::contracts::{self as repo, Contract, ContractFilter, ContractRow};
use tto_store::{Scope, StoreError, deals as deal_repo, institutions};

use crate::authz::{Actor, Permission};
use crate::deals::rule;
use crate::{App, AppError, Result};

fn contract_not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "contract" },
        other => other.into(),
    }
}

impl App {
    pub async fn contracts(&self, actor: &Actor, filter: &ContractFilter) -> Result<Vec<ContractRow>> {
        let scope = actor.internal_scope(Permission::ContractRead)?;
        let mut r = self.store().reader().await?;
        Ok(repo::list(&mut r, scope, filter, 1000).await?)
    }

    pub async fn contract(&self, actor: &Actor, id: i64) -> Result<(Contract, bool)> {
        let scope = actor.internal_scope(Permission::ContractRead)?;
        let mut r = self.store().reader().await?;
        let c = repo::get(&mut r, scope, id).await.map_err(contract_not_found)?;
        let can_manage = actor.require_for(Permission::ContractManage, c.institution_id).is_ok();
        Ok((c, can_manage))
    }

    /// The audit events of a contract the actor may read (its timeline), oldest first.
    pub async fn contract_events(&self, actor: &Actor, id: i64) -> Result<Vec<tto_store::audit::AuditEvent>> {
        let (c, _) = self.contract(actor, id).await?;
        let mut r = self.store().reader().await?;
        Ok(tto_store::audit::for_entity(&mut r, "tech_contract", &c.id.to_string()).await?)
    }

    /// Records a contract of the actor's institution, optionally for one of its deals.
    pub async fn create_contract(&self, actor: &Actor, deal: Option<i64>, draft: &ContractDraft) -> Result<Contract> {
        actor.require(Permission::ContractManage)?;
        let terms = ContractTerms::validate(draft)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let institution: InstitutionId = match deal {
            Some(d) => {
                let deal = deal_repo::get(&mut tx, Scope::All, d)
                    .await
                    .ok()
                    .filter(|x| actor.require_for(Permission::ContractManage, x.institution_id).is_ok())
                    .ok_or_else(|| AppError::field("deal_id", Violation::UnknownChoice { value: d.to_string() }))?;
                deal.institution_id
            }
            None => actor.institution_id().ok_or_else(|| AppError::field("deal_id", Violation::Required))?,
        };
        actor.require_for(Permission::ContractManage, institution)?;
        match institutions::get(&mut tx, terms.buyer).await {
            Ok(_) if terms.buyer == institution => {
                return Err(AppError::field("buyer", rule("counterparty_is_seller", "the buyer cannot be the seller")));
            }
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(AppError::field("buyer", Violation::UnknownChoice { value: terms.buyer.0.to_string() }));
            }
            Err(e) => return Err(e.into()),
        }
        let saved = repo::insert(&mut tx, institution, deal, &terms).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn load_contract(
        &self,
        tx: &mut tto_store::WriteTx,
        actor: &Actor,
        id: i64,
        version: i64,
    ) -> Result<Contract> {
        let c = repo::get(tx, Scope::All, id).await.map_err(contract_not_found)?;
        actor.require_for(Permission::ContractManage, c.institution_id).map_err(|e| match e {
            AppError::NotFound { .. } => AppError::NotFound { entity: "contract" },
            other => other,
        })?;
        if c.version != version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        Ok(c)
    }

    /// Records the registration (认定登记) of a contract.
    #[allow(clippy::too_many_arguments)]
    pub async fn register_contract(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        number: &str,
        registered_on: &str,
        certified_amount: &str,
        authority: &str,
    ) -> Result<Contract> {
        actor.require(Permission::ContractManage)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_contract(&mut tx, actor, id, version).await?;
        if before.registration.is_some() {
            return Err(AppError::conflict(
                "registration_number",
                rule("already_registered", "the contract is already registered"),
            ));
        }
        let r = Registration::validate(number, registered_on, certified_amount, authority, &before.terms)?;
        if r.registered_on > self.today() {
            return Err(AppError::field(
                "registered_on",
                rule("in_the_future", "the registration date is in the future"),
            ));
        }
        let saved = repo::register(&mut tx, &before, &r).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Records a payment received; the payments may never add up to more than the amount.
    pub async fn record_payment(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        amount: &str,
        received_on: &str,
        reference: &str,
    ) -> Result<Contract> {
        actor.require(Permission::ContractManage)?;
        let mut errors = ValidationErrors::new();
        let reference =
            tto_domain::validation::optional_text(&mut errors, "reference", Some(reference), 200).unwrap_or_default();
        errors.finish(|| ())?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_contract(&mut tx, actor, id, version).await?;
        let (amount, day) = check_payment(amount, received_on, before.received(), &before.terms)?;
        if day > self.today() {
            return Err(AppError::field("received_on", rule("in_the_future", "the payment date is in the future")));
        }
        if day < before.terms.signed_on {
            return Err(AppError::field(
                "received_on",
                rule("before_signing", "received before the contract was signed"),
            ));
        }
        let saved = repo::add_payment(&mut tx, &before, amount, day, &reference).await?;
        tx.commit().await?;
        Ok(saved)
    }
}
