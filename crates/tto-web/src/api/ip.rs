//! `/api/v1/ip-rights`, `/api/v1/annuities/due`, `/api/v1/reminders`, `/api/v1/monitoring`,
//! `/api/v1/patent-programme`: IP records with annuities, reminders, the monitoring of major
//! achievements and the patent-conversion programme.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_app::ip::{DueAnnuity, IpView, ProgrammeRate, Watched};
use tto_domain::Violation;
use tto_domain::ip::{IpDraft, IpKind, LegalStatus};
use tto_store::ip::{IpFilter, IpRecord, Reminder};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Decimalish, Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::{date, rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnuityDto {
    pub year: u32,
    pub due_on: String,
    pub paid_on: Option<String>,
    pub amount: Option<String>,
    pub overdue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IpDto {
    pub id: i64,
    pub institution_id: i64,
    pub institution: String,
    pub achievement_id: Option<i64>,
    pub achievement_title: Option<String>,
    /// `invention_patent`, `utility_model`, `design`, `software_copyright`, `ic_layout`, `plant_variety`.
    pub kind: String,
    pub title: String,
    pub jurisdiction: String,
    pub application_number: String,
    pub filing_date: String,
    pub grant_number: Option<String>,
    pub grant_date: Option<String>,
    /// `pending`, `granted`, `lapsed`, `expired`, `invalidated`, `abandoned`.
    pub legal_status: String,
    pub programme: bool,
    pub programme_status: Option<String>,
    /// Patents: the end of the term (from the profile).
    pub expires_on: Option<String>,
    pub annuities: Vec<AnnuityDto>,
    pub version: i64,
    pub updated_at: String,
}

fn record_dto(r: &IpRecord) -> IpDto {
    let f = &r.fields;
    IpDto {
        id: r.id,
        institution_id: r.institution_id.0,
        institution: r.institution_name.clone(),
        achievement_id: r.achievement_id.map(|a| a.0),
        achievement_title: r.achievement_title.clone(),
        kind: f.kind.code().into(),
        title: f.title.clone(),
        jurisdiction: f.jurisdiction.clone(),
        application_number: f.application_number.clone(),
        filing_date: date(f.filing_date),
        grant_number: f.grant_number.clone(),
        grant_date: f.grant_date.map(date),
        legal_status: f.legal_status.code().into(),
        programme: r.programme,
        programme_status: r.programme_status.map(|s| s.code().to_string()),
        expires_on: None,
        annuities: Vec::new(),
        version: r.version,
        updated_at: rfc3339(r.updated_at),
    }
}

fn view_dto(v: &IpView) -> IpDto {
    let mut dto = record_dto(&v.record);
    dto.expires_on = v.expires_on.map(date);
    dto.annuities = v
        .annuities
        .iter()
        .map(|a| AnnuityDto {
            year: a.annuity.year,
            due_on: date(a.annuity.due_on),
            paid_on: a.payment.as_ref().map(|p| date(p.paid_on)),
            amount: a.payment.as_ref().map(|p| p.amount.to_plain()),
            overdue: a.overdue,
        })
        .collect();
    dto
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    kind: Option<String>,
    legal_status: Option<String>,
    programme: Option<bool>,
    achievement_id: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/ip-rights", tag = "ip", params(ListParams),
    responses((status = 200, body = [IpDto]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<IpDto>>, ApiError> {
    let bad = |f: &str, v: Violation| ApiError::bad_field(ctx.lang, f, &v);
    let filter = IpFilter {
        kind: param(&pairs, "kind").map(IpKind::from_code).transpose().map_err(|v| bad("kind", v))?,
        legal_status: param(&pairs, "legal_status")
            .map(LegalStatus::from_code)
            .transpose()
            .map_err(|v| bad("legal_status", v))?,
        programme: match param(&pairs, "programme") {
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(bad("programme", Violation::InvalidFormat { expected: "true_false" })),
            None => None,
        },
        achievement: match param(&pairs, "achievement_id") {
            Some(v) => Some(tto_domain::AchievementId(
                v.parse()
                    .map_err(|_| bad("achievement_id", Violation::InvalidFormat { expected: "positive_integer" }))?,
            )),
            None => None,
        },
    };
    let rows = state.app.ip_records(&ctx.actor, &filter).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(record_dto).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpInput {
    pub achievement_id: Option<i64>,
    pub kind: String,
    pub title: String,
    /// Two- or three-letter code; default `CN`.
    #[serde(default)]
    pub jurisdiction: String,
    /// Chinese patents: `YYYYTNNNNNNN.C` with a valid check character.
    pub application_number: String,
    pub filing_date: String,
    #[serde(default)]
    pub grant_number: String,
    #[serde(default)]
    pub grant_date: String,
    /// Default: `granted` with a grant date, else `pending`.
    #[serde(default)]
    pub legal_status: String,
    /// Updates only.
    pub version: Option<i64>,
}

fn draft_of(i: &IpInput) -> IpDraft {
    IpDraft {
        kind: i.kind.clone(),
        title: i.title.clone(),
        jurisdiction: i.jurisdiction.clone(),
        application_number: i.application_number.clone(),
        filing_date: i.filing_date.clone(),
        grant_number: i.grant_number.clone(),
        grant_date: i.grant_date.clone(),
        legal_status: i.legal_status.clone(),
    }
}

#[utoipa::path(
    post, path = "/api/v1/ip-rights", tag = "ip", request_body = IpInput,
    responses((status = 201, body = IpDto), (status = 422, description = "A number in the wrong format, dates …", body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<IpInput>,
) -> Result<(StatusCode, Json<IpDto>), ApiError> {
    let r = state
        .app
        .create_ip_record(&ctx.actor, input.achievement_id, &draft_of(&input))
        .await
        .map_err(|e| ctx.api_error(e))?;
    let v = state.app.ip_record(&ctx.actor, r.id).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(view_dto(&v))))
}

#[utoipa::path(
    get, path = "/api/v1/ip-rights/{id}", tag = "ip", params(("id" = i64, Path)),
    responses((status = 200, body = IpDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Json<IpDto>, ApiError> {
    let v = state.app.ip_record(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&v)))
}

#[utoipa::path(
    put, path = "/api/v1/ip-rights/{id}", tag = "ip", params(("id" = i64, Path)), request_body = IpInput,
    responses((status = 200, body = IpDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<IpInput>,
) -> Result<Json<IpDto>, ApiError> {
    let Some(version) = input.version else {
        return Err(ApiError::bad_field(ctx.lang, "version", &Violation::Required));
    };
    state
        .app
        .update_ip_record(&ctx.actor, id, version, input.achievement_id, &draft_of(&input))
        .await
        .map_err(|e| ctx.api_error(e))?;
    let v = state.app.ip_record(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&v)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub year: u32,
    pub paid_on: String,
    #[schema(value_type = String)]
    pub amount: Decimalish,
}

/// Record the payment of an annuity.
#[utoipa::path(
    post, path = "/api/v1/ip-rights/{id}/annuities", tag = "ip", params(("id" = i64, Path)), request_body = PaymentInput,
    responses((status = 200, body = IpDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn pay(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<PaymentInput>,
) -> Result<Json<IpDto>, ApiError> {
    let v = state
        .app
        .pay_annuity(&ctx.actor, id, &input.year.to_string(), &input.paid_on, &input.amount.text())
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&v)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeInput {
    pub version: i64,
    /// `listed`, `promoting`, `negotiating`, `converted`; null takes the patent out.
    pub status: Option<String>,
}

/// Put a granted patent in the patent-conversion programme, move its status, or take it out.
#[utoipa::path(
    post, path = "/api/v1/ip-rights/{id}/programme", tag = "ip", params(("id" = i64, Path)), request_body = ProgrammeInput,
    responses((status = 200, body = IpDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn programme(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<ProgrammeInput>,
) -> Result<Json<IpDto>, ApiError> {
    state
        .app
        .set_programme(&ctx.actor, id, input.version, input.status.as_deref())
        .await
        .map_err(|e| ctx.api_error(e))?;
    let v = state.app.ip_record(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&v)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueAnnuityDto {
    pub ip_id: i64,
    pub institution: String,
    pub title: String,
    pub application_number: String,
    pub year: u32,
    pub due_on: String,
    pub overdue: bool,
}

fn due_dto(d: &DueAnnuity) -> DueAnnuityDto {
    DueAnnuityDto {
        ip_id: d.record.id,
        institution: d.record.institution_name.clone(),
        title: d.record.fields.title.clone(),
        application_number: d.record.fields.application_number.clone(),
        year: d.annuity.year,
        due_on: date(d.annuity.due_on),
        overdue: d.overdue,
    }
}

/// Unpaid annuities: overdue, or due within the profile's reminder days.
#[utoipa::path(
    get, path = "/api/v1/annuities/due", tag = "ip",
    responses((status = 200, body = [DueAnnuityDto]), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn due(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<DueAnnuityDto>>, ApiError> {
    let rows = state.app.due_annuities(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(due_dto).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReminderDto {
    pub id: i64,
    pub subject: String,
    pub subject_id: i64,
    pub period: i64,
    pub due_on: String,
    pub status: String,
}

/// Open reminders raised by the scheduled task.
#[utoipa::path(
    get, path = "/api/v1/reminders", tag = "ip",
    responses((status = 200, body = [ReminderDto]), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn reminders(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<ReminderDto>>, ApiError> {
    let rows = state.app.reminders(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(
        rows.iter()
            .map(|r: &Reminder| ReminderDto {
                id: r.id,
                subject: r.subject.clone(),
                subject_id: r.subject_id,
                period: r.period,
                due_on: date(r.due_on),
                status: r.status.clone(),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    /// `stalled`, `annuity_overdue`, `annuity_due`, `not_evaluated`.
    pub kind: String,
    pub args: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchedDto {
    pub achievement_id: i64,
    pub code: String,
    pub title: String,
    pub institution: String,
    pub status: String,
    pub status_since: String,
    pub deals: usize,
    pub completed_deals: usize,
    pub income: String,
    pub evaluation_score: Option<String>,
    pub next_annuity: Option<String>,
    pub overdue_annuities: usize,
    pub alerts: Vec<AlertDto>,
}

fn watched_dto(w: &Watched) -> WatchedDto {
    let i = &w.indicators;
    WatchedDto {
        achievement_id: w.achievement.id.0,
        code: w.achievement.code.clone(),
        title: w.achievement.title.clone(),
        institution: w.achievement.institution_name.clone(),
        status: i.status.code().into(),
        status_since: date(i.status_since),
        deals: i.deals,
        completed_deals: i.completed_deals,
        income: i.income.to_plain(),
        evaluation_score: i.evaluation_score.map(|s| s.to_string()),
        next_annuity: i.next_annuity.map(date),
        overdue_annuities: i.overdue_annuities,
        alerts: w
            .alerts
            .iter()
            .map(|a| AlertDto {
                kind: a.kind.code().into(),
                args: a.args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            })
            .collect(),
    }
}

/// The monitoring dashboard of major achievements: indicators and alerts.
#[utoipa::path(
    get, path = "/api/v1/monitoring", tag = "ip",
    responses((status = 200, body = [WatchedDto]), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn monitoring(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<WatchedDto>>, ApiError> {
    let rows = state.app.monitoring(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(watched_dto).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeRateDto {
    pub institution_id: i64,
    pub institution: String,
    pub granted: usize,
    pub in_programme: usize,
    pub converted: usize,
    /// Percent of the patents in the programme that are converted.
    pub rate: Option<String>,
}

/// The patent-conversion programme: conversion rate of granted patents per university.
#[utoipa::path(
    get, path = "/api/v1/patent-programme", tag = "ip",
    responses((status = 200, body = [ProgrammeRateDto]), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn programme_rates(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<ProgrammeRateDto>>, ApiError> {
    let rows = state.app.programme_rates(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(
        rows.iter()
            .map(|r: &ProgrammeRate| ProgrammeRateDto {
                institution_id: r.institution_id.0,
                institution: r.institution_name.clone(),
                granted: r.granted,
                in_programme: r.in_programme,
                converted: r.converted,
                rate: r.rate.map(|x| x.to_string()),
            })
            .collect(),
    ))
}
