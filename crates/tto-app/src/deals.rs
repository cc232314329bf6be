//! Deals (measure 十四): drafting, the three pricing routes, completion and cancellation, and
//! the due-diligence exemption verdict (measure 十七).
//!
//! Agreement pricing runs a public notice (see `notices.rs`); listing and auction run on the
//! market (see `market.rs`). When the notice, the listing or the auction closes — by the
//! scheduled task or by hand — the price is fixed; a person then completes the deal, which
//! converts its achievements and books the conversions in the separate ledger.

use time::Date;
use tto_domain::deal::{
    DealAction, DealDraft, DealMode, DealStatus, DealTerms, PricingRoute, notice_days, split_evenly,
};
use tto_domain::exemption::{DealFacts, Verdict, verdict};
use tto_domain::ledger::Conversion;
use tto_domain::notice::{NoticeStatus, NoticeSubject, ObjectionStatus};
use tto_domain::policy::{ParamKey, Parameter};
use tto_domain::{
    Achievement, AchievementAction, AchievementId, AchievementStatus, Confidentiality, ValidationErrors, Violation,
};
use tto_store::contracts::{self as contract_repo, ContractFilter, ContractRow};
use tto_store::deals::{self as repo, Deal, DealFilter, DealRow};
use tto_store::market::{self, Auction, Bid, Bidder, Interest, Listing};
use tto_store::notices::{self, Notice, Objection};
use tto_store::{Conn, Scope, StoreError, WriteTx, achievements, institutions, ledger};

use crate::authz::{Actor, Permission};
use crate::empowerment::citation_of;
use crate::{App, AppError, Result};

pub use tto_store::deals::DealFilter as DealListFilter;

/// A notice with its objections.
#[derive(Debug, Clone)]
pub struct NoticeView {
    pub notice: Notice,
    pub objections: Vec<Objection>,
}

#[derive(Debug, Clone)]
pub struct ListingView {
    pub listing: Listing,
    pub interests: Vec<Interest>,
}

#[derive(Debug, Clone)]
pub struct AuctionView {
    pub auction: Auction,
    pub bidders: Vec<Bidder>,
    /// Highest first.
    pub bids: Vec<Bid>,
}

/// A deal with everything that happened to it, what the actor may do next, the exemption
/// verdict and the rules behind it.
#[derive(Debug, Clone)]
pub struct DealView {
    pub deal: Deal,
    pub notices: Vec<NoticeView>,
    pub listings: Vec<ListingView>,
    pub auctions: Vec<AuctionView>,
    pub contracts: Vec<ContractRow>,
    pub verdict: Verdict,
    pub actions: Vec<DealAction>,
    pub can_manage: bool,
    pub can_operate_market: bool,
    pub rules: DealRules,
}

/// The profile's numbers for deals, with the parameters they come from.
#[derive(Debug, Clone)]
pub struct DealRules {
    pub notice_min_days: u32,
    pub listing_min_days: u32,
    pub anti_sniping_minutes: u32,
    pub extension_minutes: u32,
    pub qualifying_routes: Vec<String>,
    pub parameters: Vec<Parameter>,
}

impl DealRules {
    pub fn parameter(&self, key: ParamKey) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.key == key)
    }

    pub fn citation(&self, key: ParamKey) -> String {
        self.parameter(key).map(citation_of).unwrap_or_default()
    }
}

pub(crate) fn deal_not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "deal" },
        other => other.into(),
    }
}

pub(crate) fn rule(code: &'static str, detail: impl Into<String>) -> Violation {
    Violation::Rule { code, detail: detail.into() }
}

/// The status after `action`, or a conflict naming the current status.
pub(crate) fn next_status(deal: &Deal, action: DealAction) -> Result<DealStatus> {
    deal.status.apply(action).map_err(|e| AppError::conflict("status", rule("illegal_deal_transition", e.to_string())))
}

impl App {
    pub fn deal_rules(&self, day: Date) -> Result<DealRules> {
        let profile = self.profile_id(day)?;
        let policy = self.policy();
        let internal = |e: tto_domain::policy::PolicyError| AppError::Internal(e.to_string());
        let (notice_min_days, a) = policy.count(&profile, ParamKey::NoticeMinDays, day).map_err(internal)?;
        let (listing_min_days, b) = policy.count(&profile, ParamKey::ListingMinDays, day).map_err(internal)?;
        let (anti_sniping_minutes, c) =
            policy.count(&profile, ParamKey::AuctionAntiSnipingMinutes, day).map_err(internal)?;
        let (extension_minutes, d) =
            policy.count(&profile, ParamKey::AuctionExtensionMinutes, day).map_err(internal)?;
        let (qualifying_routes, e) =
            policy.categories(&profile, ParamKey::ExemptionQualifyingRoutes, day).map_err(internal)?;
        let parameters = [e, a, b, c, d].iter().map(|r| r.parameter.clone()).collect();
        Ok(DealRules {
            notice_min_days,
            listing_min_days,
            anti_sniping_minutes,
            extension_minutes,
            qualifying_routes,
            parameters,
        })
    }

    pub async fn deals(&self, actor: &Actor, filter: &DealFilter) -> Result<Vec<DealRow>> {
        let scope = actor.internal_scope(Permission::DealRead)?;
        let mut r = self.store().reader().await?;
        Ok(repo::list(&mut r, scope, filter, 500).await?)
    }

    pub async fn deal(&self, actor: &Actor, id: i64) -> Result<DealView> {
        let scope = actor.internal_scope(Permission::DealRead)?;
        let mut r = self.store().reader().await?;
        let deal = repo::get(&mut r, scope, id).await.map_err(deal_not_found)?;
        let rules = self.deal_rules(self.today())?;
        let (notices, listings, auctions) = deal_history(&mut r, deal.id).await?;
        let contracts =
            contract_repo::list(&mut r, Scope::All, &ContractFilter { deal: Some(deal.id), ..Default::default() }, 100)
                .await?;
        let verdict = exemption(&deal, &notices, &listings, &auctions, &rules);
        let can_manage = actor.require_for(Permission::DealManage, deal.institution_id).is_ok();
        let can_operate_market = actor.require_for(Permission::MarketOperate, deal.institution_id).is_ok();
        let actions = if can_manage {
            DealAction::ALL
                .iter()
                .copied()
                .filter(|a| deal.status.apply(*a).is_ok())
                .filter(|a| match a {
                    DealAction::StartNotice => deal.terms.route == PricingRoute::Agreement,
                    DealAction::List => deal.terms.route == PricingRoute::Listing,
                    DealAction::StartAuction => deal.terms.route == PricingRoute::Auction,
                    // Taken by the platform when a notice, listing or auction closes.
                    DealAction::FixPrice | DealAction::EscalateToAuction | DealAction::ReturnToDraft => false,
                    DealAction::Complete | DealAction::Cancel => true,
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(DealView {
            deal,
            notices,
            listings,
            auctions,
            contracts,
            verdict,
            actions,
            can_manage,
            can_operate_market,
            rules,
        })
    }

    /// Deals that include an achievement (for its page).
    pub async fn deals_of(&self, actor: &Actor, achievement: AchievementId) -> Result<Vec<DealRow>> {
        self.deals(actor, &DealFilter { achievement: Some(achievement), ..Default::default() }).await
    }

    /// Checks the achievements, counterparty and route of deal terms; returns the
    /// institution selling.
    async fn check_deal(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        terms: &DealTerms,
        draft: &DealDraft,
        this_deal: Option<i64>,
    ) -> Result<tto_domain::InstitutionId> {
        let mut items: Vec<Achievement> = Vec::new();
        for id in &draft.achievements {
            let a = achievements::get(tx, Scope::All, AchievementId(*id)).await.map_err(|e| match e {
                StoreError::NotFound => {
                    AppError::field("achievements", Violation::UnknownChoice { value: id.to_string() })
                }
                other => other.into(),
            })?;
            // Someone else's achievement is as good as unknown.
            if actor.require_for(Permission::DealManage, a.institution_id).is_err() {
                return Err(AppError::field("achievements", Violation::UnknownChoice { value: id.to_string() }));
            }
            items.push(a);
        }
        let institution = items
            .first()
            .map(|a| a.institution_id)
            .ok_or_else(|| AppError::field("achievements", Violation::Required))?;
        let mut errors = ValidationErrors::new();
        if items.iter().any(|a| a.institution_id != institution) {
            errors.add(
                "achievements",
                rule("mixed_institutions", "all achievements of a deal belong to one institution"),
            );
        }
        for a in &items {
            if matches!(a.status, AchievementStatus::Draft | AchievementStatus::Withdrawn) {
                errors.add("achievements", rule("achievement_not_available", a.code.clone()));
            }
            if terms.route != PricingRoute::Agreement && a.fields.confidentiality == Confidentiality::Confidential {
                errors.add("achievements", rule("confidential_on_market", a.code.clone()));
            }
            for (other, mode) in repo::running_for_achievement(tx, a.id).await? {
                let both_non_exclusive =
                    mode == DealMode::LicenceNonExclusive && terms.mode == DealMode::LicenceNonExclusive;
                if Some(other) != this_deal && !both_non_exclusive {
                    errors.add("achievements", rule("achievement_in_deal", format!("{} (#{other})", a.code)));
                }
            }
        }
        if let Some(c) = terms.counterparty {
            match institutions::get(tx, c).await {
                Ok(_) if c == institution => {
                    errors.add(
                        "counterparty",
                        rule("counterparty_is_seller", "the buyer cannot be the selling institution"),
                    );
                }
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    errors.add("counterparty", Violation::UnknownChoice { value: c.0.to_string() })
                }
                Err(e) => return Err(e.into()),
            }
        }
        errors.finish(|| institution).map_err(AppError::from)
    }

    pub async fn create_deal(&self, actor: &Actor, draft: &DealDraft) -> Result<Deal> {
        actor.require(Permission::DealManage)?;
        let terms = DealTerms::validate(draft)?;
        let profile = self.profile_id(self.today())?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let institution = self.check_deal(&mut tx, actor, &terms, draft, None).await?;
        let ids: Vec<AchievementId> = draft.achievements.iter().copied().map(AchievementId).collect();
        let deal = repo::insert(&mut tx, institution, &terms, &ids, &profile).await?;
        tx.commit().await?;
        Ok(deal)
    }

    /// Changes a draft deal. Once the notice, listing or auction has started the terms are
    /// fixed: above all the price, which the public saw.
    pub async fn update_deal(&self, actor: &Actor, id: i64, version: i64, draft: &DealDraft) -> Result<Deal> {
        actor.require(Permission::DealManage)?;
        let terms = DealTerms::validate(draft)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_deal(&mut tx, actor, id, Some(version), Permission::DealManage).await?;
        if before.status != DealStatus::Draft {
            if terms.price != before.terms.price {
                return Err(AppError::conflict("price", rule("price_locked", before.status.code())));
            }
            return Err(AppError::conflict("status", rule("terms_locked", before.status.code())));
        }
        self.check_deal(&mut tx, actor, &terms, draft, Some(before.id)).await?;
        let ids: Vec<AchievementId> = draft.achievements.iter().copied().map(AchievementId).collect();
        let saved = repo::update_terms(&mut tx, &before, &terms, &ids).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Loads a deal for a change under the write lock, checking the permission, the
    /// institution and (when given) the version the user saw.
    pub(crate) async fn load_deal(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        id: i64,
        version: Option<i64>,
        permission: Permission,
    ) -> Result<Deal> {
        let deal = repo::get(tx, Scope::All, id).await.map_err(deal_not_found)?;
        actor.require_for(permission, deal.institution_id).map_err(|e| match e {
            AppError::NotFound { .. } => AppError::NotFound { entity: "deal" },
            other => other,
        })?;
        if version.is_some_and(|v| v != deal.version) {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        Ok(deal)
    }

    /// Completes a priced deal: its achievements are converted, and transfers, licences and
    /// equity investments are recorded as conversions and booked in the separate ledger.
    pub async fn complete_deal(&self, actor: &Actor, id: i64, version: i64) -> Result<Deal> {
        actor.require(Permission::DealManage)?;
        let today = self.today();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_deal(&mut tx, actor, id, Some(version), Permission::DealManage).await?;
        for n in notices::for_subject(&mut tx, NoticeSubject::Deal, before.id).await? {
            if notices::objections(&mut tx, n.id).await?.iter().any(|o| o.status == ObjectionStatus::Open) {
                return Err(AppError::conflict(
                    "status",
                    rule("objection_open", "an objection to the deal's notice is still open"),
                ));
            }
        }
        let status = next_status(&before, DealAction::Complete)?;
        let price = before.final_price.unwrap_or(before.terms.price);
        let buyer = match before.terms.counterparty {
            Some(c) => institutions::get(&mut tx, c).await?.fields.name,
            None => String::new(),
        };
        let shares = split_evenly(price, before.items.len());
        for (item, value) in before.items.iter().zip(shares) {
            let a = achievements::get(&mut tx, Scope::All, item.achievement_id).await?;
            convert(&mut tx, &a).await?;
            if let Some(mode) = before.terms.mode.conversion() {
                let conversion = Conversion {
                    mode,
                    value,
                    occurred_on: today,
                    counterparty: buyer.clone(),
                    reference: format!("deal {}", before.id),
                };
                let record = ledger::insert_conversion(&mut tx, a.institution_id, a.id, &conversion).await?;
                if let Some(entry) = ledger::entry_for(&mut tx, Scope::All, a.id).await? {
                    ledger::book(&mut tx, &entry, &record, today).await?;
                }
            }
        }
        let after = Deal { status, completed_on: Some(today), ..before.clone() };
        let saved = repo::save_workflow(&mut tx, &before, &after, "deal.complete").await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Cancels a deal; a running notice is terminated and a running listing or auction closed
    /// without a buyer.
    pub async fn cancel_deal(&self, actor: &Actor, id: i64, version: i64, reason: &str) -> Result<Deal> {
        actor.require(Permission::DealManage)?;
        let mut errors = ValidationErrors::new();
        let reason = tto_domain::validation::required_text(&mut errors, "cancel_reason", reason, 500);
        let Some(reason) = reason else { return Err(errors.into()) };
        let today = self.today();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.load_deal(&mut tx, actor, id, Some(version), Permission::DealManage).await?;
        let status = next_status(&before, DealAction::Cancel)?;
        for n in notices::for_subject(&mut tx, NoticeSubject::Deal, before.id).await? {
            if n.status == NoticeStatus::Open {
                notices::finish(&mut tx, &n, NoticeStatus::Terminated, today, "notice.terminate").await?;
            }
        }
        for l in market::listings_of_deal(&mut tx, before.id).await? {
            if l.status == tto_domain::auction::MarketStatus::Open {
                market::close_listing(&mut tx, &l, market::outcome::WITHDRAWN).await?;
            }
        }
        for a in market::auctions_of_deal(&mut tx, before.id).await? {
            if a.status == tto_domain::auction::MarketStatus::Open {
                market::close_auction(&mut tx, &a, None).await?;
            }
        }
        let after = Deal { status, cancel_reason: Some(reason), ..before.clone() };
        let saved = repo::save_workflow(&mut tx, &before, &after, "deal.cancel").await?;
        tx.commit().await?;
        Ok(saved)
    }
}

/// Moves an achievement to converted (through negotiation); one already converted (a further
/// licence) stays so.
async fn convert(tx: &mut WriteTx, a: &Achievement) -> Result<()> {
    let mut current = a.clone();
    for action in [AchievementAction::StartNegotiation, AchievementAction::CompleteConversion] {
        if current.status == AchievementStatus::Converted {
            break;
        }
        if let Ok(status) = current.status.apply(action) {
            let after = Achievement { status, ..current.clone() };
            let name = format!("achievement.{}", action.code());
            current = achievements::update(tx, &current, current.version, after, &name).await?;
        }
    }
    if current.status != AchievementStatus::Converted {
        return Err(AppError::conflict("achievements", rule("achievement_not_available", a.code.clone())));
    }
    Ok(())
}

/// Notices, listings and auctions of a deal, oldest first.
pub(crate) async fn deal_history(
    db: &mut impl Conn,
    deal: i64,
) -> Result<(Vec<NoticeView>, Vec<ListingView>, Vec<AuctionView>)> {
    let mut notice_views = Vec::new();
    for notice in notices::for_subject(db, NoticeSubject::Deal, deal).await? {
        let objections = notices::objections(db, notice.id).await?;
        notice_views.push(NoticeView { notice, objections });
    }
    let mut listing_views = Vec::new();
    for listing in market::listings_of_deal(db, deal).await? {
        let interests = market::interests(db, listing.id).await?;
        listing_views.push(ListingView { listing, interests });
    }
    let mut auction_views = Vec::new();
    for auction in market::auctions_of_deal(db, deal).await? {
        let bidders = market::bidders(db, auction.id).await?;
        let bids = market::bids(db, auction.id).await?;
        auction_views.push(AuctionView { auction, bidders, bids });
    }
    Ok((notice_views, listing_views, auction_views))
}

/// The exemption verdict from a deal's history.
pub(crate) fn exemption(
    deal: &Deal,
    notices: &[NoticeView],
    listings: &[ListingView],
    auctions: &[AuctionView],
    rules: &DealRules,
) -> Verdict {
    let last_notice = notices.last();
    let sold_by_listing = listings.last().is_some_and(|l| l.listing.outcome.as_deref() == Some(market::outcome::SOLD));
    let won_at_auction = auctions.last().is_some_and(|a| a.auction.winner_id.is_some());
    let facts = DealFacts {
        route: deal.terms.route,
        priced: matches!(deal.status, DealStatus::Priced | DealStatus::Completed),
        notice_closed: last_notice.is_some_and(|n| n.notice.status == NoticeStatus::Closed),
        notice_days: last_notice.map(|n| notice_days(n.notice.starts_on, n.notice.ends_on)),
        upheld_objections: last_notice
            .map(|n| n.objections.iter().filter(|o| o.status == ObjectionStatus::Upheld).count())
            .unwrap_or(0),
        market_closed_with_buyer: sold_by_listing || won_at_auction,
    };
    verdict(&facts, &rules.qualifying_routes, rules.notice_min_days)
}
