//! The market: listings (挂牌交易) and auctions (拍卖) of deals.
//!
//! A listing runs for at least the profile's minimum days at a fixed price; enterprises and
//! investors express interest. When it closes, nobody interested sends the deal back to
//! draft, one party buys at the listing price, several parties bid in an auction among
//! them. An auction takes bids from registered and approved bidders; a bid in the last
//! minutes extends the end (anti-sniping); the scheduled close fixes the winner.
//!
//! Bids are placed inside a write transaction, which serialises all writers (see
//! `tto_store::WriteTx`): each bid is checked against the highest bid as committed, so two
//! bids at the same moment are ordered and the later one must beat the earlier. The unique
//! (auction, amount) index is a second guard.

use time::{Duration, OffsetDateTime};
use tto_domain::auction::{self as rules, AuctionState, BidderStatus, MarketStatus};
use tto_domain::deal::{DealAction, DealStatus, PricingRoute};
use tto_domain::policy::ParamKey;
use tto_domain::{InstitutionId, Money, ValidationErrors, Violation};
use tto_store::deals::{self as deal_repo, Deal, DealItem};
use tto_store::market::{self as repo, Auction, Bid, Bidder, Listing, outcome};
use tto_store::{Scope, StoreError, WriteTx};

use crate::authz::{Actor, Permission};
use crate::deals::{AuctionView, ListingView, next_status, rule};
use crate::{App, AppError, Result};

/// Bounds of an auction that follows a listing (minutes).
const AUCTION_MINUTES: std::ops::RangeInclusive<i64> = 10..=10_080;

/// What the public market shows of a listing or an auction.
#[derive(Debug, Clone)]
pub struct MarketEntry {
    pub deal_id: i64,
    pub institution_name: String,
    pub title: String,
    pub mode: tto_domain::deal::DealMode,
    /// Achievements with their public fields (summaries of confidential ones left out —
    /// they cannot be listed anyway).
    pub items: Vec<DealItem>,
    pub listing: Option<Listing>,
    pub auction: Option<Auction>,
    pub interested: usize,
    pub highest: Option<Money>,
    pub bids: usize,
    /// The signed-in buyer's own standing: interest expressed, bidder registration.
    pub my_interest: bool,
    pub my_registration: Option<BidderStatus>,
    pub minimum_bid: Option<Money>,
    /// Bidders awaiting approval, for those who run the auction (the deal's TTO, the
    /// exchange); empty for everyone else.
    pub pending_bidders: Vec<Bidder>,
}

/// The settings of a listing or an auction.
#[derive(Debug, Clone)]
pub struct MarketSettingsInput {
    pub starts_at: Option<OffsetDateTime>,
    pub ends_at: OffsetDateTime,
    pub increment: String,
    pub auction_minutes: Option<i64>,
}

fn market_not_found(entity: &'static str) -> impl FnOnce(StoreError) -> AppError {
    move |e| match e {
        StoreError::NotFound => AppError::NotFound { entity },
        other => other.into(),
    }
}

fn money_field(errors: &mut ValidationErrors, field: &str, raw: &str) -> Option<Money> {
    if raw.trim().is_empty() {
        errors.add(field, Violation::Required);
        return None;
    }
    errors.collect(field, Money::parse(raw).and_then(Money::non_negative))
}

/// The participating institution of a buyer.
fn buyer(actor: &Actor) -> Result<(InstitutionId, Option<i64>)> {
    actor.require(Permission::MarketParticipate)?;
    let user = actor.user().ok_or(AppError::Forbidden)?;
    Ok((user.institution_id, Some(user.user_id.0)))
}

impl App {
    /// Opens the listing of a listing-route deal at its price.
    pub async fn open_listing(
        &self,
        actor: &Actor,
        deal: i64,
        version: i64,
        input: &MarketSettingsInput,
    ) -> Result<Listing> {
        actor.require(Permission::DealManage)?;
        let now = self.now();
        let rules_now = self.deal_rules(self.today())?;
        let mut errors = ValidationErrors::new();
        let increment = money_field(&mut errors, "increment", &input.increment);
        if increment.is_some_and(|i| i.is_zero()) {
            errors.add("increment", Violation::OutOfRange { min: "0.01".into(), max: Money::MAX.to_grouped() });
        }
        let minutes = input.auction_minutes.unwrap_or(60);
        if !AUCTION_MINUTES.contains(&minutes) {
            errors.add(
                "auction_minutes",
                Violation::OutOfRange {
                    min: AUCTION_MINUTES.start().to_string(),
                    max: AUCTION_MINUTES.end().to_string(),
                },
            );
        }
        let starts_at = input.starts_at.unwrap_or(now).max(now);
        if input.ends_at - starts_at < Duration::days(i64::from(rules_now.listing_min_days)) {
            errors.add(
                "ends_at",
                Violation::BelowPolicyMinimum {
                    minimum: rules_now.listing_min_days.to_string(),
                    unit: "days",
                    rule: rules_now.citation(ParamKey::ListingMinDays),
                },
            );
        }
        let (Some(increment), true) = (increment, errors.is_empty()) else { return Err(errors.into()) };
        let mut tx = self.store().write(actor.audit_actor(), now).await?;
        let before = self.load_deal(&mut tx, actor, deal, Some(version), Permission::DealManage).await?;
        if before.terms.route != PricingRoute::Listing {
            return Err(AppError::conflict("route", rule("route_mismatch", "the deal is not priced by listing")));
        }
        let status = next_status(&before, DealAction::List)?;
        let settings = rules::check_settings(before.terms.price, Some(increment), starts_at, input.ends_at, now)?;
        let listing = repo::insert_listing(
            &mut tx,
            before.id,
            before.institution_id,
            settings.price,
            settings.starts_at,
            settings.ends_at,
            settings.increment,
            minutes,
        )
        .await?;
        deal_repo::save_workflow(&mut tx, &before, &Deal { status, ..before.clone() }, "deal.list").await?;
        tx.commit().await?;
        Ok(listing)
    }

    /// Starts the auction of an auction-route deal, its price the reserve.
    pub async fn start_auction(
        &self,
        actor: &Actor,
        deal: i64,
        version: i64,
        input: &MarketSettingsInput,
    ) -> Result<Auction> {
        actor.require(Permission::DealManage)?;
        let now = self.now();
        let mut errors = ValidationErrors::new();
        let increment = money_field(&mut errors, "increment", &input.increment);
        if increment.is_some_and(|i| i.is_zero()) {
            errors.add("increment", Violation::OutOfRange { min: "0.01".into(), max: Money::MAX.to_grouped() });
        }
        let (Some(increment), true) = (increment, errors.is_empty()) else { return Err(errors.into()) };
        let starts_at = input.starts_at.unwrap_or(now);
        let mut tx = self.store().write(actor.audit_actor(), now).await?;
        let before = self.load_deal(&mut tx, actor, deal, Some(version), Permission::DealManage).await?;
        if before.terms.route != PricingRoute::Auction {
            return Err(AppError::conflict("route", rule("route_mismatch", "the deal is not priced by auction")));
        }
        let status = next_status(&before, DealAction::StartAuction)?;
        let s = rules::check_settings(before.terms.price, Some(increment), starts_at, input.ends_at, now)?;
        let auction = repo::insert_auction(
            &mut tx,
            before.id,
            before.institution_id,
            None,
            s.price,
            s.increment,
            s.starts_at,
            s.ends_at,
        )
        .await?;
        deal_repo::save_workflow(&mut tx, &before, &Deal { status, ..before.clone() }, "deal.start_auction").await?;
        tx.commit().await?;
        Ok(auction)
    }

    /// Open listings and auctions (the public market page), with the actor's own standing.
    pub async fn market(&self, actor: &Actor) -> Result<Vec<MarketEntry>> {
        let mut r = self.store().reader().await?;
        let mine = actor.user().filter(|_| actor.can(Permission::MarketParticipate)).map(|u| u.institution_id);
        let mut out = Vec::new();
        for l in repo::open_listings(&mut r, 200).await? {
            let deal = deal_repo::get(&mut r, Scope::All, l.deal_id).await?;
            let interests = repo::interests(&mut r, l.id).await?;
            out.push(MarketEntry {
                deal_id: deal.id,
                institution_name: deal.institution_name.clone(),
                title: deal.terms.title.clone(),
                mode: deal.terms.mode,
                items: deal.items.clone(),
                my_interest: mine.is_some_and(|m| interests.iter().any(|i| i.party_id == m)),
                interested: interests.len(),
                listing: Some(l),
                auction: None,
                highest: None,
                bids: 0,
                my_registration: None,
                minimum_bid: None,
                pending_bidders: Vec::new(),
            });
        }
        for a in repo::open_auctions(&mut r, 200).await? {
            let deal = deal_repo::get(&mut r, Scope::All, a.deal_id).await?;
            let bids = repo::bids(&mut r, a.id).await?;
            let highest = bids.first().map(|b| b.amount);
            let my_registration = match mine {
                Some(m) => repo::bidder(&mut r, a.id, m).await?.map(|b| b.status),
                None => None,
            };
            let state = auction_state(&a, highest);
            let pending_bidders = if actor.require_for(Permission::MarketOperate, a.institution_id).is_ok() {
                repo::bidders(&mut r, a.id)
                    .await?
                    .into_iter()
                    .filter(|b| b.status == BidderStatus::Registered)
                    .collect()
            } else {
                Vec::new()
            };
            out.push(MarketEntry {
                deal_id: deal.id,
                institution_name: deal.institution_name.clone(),
                title: deal.terms.title.clone(),
                mode: deal.terms.mode,
                items: deal.items.clone(),
                listing: None,
                interested: 0,
                my_interest: false,
                highest,
                bids: bids.len(),
                my_registration,
                minimum_bid: Some(rules::minimum_bid(&state)),
                pending_bidders,
                auction: Some(a),
            });
        }
        Ok(out)
    }

    /// One open or closed listing/auction of a deal as the market shows it.
    pub async fn market_entry(&self, actor: &Actor, deal: i64) -> Result<MarketEntry> {
        let entries = self.market(actor).await?;
        entries.into_iter().find(|e| e.deal_id == deal).ok_or(AppError::NotFound { entity: "listing" })
    }

    /// An enterprise or investor expresses interest in a listing.
    pub async fn express_interest(&self, actor: &Actor, listing: i64, note: &str) -> Result<ListingView> {
        let (party, user) = buyer(actor)?;
        let mut errors = ValidationErrors::new();
        let note = tto_domain::validation::optional_text(&mut errors, "note", Some(note), 1000).unwrap_or_default();
        errors.finish(|| ())?;
        let now = self.now();
        let mut tx = self.store().write(actor.audit_actor(), now).await?;
        let l = repo::listing(&mut tx, listing).await.map_err(market_not_found("listing"))?;
        if l.status != MarketStatus::Open || now >= l.ends_at {
            return Err(AppError::conflict("listing", rule("listing_closed", "the listing has closed")));
        }
        if now < l.starts_at {
            return Err(AppError::conflict("listing", rule("listing_not_started", "the listing has not started")));
        }
        if party == l.institution_id {
            return Err(AppError::conflict("listing", rule("own_listing", "a university cannot buy its own listing")));
        }
        if repo::interests(&mut tx, l.id).await?.iter().any(|i| i.party_id == party) {
            return Err(AppError::conflict(
                "listing",
                rule("already_interested", "your institution already expressed interest"),
            ));
        }
        repo::insert_interest(&mut tx, &l, party, user, &note).await?;
        let interests = repo::interests(&mut tx, l.id).await?;
        tx.commit().await?;
        Ok(ListingView { listing: l, interests })
    }

    /// An enterprise or investor registers to bid; the TTO or the exchange approves.
    pub async fn register_bidder(&self, actor: &Actor, auction: i64, note: &str) -> Result<Bidder> {
        let (party, _) = buyer(actor)?;
        let mut errors = ValidationErrors::new();
        let note = tto_domain::validation::optional_text(&mut errors, "note", Some(note), 1000).unwrap_or_default();
        errors.finish(|| ())?;
        let now = self.now();
        let mut tx = self.store().write(actor.audit_actor(), now).await?;
        let a = repo::auction(&mut tx, auction).await.map_err(market_not_found("auction"))?;
        if a.status != MarketStatus::Open || now >= a.ends_at {
            return Err(AppError::conflict("auction", rule("auction_closed", "the auction has closed")));
        }
        if party == a.institution_id {
            return Err(AppError::conflict("auction", rule("own_listing", "a university cannot bid for its own deal")));
        }
        if repo::bidder(&mut tx, a.id, party).await?.is_some() {
            return Err(AppError::conflict(
                "auction",
                rule("already_registered", "your institution is already registered"),
            ));
        }
        repo::insert_bidder(&mut tx, &a, party, BidderStatus::Registered, &note).await?;
        let saved = repo::bidder(&mut tx, a.id, party).await?.ok_or(AppError::NotFound { entity: "bidder" })?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Approves or rejects a registered bidder.
    pub async fn decide_bidder(&self, actor: &Actor, auction: i64, party: i64, approve: bool) -> Result<Bidder> {
        actor.require(Permission::MarketOperate)?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let a = repo::auction(&mut tx, auction).await.map_err(market_not_found("auction"))?;
        actor
            .require_for(Permission::MarketOperate, a.institution_id)
            .map_err(|_| AppError::NotFound { entity: "auction" })?;
        let before =
            repo::bidder(&mut tx, a.id, InstitutionId(party)).await?.ok_or(AppError::NotFound { entity: "bidder" })?;
        if a.status != MarketStatus::Open {
            return Err(AppError::conflict("auction", rule("auction_closed", "the auction has closed")));
        }
        if before.status != BidderStatus::Registered {
            return Err(AppError::conflict(
                "status",
                rule("bidder_decided", format!("the bidder is already {}", before.status)),
            ));
        }
        let status = if approve { BidderStatus::Approved } else { BidderStatus::Rejected };
        repo::decide_bidder(&mut tx, &a, &before, status).await?;
        let saved =
            repo::bidder(&mut tx, a.id, before.party_id).await?.ok_or(AppError::NotFound { entity: "bidder" })?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Places a bid for the actor's institution.
    pub async fn place_bid(&self, actor: &Actor, auction: i64, amount: &str) -> Result<Bid> {
        let (party, user) = buyer(actor)?;
        let mut errors = ValidationErrors::new();
        let amount = money_field(&mut errors, "amount", amount);
        let (Some(amount), true) = (amount, errors.is_empty()) else { return Err(errors.into()) };
        let rules_now = self.deal_rules(self.today())?;
        let now = self.now();
        let mut tx = self.store().write(actor.audit_actor(), now).await?;
        let a = repo::auction(&mut tx, auction).await.map_err(market_not_found("auction"))?;
        let bidder = repo::bidder(&mut tx, a.id, party).await?.map(|b| b.status);
        let highest = repo::highest_bid(&mut tx, a.id).await?.map(|b| b.amount);
        rules::check_bid(&auction_state(&a, highest), bidder, amount, now).map_err(|v| match v.code() {
            "below_reserve" | "below_increment" => AppError::field("amount", v),
            "bidder_not_approved" => AppError::conflict("bidder", v),
            _ => AppError::conflict("auction", v),
        })?;
        let end = rules::end_after_bid(
            a.ends_at,
            now,
            Duration::minutes(i64::from(rules_now.anti_sniping_minutes)),
            Duration::minutes(i64::from(rules_now.extension_minutes)),
        );
        let bid = repo::insert_bid(&mut tx, &a, party, user, amount, (end != a.ends_at).then_some(end)).await?;
        tx.commit().await?;
        Ok(bid)
    }

    /// An auction with its bidders and bids, for the deal's institution and the exchange.
    pub async fn auction(&self, actor: &Actor, id: i64) -> Result<AuctionView> {
        actor.require(Permission::MarketOperate).or_else(|_| actor.require(Permission::DealRead))?;
        let mut r = self.store().reader().await?;
        let auction = repo::auction(&mut r, id).await.map_err(market_not_found("auction"))?;
        if actor.require_for(Permission::MarketOperate, auction.institution_id).is_err()
            && actor.require_for(Permission::DealRead, auction.institution_id).is_err()
        {
            return Err(AppError::NotFound { entity: "auction" });
        }
        let bidders = repo::bidders(&mut r, id).await?;
        let bids = repo::bids(&mut r, id).await?;
        Ok(AuctionView { auction, bidders, bids })
    }

    /// Closes a listing whose period is over: nobody → back to draft, one party → priced at
    /// the listing price, several → an auction among them.
    pub(crate) async fn close_listing_in(&self, tx: &mut WriteTx, l: &Listing) -> Result<()> {
        let now = self.now();
        if l.status != MarketStatus::Open || now < l.ends_at {
            return Err(AppError::conflict("listing", rule("listing_running", "the listing has not ended")));
        }
        let interests = repo::interests(tx, l.id).await?;
        let deal = deal_repo::get(tx, Scope::All, l.deal_id).await?;
        match interests.as_slice() {
            [] => {
                repo::close_listing(tx, l, outcome::UNSOLD).await?;
                let status = next_status(&deal, DealAction::ReturnToDraft)?;
                deal_repo::save_workflow(tx, &deal, &Deal { status, ..deal.clone() }, "deal.return_to_draft").await?;
            }
            [one] => {
                repo::close_listing(tx, l, outcome::SOLD).await?;
                let status = next_status(&deal, DealAction::FixPrice)?;
                let mut after =
                    Deal { status, final_price: Some(l.price), priced_on: Some(self.today()), ..deal.clone() };
                after.terms.counterparty = Some(one.party_id);
                deal_repo::save_workflow(tx, &deal, &after, "deal.fix_price").await?;
            }
            several => {
                repo::close_listing(tx, l, outcome::AUCTION).await?;
                let ends = now + Duration::minutes(l.auction_minutes);
                let a = repo::insert_auction(
                    tx,
                    deal.id,
                    deal.institution_id,
                    Some(l.id),
                    l.price,
                    l.auction_increment,
                    now,
                    ends,
                )
                .await?;
                for i in several {
                    repo::insert_bidder(tx, &a, i.party_id, BidderStatus::Approved, "listing interest").await?;
                }
                let status = next_status(&deal, DealAction::EscalateToAuction)?;
                deal_repo::save_workflow(tx, &deal, &Deal { status, ..deal.clone() }, "deal.escalate_to_auction")
                    .await?;
            }
        }
        Ok(())
    }

    /// Closes an auction whose end has passed: the highest bid wins; without bids the deal
    /// goes back to draft.
    pub(crate) async fn close_auction_in(&self, tx: &mut WriteTx, a: &Auction) -> Result<()> {
        let now = self.now();
        if a.status != MarketStatus::Open || now < a.ends_at {
            return Err(AppError::conflict("auction", rule("auction_running", "the auction has not ended")));
        }
        let winner = repo::highest_bid(tx, a.id).await?;
        repo::close_auction(tx, a, winner.as_ref()).await?;
        let deal = deal_repo::get(tx, Scope::All, a.deal_id).await?;
        if deal.status != DealStatus::Auctioning {
            return Ok(());
        }
        match winner {
            Some(bid) => {
                let status = next_status(&deal, DealAction::FixPrice)?;
                let mut after =
                    Deal { status, final_price: Some(bid.amount), priced_on: Some(self.today()), ..deal.clone() };
                after.terms.counterparty = Some(bid.party_id);
                deal_repo::save_workflow(tx, &deal, &after, "deal.fix_price").await?;
            }
            None => {
                let status = next_status(&deal, DealAction::ReturnToDraft)?;
                deal_repo::save_workflow(tx, &deal, &Deal { status, ..deal.clone() }, "deal.return_to_draft").await?;
            }
        }
        Ok(())
    }
}

fn auction_state(a: &Auction, highest: Option<Money>) -> AuctionState {
    AuctionState {
        status: a.status,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        reserve: a.reserve,
        increment: a.increment,
        highest,
    }
}
