//! Public notices (公示) of agreement-priced deals and the objections of the public.
//!
//! The notice publishes what the rules require — the achievements' names and summaries, the
//! mode, the price, the buyer, whether the buyer is a contributor or a related party, and how
//! to object — frozen when it starts. Anyone may object while it runs; the TTO upholds an
//! objection (the notice ends and the deal goes back to draft: a new notice is needed) or
//! rejects it with reasons. A notice closes after its last day without open objections —
//! by the scheduled task, or by hand — and the deal's price is then fixed.

use serde_json::json;
use time::Date;
use tto_domain::deal::{DealAction, PricingRoute};
use tto_domain::notice::{self as rules, NoticeStatus, NoticeSubject, ObjectionInput, ObjectionStatus};
use tto_domain::policy::ParamKey;
use tto_domain::{Confidentiality, ValidationErrors, Violation};
use tto_store::deals::{self as deal_repo, Deal};
use tto_store::notices::{self as repo, Notice, Objection};
use tto_store::{Scope, StoreError, WriteTx};

use crate::authz::{Actor, Permission};
use crate::deals::{next_status, rule};
use crate::{App, AppError, Result};

fn notice_not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "notice" },
        other => other.into(),
    }
}

/// What a deal's notice publishes. Summaries of confidential achievements are left out.
fn deal_notice_content(deal: &Deal, objections_until: Date) -> serde_json::Value {
    json!({
        "institution": deal.institution_name,
        "deal_id": deal.id,
        "title": deal.terms.title,
        "mode": deal.terms.mode.code(),
        "route": deal.terms.route.code(),
        "price_fen": deal.terms.price.fen(),
        "counterparty": deal.counterparty_name,
        "buyer_is_contributor": deal.terms.buyer_is_contributor,
        "related_party": deal.terms.related_party,
        "related_party_note": deal.terms.related_party_note,
        "achievements": deal.items.iter().map(|i| json!({
            "code": i.code,
            "title": i.title,
            "summary": (i.confidentiality == Confidentiality::Public).then(|| i.summary.clone()),
        })).collect::<Vec<_>>(),
        "objections_until": tto_store::format_date(objections_until),
    })
}

impl App {
    /// Starts the on-campus notice of an agreement-priced deal.
    pub async fn start_deal_notice(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        starts: &str,
        ends: &str,
    ) -> Result<Notice> {
        actor.require(Permission::DealManage)?;
        let today = self.today();
        let deal_rules = self.deal_rules(today)?;
        let mut errors = ValidationErrors::new();
        let starts_on = errors.collect("starts_on", tto_domain::period::parse_date(starts));
        let ends_on = errors.collect("ends_on", tto_domain::period::parse_date(ends));
        let (Some(starts_on), Some(ends_on), true) = (starts_on, ends_on, errors.is_empty()) else {
            return Err(errors.into());
        };
        if ends_on < starts_on {
            return Err(AppError::field("ends_on", Violation::EndBeforeStart));
        }
        rules::check_period(
            starts_on,
            ends_on,
            today,
            deal_rules.notice_min_days,
            &deal_rules.citation(ParamKey::NoticeMinDays),
        )?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_deal(&mut tx, actor, id, Some(version), Permission::DealManage).await?;
        if before.terms.route != PricingRoute::Agreement {
            return Err(AppError::conflict(
                "route",
                rule("route_mismatch", "only agreement pricing is noticed on campus"),
            ));
        }
        let status = next_status(&before, DealAction::StartNotice)?;
        let content = deal_notice_content(&before, ends_on);
        let notice = repo::insert(
            &mut tx,
            before.institution_id,
            NoticeSubject::Deal,
            before.id,
            &before.terms.title,
            &content,
            starts_on,
            ends_on,
        )
        .await?;
        let after = Deal { status, ..before.clone() };
        deal_repo::save_workflow(&mut tx, &before, &after, "deal.start_notice").await?;
        tx.commit().await?;
        Ok(notice)
    }

    /// Notices running today (the public page).
    pub async fn running_notices(&self) -> Result<Vec<Notice>> {
        let mut r = self.store().reader().await?;
        Ok(repo::running(&mut r, self.today(), 200).await?)
    }

    /// A notice: public once it has started; its objections only for its institution.
    pub async fn notice(&self, actor: &Actor, id: i64) -> Result<(Notice, Vec<Objection>)> {
        let mut r = self.store().reader().await?;
        let notice = repo::get(&mut r, actor.catalogue_scope(Permission::DealRead), id, self.today())
            .await
            .map_err(notice_not_found)?;
        let objections = if actor.require_for(Permission::DealRead, notice.institution_id).is_ok() {
            repo::objections(&mut r, notice.id).await?
        } else {
            Vec::new()
        };
        Ok((notice, objections))
    }

    /// Files an objection (anyone, signed in or not) while the notice runs.
    pub async fn submit_objection(
        &self,
        actor: &Actor,
        notice: i64,
        name: &str,
        contact: &str,
        content: &str,
    ) -> Result<Objection> {
        let input = ObjectionInput::validate(name, contact, content)?;
        let today = self.today();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let n = repo::get(&mut tx, Scope::Public, notice, today).await.map_err(notice_not_found)?;
        rules::accepts_objections(n.status, n.starts_on, n.ends_on, today)
            .map_err(|v| AppError::conflict("notice", v))?;
        let saved = repo::insert_objection(&mut tx, &n, &input).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Upholds (`uphold = true`) or rejects an objection, with the TTO's reasons. Upholding
    /// ends the notice and sends the deal back to draft.
    pub async fn decide_objection(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        uphold: bool,
        response: &str,
    ) -> Result<Objection> {
        actor.require(Permission::NoticeManage)?;
        let mut errors = ValidationErrors::new();
        let response = tto_domain::validation::required_text(&mut errors, "response", response, 5000);
        let Some(response) = response else { return Err(errors.into()) };
        let today = self.today();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = repo::objection(&mut tx, Scope::All, id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound { entity: "objection" },
            other => other.into(),
        })?;
        actor.require_for(Permission::NoticeManage, before.institution_id)?;
        if before.version != version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        if before.status != ObjectionStatus::Open {
            return Err(AppError::conflict(
                "status",
                rule("objection_decided", format!("the objection was {}", before.status)),
            ));
        }
        let status = if uphold { ObjectionStatus::Upheld } else { ObjectionStatus::Rejected };
        let saved = repo::decide_objection(&mut tx, &before, status, &response).await?;
        if uphold {
            let notice = repo::get(&mut tx, Scope::All, before.notice_id, today).await?;
            // Only an objection to the running notice ends it and sends the deal back to draft;
            // one left open on a notice that already ended is answered without touching the
            // deal, which may be in its next notice by now.
            if notice.status == NoticeStatus::Open {
                repo::finish(&mut tx, &notice, NoticeStatus::Terminated, today, "notice.terminate").await?;
                if notice.subject == NoticeSubject::Reward {
                    self.distribution_objection_upheld(&mut tx, notice.subject_id).await?;
                }
                if notice.subject == NoticeSubject::Deal {
                    let deal = deal_repo::get(&mut tx, Scope::All, notice.subject_id).await?;
                    if let Ok(status) = deal.status.apply(DealAction::ReturnToDraft) {
                        let after = Deal { status, ..deal.clone() };
                        deal_repo::save_workflow(&mut tx, &deal, &after, "deal.return_to_draft").await?;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Closes a notice after its last day (by hand; the scheduled task does the same).
    pub async fn close_notice(&self, actor: &Actor, id: i64) -> Result<Notice> {
        actor.require(Permission::NoticeManage)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let notice = repo::get(&mut tx, Scope::All, id, self.today()).await.map_err(notice_not_found)?;
        actor.require_for(Permission::NoticeManage, notice.institution_id)?;
        let saved = self.close_notice_in(&mut tx, &notice).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Closes `notice` and fixes the price of its deal.
    pub(crate) async fn close_notice_in(&self, tx: &mut WriteTx, notice: &Notice) -> Result<Notice> {
        let today = self.today();
        let open = repo::objections(tx, notice.id).await?.iter().filter(|o| o.status == ObjectionStatus::Open).count();
        rules::may_close(notice.status, notice.ends_on, today, open).map_err(|v| AppError::conflict("status", v))?;
        let saved = repo::finish(tx, notice, NoticeStatus::Closed, today, "notice.close").await?;
        if notice.subject == NoticeSubject::Reward {
            self.distribution_noticed(tx, notice.subject_id).await?;
        }
        if notice.subject == NoticeSubject::Deal {
            let deal = deal_repo::get(tx, Scope::All, notice.subject_id).await?;
            let status = next_status(&deal, DealAction::FixPrice)?;
            let after = Deal { status, final_price: Some(deal.terms.price), priced_on: Some(today), ..deal.clone() };
            deal_repo::save_workflow(tx, &deal, &after, "deal.fix_price").await?;
        }
        Ok(saved)
    }
}
