//! `/api/v1/market`, `/api/v1/listings`, `/api/v1/auctions`: the public market, expressions
//! of interest, bidder registration and approval, and bids.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_app::market::MarketEntry;
use tto_domain::Violation;
use utoipa::ToSchema;

use super::deals::{
    AuctionDto, BidDto, BidderDto, DealItemDto, ListingDto, auction_dto, bid_dto, bidder_dto, listing_dto,
};
use super::json::{Body, Decimalish};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct MarketEntryDto {
    pub deal_id: i64,
    pub institution: String,
    pub title: String,
    pub mode: String,
    pub achievements: Vec<DealItemDto>,
    /// `listing` or `auction`.
    pub kind: String,
    /// The listing or auction id.
    pub id: i64,
    /// Listing price or auction reserve.
    pub price: String,
    pub increment: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    /// Listings: parties interested so far.
    pub interested: usize,
    /// Auctions: the highest bid and the number of bids (bidders are not disclosed).
    pub highest_bid: Option<String>,
    pub bids: usize,
    pub minimum_bid: Option<String>,
    /// The caller's own standing (buyers only).
    pub my_interest: bool,
    pub my_registration: Option<String>,
}

fn entry_dto(e: &MarketEntry) -> Option<MarketEntryDto> {
    let (kind, id, price, increment, starts_at, ends_at) = match (&e.listing, &e.auction) {
        (Some(l), _) => ("listing", l.id, l.price, None, l.starts_at, l.ends_at),
        (None, Some(a)) => ("auction", a.id, a.reserve, Some(a.increment), a.starts_at, a.ends_at),
        (None, None) => return None,
    };
    Some(MarketEntryDto {
        deal_id: e.deal_id,
        institution: e.institution_name.clone(),
        title: e.title.clone(),
        mode: e.mode.code().into(),
        achievements: e
            .items
            .iter()
            .map(|i| DealItemDto { achievement_id: i.achievement_id.0, code: i.code.clone(), title: i.title.clone() })
            .collect(),
        kind: kind.into(),
        id,
        price: price.to_plain(),
        increment: increment.map(|m| m.to_plain()),
        starts_at: rfc3339(starts_at),
        ends_at: rfc3339(ends_at),
        interested: e.interested,
        highest_bid: e.highest.map(|m| m.to_plain()),
        bids: e.bids,
        minimum_bid: e.minimum_bid.map(|m| m.to_plain()),
        my_interest: e.my_interest,
        my_registration: e.my_registration.map(|s| s.code().to_string()),
    })
}

#[utoipa::path(
    get, path = "/api/v1/market", tag = "market",
    responses((status = 200, description = "Open listings and auctions (public)", body = [MarketEntryDto]))
)]
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<MarketEntryDto>>, ApiError> {
    let entries = state.app.market(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(entries.iter().filter_map(entry_dto).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    #[serde(default)]
    pub note: String,
}

/// Express interest in a listing for the caller's institution (enterprises, investors).
#[utoipa::path(
    post, path = "/api/v1/listings/{id}/interest", tag = "market", params(("id" = i64, Path)), request_body = NoteInput,
    responses((status = 201, body = ListingDto), (status = 404, body = ErrorBody), (status = 409, description = "Closed, not started, already interested", body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn interest(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<NoteInput>,
) -> Result<(StatusCode, Json<ListingDto>), ApiError> {
    let mut view = state.app.express_interest(&ctx.actor, id, &input.note).await.map_err(|e| ctx.api_error(e))?;
    // A buyer sees its own interest only.
    if let Some(me) = ctx.actor.institution_id() {
        view.interests.retain(|i| i.party_id == me);
    }
    Ok((StatusCode::CREATED, Json(listing_dto(&view))))
}

/// Register the caller's institution as a bidder (approval follows).
#[utoipa::path(
    post, path = "/api/v1/auctions/{id}/bidders", tag = "market", params(("id" = i64, Path)), request_body = NoteInput,
    responses((status = 201, body = BidderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<NoteInput>,
) -> Result<(StatusCode, Json<BidderDto>), ApiError> {
    let b = state.app.register_bidder(&ctx.actor, id, &input.note).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(bidder_dto(&b))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidderDecisionInput {
    /// `approve` or `reject`.
    pub decision: String,
}

/// Approve or reject a registered bidder (the TTO or the exchange).
#[utoipa::path(
    post, path = "/api/v1/auctions/{id}/bidders/{party_id}/decision", tag = "market",
    params(("id" = i64, Path), ("party_id" = i64, Path)), request_body = BidderDecisionInput,
    responses((status = 200, body = BidderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn decide_bidder(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, party)): Path<(i64, i64)>,
    Body(input): Body<BidderDecisionInput>,
) -> Result<Json<BidderDto>, ApiError> {
    let approve = match input.decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => {
            return Err(ApiError::bad_field(
                ctx.lang,
                "decision",
                &Violation::UnknownChoice { value: other.to_string() },
            ));
        }
    };
    let b = state.app.decide_bidder(&ctx.actor, id, party, approve).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(bidder_dto(&b)))
}

/// An auction with its bidders and bids (the deal's institution and the exchange).
#[utoipa::path(
    get, path = "/api/v1/auctions/{id}", tag = "market", params(("id" = i64, Path)),
    responses((status = 200, body = AuctionDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn auction(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<AuctionDto>, ApiError> {
    let v = state.app.auction(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(auction_dto(&v)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidInput {
    /// Yuan: at least the reserve, then the highest bid plus the increment.
    #[schema(value_type = String)]
    pub amount: Decimalish,
}

/// Bid for the caller's institution (a registered and approved bidder).
#[utoipa::path(
    post, path = "/api/v1/auctions/{id}/bids", tag = "market", params(("id" = i64, Path)), request_body = BidInput,
    responses(
        (status = 201, body = BidDto), (status = 404, body = ErrorBody),
        (status = 409, description = "Closed, not started, bidder not registered or approved", body = ErrorBody),
        (status = 422, description = "Below the reserve or the increment", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn bid(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<BidInput>,
) -> Result<(StatusCode, Json<BidDto>), ApiError> {
    let b = state.app.place_bid(&ctx.actor, id, &input.amount.text()).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(bid_dto(&b))))
}
