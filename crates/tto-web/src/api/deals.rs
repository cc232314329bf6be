//! `/api/v1/deals`, `/api/v1/notices`, `/api/v1/objections`: deals with their pricing routes,
//! public notices and objections, the exemption verdict and the evidence pack.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tto_app::deals::{AuctionView, DealListFilter, DealView, ListingView};
use tto_app::market::MarketSettingsInput;
use tto_domain::deal::{DealDraft, DealStatus, PricingRoute};
use tto_domain::exemption::Verdict;
use tto_domain::{AchievementId, Violation};
use tto_store::deals::{Deal, DealRow};
use tto_store::notices::{Notice, Objection};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Decimalish, Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::{date, rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct DealItemDto {
    pub achievement_id: i64,
    pub code: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealDto {
    pub id: i64,
    pub institution_id: i64,
    pub institution: String,
    pub title: String,
    /// `transfer`, `licence_exclusive`, `licence_sole`, `licence_non_exclusive`,
    /// `equity_investment`, `cooperation`, `self_implementation`.
    pub mode: String,
    /// `agreement`, `listing`, `auction`.
    pub route: String,
    /// Yuan. Agreement: the agreed price; listing: the listing price; auction: the reserve.
    pub price: String,
    pub counterparty_id: Option<i64>,
    pub counterparty: Option<String>,
    pub buyer_is_contributor: bool,
    pub related_party: bool,
    pub related_party_note: Option<String>,
    pub achievements: Vec<DealItemDto>,
    /// `draft`, `noticing`, `listed`, `auctioning`, `priced`, `completed`, `cancelled`.
    pub status: String,
    /// The price fixed by the notice, the listing or the auction.
    pub final_price: Option<String>,
    pub priced_on: Option<String>,
    pub completed_on: Option<String>,
    pub cancel_reason: Option<String>,
    pub policy_profile: String,
    pub version: i64,
    pub updated_at: String,
}

pub fn deal_dto(d: &Deal) -> DealDto {
    let t = &d.terms;
    DealDto {
        id: d.id,
        institution_id: d.institution_id.0,
        institution: d.institution_name.clone(),
        title: t.title.clone(),
        mode: t.mode.code().into(),
        route: t.route.code().into(),
        price: t.price.to_plain(),
        counterparty_id: t.counterparty.map(|c| c.0),
        counterparty: d.counterparty_name.clone(),
        buyer_is_contributor: t.buyer_is_contributor,
        related_party: t.related_party,
        related_party_note: t.related_party_note.clone(),
        achievements: d
            .items
            .iter()
            .map(|i| DealItemDto { achievement_id: i.achievement_id.0, code: i.code.clone(), title: i.title.clone() })
            .collect(),
        status: d.status.code().into(),
        final_price: d.final_price.map(|m| m.to_plain()),
        priced_on: d.priced_on.map(date),
        completed_on: d.completed_on.map(date),
        cancel_reason: d.cancel_reason.clone(),
        policy_profile: d.policy_profile.clone(),
        version: d.version,
        updated_at: rfc3339(d.updated_at),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealRowDto {
    pub id: i64,
    pub title: String,
    pub mode: String,
    pub route: String,
    pub status: String,
    pub price: String,
    pub final_price: Option<String>,
    pub counterparty: Option<String>,
    pub updated_at: String,
}

impl From<&DealRow> for DealRowDto {
    fn from(r: &DealRow) -> Self {
        DealRowDto {
            id: r.id,
            title: r.title.clone(),
            mode: r.mode.code().into(),
            route: r.route.code().into(),
            status: r.status.code().into(),
            price: r.price.to_plain(),
            final_price: r.final_price.map(|m| m.to_plain()),
            counterparty: r.counterparty_name.clone(),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionDto {
    pub id: i64,
    pub notice_id: i64,
    pub name: String,
    pub contact: String,
    pub content: String,
    /// `open`, `upheld`, `rejected`.
    pub status: String,
    pub response: Option<String>,
    pub created_at: String,
    pub version: i64,
}

pub fn objection_dto(o: &Objection) -> ObjectionDto {
    ObjectionDto {
        id: o.id,
        notice_id: o.notice_id,
        name: o.input.name.clone(),
        contact: o.input.contact.clone(),
        content: o.input.content.clone(),
        status: o.status.code().into(),
        response: o.response.clone(),
        created_at: rfc3339(o.created_at),
        version: o.version,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeDto {
    pub id: i64,
    pub institution: String,
    /// `deal`, `reward`, `release`.
    pub subject: String,
    pub subject_id: i64,
    pub title: String,
    /// What was published: achievements (names, summaries), mode, price (fen), buyer,
    /// contributor and related-party declarations, the last day for objections.
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    pub starts_on: String,
    pub ends_on: String,
    /// `open`, `closed`, `terminated`.
    pub status: String,
    pub closed_on: Option<String>,
    /// Only for the notice's institution.
    pub objections: Vec<ObjectionDto>,
}

pub fn notice_dto(n: &Notice, objections: &[Objection]) -> NoticeDto {
    NoticeDto {
        id: n.id,
        institution: n.institution_name.clone(),
        subject: n.subject.code().into(),
        subject_id: n.subject_id,
        title: n.title.clone(),
        content: n.content.clone(),
        starts_on: date(n.starts_on),
        ends_on: date(n.ends_on),
        status: n.status.code().into(),
        closed_on: n.closed_on.map(date),
        objections: objections.iter().map(objection_dto).collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterestDto {
    pub party_id: i64,
    pub party: String,
    pub note: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingDto {
    pub id: i64,
    pub deal_id: i64,
    pub price: String,
    pub starts_at: String,
    pub ends_at: String,
    pub auction_increment: String,
    pub auction_minutes: i64,
    /// `open`, `closed`.
    pub status: String,
    /// `sold`, `auction`, `unsold`, `withdrawn`.
    pub outcome: Option<String>,
    pub interests: Vec<InterestDto>,
}

pub fn listing_dto(v: &ListingView) -> ListingDto {
    let l = &v.listing;
    ListingDto {
        id: l.id,
        deal_id: l.deal_id,
        price: l.price.to_plain(),
        starts_at: rfc3339(l.starts_at),
        ends_at: rfc3339(l.ends_at),
        auction_increment: l.auction_increment.to_plain(),
        auction_minutes: l.auction_minutes,
        status: l.status.code().into(),
        outcome: l.outcome.clone(),
        interests: v
            .interests
            .iter()
            .map(|i| InterestDto {
                party_id: i.party_id.0,
                party: i.party_name.clone(),
                note: i.note.clone(),
                created_at: rfc3339(i.created_at),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BidderDto {
    pub party_id: i64,
    pub party: String,
    /// `registered`, `approved`, `rejected`.
    pub status: String,
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BidDto {
    pub id: i64,
    pub auction_id: i64,
    pub party_id: i64,
    pub party: String,
    pub amount: String,
    pub placed_at: String,
}

pub fn bid_dto(b: &tto_store::market::Bid) -> BidDto {
    BidDto {
        id: b.id,
        auction_id: b.auction_id,
        party_id: b.party_id.0,
        party: b.party_name.clone(),
        amount: b.amount.to_plain(),
        placed_at: rfc3339(b.placed_at),
    }
}

pub fn bidder_dto(b: &tto_store::market::Bidder) -> BidderDto {
    BidderDto {
        party_id: b.party_id.0,
        party: b.party_name.clone(),
        status: b.status.code().into(),
        note: b.note.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuctionDto {
    pub id: i64,
    pub deal_id: i64,
    pub listing_id: Option<i64>,
    pub reserve: String,
    pub increment: String,
    pub starts_at: String,
    /// The current end (moved by late bids).
    pub ends_at: String,
    pub scheduled_end_at: String,
    pub status: String,
    pub winner_id: Option<i64>,
    pub winning_bid_id: Option<i64>,
    pub bidders: Vec<BidderDto>,
    /// Highest first.
    pub bids: Vec<BidDto>,
}

pub fn auction_dto(v: &AuctionView) -> AuctionDto {
    let a = &v.auction;
    AuctionDto {
        id: a.id,
        deal_id: a.deal_id,
        listing_id: a.listing_id,
        reserve: a.reserve.to_plain(),
        increment: a.increment.to_plain(),
        starts_at: rfc3339(a.starts_at),
        ends_at: rfc3339(a.ends_at),
        scheduled_end_at: rfc3339(a.scheduled_end_at),
        status: a.status.code().into(),
        winner_id: a.winner_id.map(|w| w.0),
        winning_bid_id: a.winning_bid_id,
        bidders: v.bidders.iter().map(bidder_dto).collect(),
        bids: v.bids.iter().map(bid_dto).collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionDto {
    /// `route_qualifies`, `notice_completed`, `notice_long_enough`, `no_upheld_objection`,
    /// `market_closed_with_buyer`, `price_fixed`.
    pub code: String,
    pub met: bool,
    /// The condition in words, in the request's language.
    pub explanation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    pub key: String,
    pub document: String,
    pub article: Option<String>,
    pub url: Option<String>,
    /// A (statute read), B, C, U (needs confirmation).
    pub grade: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerdictDto {
    /// Whether the pricing route relieves the decision-makers of liability (measure 十七).
    pub qualifies: bool,
    pub conditions: Vec<ConditionDto>,
    pub rule: Option<RuleDto>,
}

pub fn verdict_dto(t: crate::i18n::T, v: &Verdict, rule: Option<&tto_domain::policy::Parameter>) -> VerdictDto {
    VerdictDto {
        qualifies: v.qualifies,
        conditions: v
            .conditions
            .iter()
            .map(|c| {
                let args: Vec<(&str, String)> = c
                    .args
                    .iter()
                    .map(|(k, v)| (*k, if *k == "route" { t.code("deal.route", v) } else { v.clone() }))
                    .collect();
                ConditionDto {
                    code: c.code.into(),
                    met: c.met,
                    explanation: t.f(&format!("exemption.condition.{}", c.code), &args),
                }
            })
            .collect(),
        rule: rule.map(|p| RuleDto {
            key: p.key.code().into(),
            document: p.source.document.clone(),
            article: p.source.article.clone(),
            url: p.source.url.clone(),
            grade: p.grade.code().into(),
        }),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealDetailDto {
    pub deal: DealDto,
    pub notices: Vec<NoticeDto>,
    pub listings: Vec<ListingDto>,
    pub auctions: Vec<AuctionDto>,
    pub contracts: Vec<super::contracts::ContractRowDto>,
    pub exemption: VerdictDto,
    /// Steps the caller may take now (`start_notice`, `list`, `start_auction`, `complete`, `cancel`).
    pub actions: Vec<String>,
}

pub fn detail_dto(t: crate::i18n::T, v: &DealView) -> DealDetailDto {
    DealDetailDto {
        deal: deal_dto(&v.deal),
        notices: v.notices.iter().map(|n| notice_dto(&n.notice, &n.objections)).collect(),
        listings: v.listings.iter().map(listing_dto).collect(),
        auctions: v.auctions.iter().map(auction_dto).collect(),
        contracts: v.contracts.iter().map(super::contracts::ContractRowDto::from).collect(),
        exemption: verdict_dto(
            t,
            &v.verdict,
            v.rules.parameter(tto_domain::policy::ParamKey::ExemptionQualifyingRoutes),
        ),
        actions: v.actions.iter().map(|a| a.code().to_string()).collect(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealInput {
    pub title: String,
    pub mode: String,
    pub route: String,
    /// Yuan, as a string or a number.
    #[schema(value_type = String)]
    pub price: Decimalish,
    /// The buyer (required for agreement pricing of a sale).
    pub counterparty_id: Option<i64>,
    #[serde(default)]
    pub buyer_is_contributor: bool,
    #[serde(default)]
    pub related_party: bool,
    /// Required when the buyer is a contributor or a related party.
    pub related_party_note: Option<String>,
    pub achievement_ids: Vec<i64>,
    /// Updates only: the version the change is based on.
    pub version: Option<i64>,
}

fn draft_of(input: DealInput) -> DealDraft {
    DealDraft {
        title: input.title,
        mode: input.mode,
        route: input.route,
        price: input.price.text(),
        counterparty: input.counterparty_id,
        buyer_is_contributor: input.buyer_is_contributor,
        related_party: input.related_party,
        related_party_note: input.related_party_note,
        achievements: input.achievement_ids,
    }
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    status: Option<String>,
    route: Option<String>,
    achievement_id: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/deals", tag = "deals", params(ListParams),
    responses((status = 200, body = [DealRowDto]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<DealRowDto>>, ApiError> {
    let bad = |f: &str, v: Violation| ApiError::bad_field(ctx.lang, f, &v);
    let filter = DealListFilter {
        status: param(&pairs, "status").map(DealStatus::from_code).transpose().map_err(|v| bad("status", v))?,
        route: param(&pairs, "route").map(PricingRoute::from_code).transpose().map_err(|v| bad("route", v))?,
        achievement: match param(&pairs, "achievement_id") {
            Some(v) => Some(AchievementId(
                v.parse()
                    .map_err(|_| bad("achievement_id", Violation::InvalidFormat { expected: "positive_integer" }))?,
            )),
            None => None,
        },
    };
    let rows = state.app.deals(&ctx.actor, &filter).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(DealRowDto::from).collect()))
}

/// Draft a deal of one or more achievements.
#[utoipa::path(
    post, path = "/api/v1/deals", tag = "deals", request_body = DealInput,
    responses(
        (status = 201, body = DealDto),
        (status = 422, description = "Invalid terms, achievements not available, confidential achievements on the market …", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<DealInput>,
) -> Result<(StatusCode, Json<DealDto>), ApiError> {
    let created = state.app.create_deal(&ctx.actor, &draft_of(input)).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(deal_dto(&created))))
}

#[utoipa::path(
    get, path = "/api/v1/deals/{id}", tag = "deals", params(("id" = i64, Path)),
    responses((status = 200, body = DealDetailDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<DealDetailDto>, ApiError> {
    let view = state.app.deal(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(detail_dto(ctx.t(), &view)))
}

/// Change a draft deal (the price is fixed once the notice, listing or auction started).
#[utoipa::path(
    put, path = "/api/v1/deals/{id}", tag = "deals", params(("id" = i64, Path)), request_body = DealInput,
    responses((status = 200, body = DealDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<DealInput>,
) -> Result<Json<DealDto>, ApiError> {
    let Some(version) = input.version else {
        return Err(ApiError::bad_field(ctx.lang, "version", &Violation::Required));
    };
    let saved = state.app.update_deal(&ctx.actor, id, version, &draft_of(input)).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(deal_dto(&saved)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealStepInput {
    pub version: i64,
    /// `start_notice`: first and last day of the on-campus notice (at least the policy's minimum days).
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    /// `list`, `start_auction`: start (default now) and end, RFC 3339.
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// `list`, `start_auction`: the bid increment in yuan (for a listing: if it turns into an auction).
    #[schema(value_type = Option<String>)]
    pub increment: Option<Decimalish>,
    /// `list`: how long the auction runs if several parties are interested (default 60).
    pub auction_minutes: Option<i64>,
    /// `cancel`: why.
    pub reason: Option<String>,
}

/// Move a deal on: `start_notice`, `list`, `start_auction`, `complete` or `cancel`.
#[utoipa::path(
    post, path = "/api/v1/deals/{id}/{step}", tag = "deals",
    params(("id" = i64, Path), ("step" = String, Path, description = "start_notice | list | start_auction | complete | cancel")),
    request_body = DealStepInput,
    responses(
        (status = 200, body = DealDetailDto), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed now, stale version, an open objection", body = ErrorBody),
        (status = 422, description = "Notice shorter than the minimum, listing too short …", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    Body(input): Body<DealStepInput>,
) -> Result<Json<DealDetailDto>, ApiError> {
    let app = &state.app;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let market = || -> Result<MarketSettingsInput, ApiError> {
        let at = |field: &str, v: &Option<String>| -> Result<Option<time::OffsetDateTime>, ApiError> {
            v.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339).map_err(
                        |_| ApiError::bad_field(ctx.lang, field, &Violation::InvalidFormat { expected: "timestamp" }),
                    )
                })
                .transpose()
        };
        Ok(MarketSettingsInput {
            starts_at: at("starts_at", &input.starts_at)?,
            ends_at: at("ends_at", &input.ends_at)?
                .ok_or_else(|| ApiError::bad_field(ctx.lang, "ends_at", &Violation::Required))?,
            increment: input.increment.as_ref().map(Decimalish::text).unwrap_or_default(),
            auction_minutes: input.auction_minutes,
        })
    };
    let done = match step.as_str() {
        "start_notice" => app
            .start_deal_notice(&ctx.actor, id, input.version, &text(&input.starts_on), &text(&input.ends_on))
            .await
            .map(|_| ()),
        "list" => app.open_listing(&ctx.actor, id, input.version, &market()?).await.map(|_| ()),
        "start_auction" => app.start_auction(&ctx.actor, id, input.version, &market()?).await.map(|_| ()),
        "complete" => app.complete_deal(&ctx.actor, id, input.version).await.map(|_| ()),
        "cancel" => app.cancel_deal(&ctx.actor, id, input.version, &text(&input.reason)).await.map(|_| ()),
        other => {
            return Err(ApiError::bad_field(ctx.lang, "step", &Violation::UnknownChoice { value: other.to_string() }));
        }
    };
    done.map_err(|e| ctx.api_error(e))?;
    let view = app.deal(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(detail_dto(ctx.t(), &view)))
}

/// The due-diligence exemption verdict (尽职免责, measure 十七) with its reasoning and rule.
#[utoipa::path(
    get, path = "/api/v1/deals/{id}/exemption", tag = "deals", params(("id" = i64, Path)),
    responses((status = 200, body = VerdictDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn exemption(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<VerdictDto>, ApiError> {
    let view = state.app.deal(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(verdict_dto(
        ctx.t(),
        &view.verdict,
        view.rules.parameter(tto_domain::policy::ParamKey::ExemptionQualifyingRoutes),
    )))
}

/// The evidence pack: a ZIP with a summary and the JSON facts and audit events; verify with
/// `tto audit verify-pack FILE`.
#[utoipa::path(
    get, path = "/api/v1/deals/{id}/evidence-pack", tag = "deals", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn evidence_pack(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let t = ctx.t();
    let (name, bytes) = state
        .app
        .evidence_pack(&ctx.actor, id, |view, events| crate::pages::deals::evidence_summary(t, view, events))
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok(zip_response(&name, bytes))
}

pub fn zip_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response()
}

#[utoipa::path(
    get, path = "/api/v1/notices", tag = "deals",
    responses((status = 200, description = "Notices running today (public)", body = [NoticeDto]))
)]
pub async fn notices(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<NoticeDto>>, ApiError> {
    let rows = state.app.running_notices().await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(|n| notice_dto(n, &[])).collect()))
}

#[utoipa::path(
    get, path = "/api/v1/notices/{id}", tag = "deals", params(("id" = i64, Path)),
    responses((status = 200, body = NoticeDto), (status = 404, body = ErrorBody))
)]
pub async fn notice(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Json<NoticeDto>, ApiError> {
    let (n, objections) = state.app.notice(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(notice_dto(&n, &objections)))
}

/// Close a notice after its last day (the scheduled task does this too); fixes the deal's price.
#[utoipa::path(
    post, path = "/api/v1/notices/{id}/close", tag = "deals", params(("id" = i64, Path)),
    responses((status = 200, body = NoticeDto), (status = 404, body = ErrorBody), (status = 409, description = "Not ended, or an objection is open", body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn close_notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<NoticeDto>, ApiError> {
    let n = state.app.close_notice(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    let (n, objections) = state.app.notice(&ctx.actor, n.id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(notice_dto(&n, &objections)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionInput {
    pub name: String,
    /// Telephone or e-mail for the TTO's answer.
    pub contact: String,
    pub content: String,
}

/// Object to a running notice (anyone; no sign-in needed).
#[utoipa::path(
    post, path = "/api/v1/notices/{id}/objections", tag = "deals", params(("id" = i64, Path)), request_body = ObjectionInput,
    responses((status = 201, body = ObjectionDto), (status = 404, body = ErrorBody), (status = 409, description = "The notice is not running", body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn object(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<ObjectionInput>,
) -> Result<(StatusCode, Json<ObjectionDto>), ApiError> {
    let o = state
        .app
        .submit_objection(&ctx.actor, id, &input.name, &input.contact, &input.content)
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(objection_dto(&o))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub version: i64,
    /// `uphold` (the notice ends, the deal goes back to draft) or `reject`.
    pub decision: String,
    /// The TTO's reasons, sent to the objector.
    pub response: String,
}

#[utoipa::path(
    post, path = "/api/v1/objections/{id}/decision", tag = "deals", params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = ObjectionDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<DecisionInput>,
) -> Result<Json<ObjectionDto>, ApiError> {
    let uphold = match input.decision.as_str() {
        "uphold" => true,
        "reject" => false,
        other => {
            return Err(ApiError::bad_field(
                ctx.lang,
                "decision",
                &Violation::UnknownChoice { value: other.to_string() },
            ));
        }
    };
    let o = state
        .app
        .decide_objection(&ctx.actor, id, input.version, uphold, &input.response)
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok(Json(objection_dto(&o)))
}
