//! `/api/v1/ledger`, conversions and bookings: the separate ledger (单列管理).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_app::ledger::LedgerListFilter;
use tto_domain::ledger::{AssessmentDraft, ConversionDraft, Recognition, Stage};
use tto_domain::{AchievementId, FundingSource, Violation};
use tto_store::ledger::{ConversionRecord, LedgerEntry, LedgerRow, Reconciliation};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::{date, rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntryDto {
    pub id: i64,
    pub achievement_id: i64,
    /// `research` or `development`.
    pub stage: String,
    pub cost_measurable: bool,
    pub value_measurable: bool,
    /// `not_recognised`, `recognised_at_cost`, `booked`.
    pub recognition: String,
    /// Yuan, two decimals.
    pub book_value: Option<String>,
    pub notes: Option<String>,
    pub version: i64,
    pub updated_at: String,
}

pub fn entry_dto(e: &LedgerEntry) -> LedgerEntryDto {
    let a = &e.assessment;
    LedgerEntryDto {
        id: e.id,
        achievement_id: e.achievement_id.0,
        stage: a.stage.code().to_string(),
        cost_measurable: a.cost_measurable,
        value_measurable: a.value_measurable,
        recognition: a.recognition.code().to_string(),
        book_value: a.book_value.map(|m| m.to_plain()),
        notes: a.notes.clone(),
        version: e.version,
        updated_at: rfc3339(e.updated_at),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerRowDto {
    #[serde(flatten)]
    pub entry: LedgerEntryDto,
    pub code: String,
    pub title: String,
    pub funding_source: String,
    pub status: String,
    pub bookings: i64,
    pub booked_value: String,
}

impl From<&LedgerRow> for LedgerRowDto {
    fn from(r: &LedgerRow) -> Self {
        LedgerRowDto {
            entry: entry_dto(&r.entry),
            code: r.code.clone(),
            title: r.title.clone(),
            funding_source: r.funding_source.code().to_string(),
            status: r.status.code().to_string(),
            bookings: r.bookings,
            booked_value: r.booked_value.to_plain(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionDto {
    pub id: i64,
    pub achievement_id: i64,
    /// `transfer`, `licence`, `equity_investment`.
    pub mode: String,
    /// Yuan, two decimals.
    pub value: String,
    pub occurred_on: String,
    pub counterparty: String,
    pub reference: String,
    pub booked_on: Option<String>,
}

pub fn conversion_dto(c: &ConversionRecord) -> ConversionDto {
    ConversionDto {
        id: c.id,
        achievement_id: c.achievement_id.0,
        mode: c.conversion.mode.code().to_string(),
        value: c.conversion.value.to_plain(),
        occurred_on: date(c.conversion.occurred_on),
        counterparty: c.conversion.counterparty.clone(),
        reference: c.conversion.reference.clone(),
        booked_on: c.booked_on.map(date),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerViewDto {
    pub entry: Option<LedgerEntryDto>,
    pub conversions: Vec<ConversionDto>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    stage: Option<String>,
    recognition: Option<String>,
    /// Cost and value both measurable (`true`) or not (`false`).
    measurable: Option<bool>,
    funding_source: Option<String>,
}

pub fn ledger_filter(pairs: &Pairs) -> Result<LedgerListFilter, (String, Violation)> {
    fn field(f: &'static str) -> impl Fn(Violation) -> (String, Violation) {
        move |v| (f.to_string(), v)
    }
    Ok(LedgerListFilter {
        stage: param(pairs, "stage").map(Stage::from_code).transpose().map_err(field("stage"))?,
        recognition: param(pairs, "recognition")
            .map(Recognition::from_code)
            .transpose()
            .map_err(field("recognition"))?,
        measurable: match param(pairs, "measurable") {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(("measurable".into(), Violation::InvalidFormat { expected: "true_false" })),
        },
        funding_source: param(pairs, "funding_source")
            .map(FundingSource::from_code)
            .transpose()
            .map_err(field("funding_source"))?,
    })
}

#[utoipa::path(
    get, path = "/api/v1/ledger", tag = "ledger", params(ListParams),
    responses((status = 200, body = [LedgerRowDto]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<LedgerRowDto>>, ApiError> {
    let filter = ledger_filter(&pairs).map_err(|(f, v)| ApiError::bad_field(ctx.lang, &f, &v))?;
    let rows = state.app.ledger(&ctx.actor, &filter).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(LedgerRowDto::from).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciliationItemDto {
    pub achievement_id: i64,
    pub code: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciliationDto {
    /// Job-related achievements without a ledger entry.
    pub missing: Vec<ReconciliationItemDto>,
    /// Entries of achievements that are not job-related.
    pub not_job_related: Vec<ReconciliationItemDto>,
    /// Recorded conversions not yet booked.
    pub unbooked: Vec<ReconciliationItemDto>,
    /// Achievements booked as transferred or invested more than once.
    pub booked_twice: Vec<ReconciliationItemDto>,
}

fn items(v: &[(AchievementId, String, String)]) -> Vec<ReconciliationItemDto> {
    v.iter()
        .map(|(id, code, title)| ReconciliationItemDto {
            achievement_id: id.0,
            code: code.clone(),
            title: title.clone(),
        })
        .collect()
}

pub fn reconciliation_dto(r: &Reconciliation) -> ReconciliationDto {
    ReconciliationDto {
        missing: items(&r.missing),
        not_job_related: items(&r.not_job_related),
        unbooked: items(&r.unbooked),
        booked_twice: items(&r.booked_twice),
    }
}

#[utoipa::path(
    get, path = "/api/v1/ledger/reconciliation", tag = "ledger",
    responses((status = 200, body = ReconciliationDto), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn reconciliation(State(state): State<AppState>, ctx: Ctx) -> Result<Json<ReconciliationDto>, ApiError> {
    let r = state.app.reconcile_ledger(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(reconciliation_dto(&r)))
}

#[utoipa::path(
    get, path = "/api/v1/ledger/{achievement_id}", tag = "ledger", params(("achievement_id" = i64, Path)),
    responses((status = 200, body = LedgerViewDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<LedgerViewDto>, ApiError> {
    let v = state.app.ledger_view(&ctx.actor, AchievementId(id)).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(LedgerViewDto {
        entry: v.entry.as_ref().map(entry_dto),
        conversions: v.conversions.iter().map(conversion_dto).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    pub version: i64,
    pub stage: String,
    pub cost_measurable: bool,
    pub value_measurable: bool,
    /// `not_recognised` or `recognised_at_cost` (booking goes through a conversion).
    pub recognition: String,
    /// Yuan; required when recognised at cost.
    pub book_value: Option<String>,
    pub notes: Option<String>,
}

/// Change an entry's assessment.
#[utoipa::path(
    put, path = "/api/v1/ledger/{achievement_id}", tag = "ledger", params(("achievement_id" = i64, Path)),
    request_body = AssessmentInput,
    responses((status = 200, body = LedgerEntryDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn assess(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<AssessmentInput>,
) -> Result<Json<LedgerEntryDto>, ApiError> {
    let draft = AssessmentDraft {
        stage: input.stage,
        cost_measurable: input.cost_measurable,
        value_measurable: input.value_measurable,
        recognition: input.recognition,
        book_value: input.book_value,
        notes: input.notes,
    };
    let entry = state
        .app
        .assess_ledger(&ctx.actor, AchievementId(id), input.version, &draft)
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok(Json(entry_dto(&entry)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversionInput {
    /// `transfer`, `licence`, `equity_investment`.
    pub mode: String,
    /// Yuan, e.g. `"1200000.00"`.
    pub value: String,
    pub occurred_on: String,
    pub counterparty: String,
    /// Contract or deal reference.
    pub reference: String,
}

/// Record a conversion of an achievement.
#[utoipa::path(
    post, path = "/api/v1/achievements/{id}/conversions", tag = "ledger", params(("id" = i64, Path)),
    request_body = ConversionInput,
    responses((status = 201, body = ConversionDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn record_conversion(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<ConversionInput>,
) -> Result<(StatusCode, Json<ConversionDto>), ApiError> {
    let draft = ConversionDraft {
        mode: input.mode,
        value: input.value,
        occurred_on: input.occurred_on,
        counterparty: input.counterparty,
        reference: input.reference,
    };
    let c = state.app.record_conversion(&ctx.actor, AchievementId(id), &draft).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(conversion_dto(&c))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    pub booked_on: String,
}

/// Book a recorded conversion in the separate ledger.
#[utoipa::path(
    post, path = "/api/v1/conversions/{id}/booking", tag = "ledger", params(("id" = i64, Path)),
    request_body = BookingInput,
    responses((status = 200, body = LedgerEntryDto), (status = 409, description = "Already booked or no ledger entry", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn book(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<BookingInput>,
) -> Result<Json<LedgerEntryDto>, ApiError> {
    let entry = state.app.book_conversion(&ctx.actor, id, &input.booked_on).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(entry_dto(&entry)))
}
