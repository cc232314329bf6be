//! `/api/v1/releases`: central release (集中发布) of unconverted fiscally funded achievements.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_store::releases::{Campaign, ReleaseItem};
use utoipa::ToSchema;

use super::json::Body;
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::{date, opt_date};

#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseItemDto {
    pub achievement_id: i64,
    pub institution: String,
    pub code: String,
    pub title: String,
    pub summary: String,
    pub kind: String,
    pub discipline: String,
    pub trl: i64,
    pub completion_date: String,
}

pub fn item_dto(i: &ReleaseItem) -> ReleaseItemDto {
    ReleaseItemDto {
        achievement_id: i.achievement_id.0,
        institution: i.institution_name.clone(),
        code: i.code.clone(),
        title: i.title.clone(),
        summary: i.summary.clone(),
        kind: i.kind.code().into(),
        discipline: i.discipline.clone(),
        trl: i.trl,
        completion_date: opt_date(i.completion_date),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDto {
    pub id: i64,
    pub institution: String,
    pub title: String,
    pub description: String,
    /// `draft` or `published`.
    pub status: String,
    pub published_on: Option<String>,
    pub policy_profile: String,
    pub achievements: Vec<ReleaseItemDto>,
    pub version: i64,
}

pub fn dto(c: &Campaign) -> CampaignDto {
    CampaignDto {
        id: c.id,
        institution: c.institution_name.clone(),
        title: c.title.clone(),
        description: c.description.clone(),
        status: c.status.code().into(),
        published_on: c.published_on.map(date),
        policy_profile: c.policy_profile.clone(),
        achievements: c.items.iter().map(item_dto).collect(),
        version: c.version,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidatesDto {
    /// Completed on or before this day, fiscally funded, never converted.
    pub completed_by: String,
    /// The profile's period (years), graded U: needs confirmation.
    pub years: u32,
    pub rule: String,
    pub candidates: Vec<ReleaseItemDto>,
}

#[utoipa::path(
    get, path = "/api/v1/releases", tag = "releases",
    responses((status = 200, description = "Published campaigns (and the caller's drafts)", body = [CampaignDto]))
)]
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<CampaignDto>>, ApiError> {
    let rows = state.app.release_campaigns(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(dto).collect()))
}

#[utoipa::path(
    get, path = "/api/v1/releases/candidates", tag = "releases",
    responses((status = 200, body = CandidatesDto), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn candidates(State(state): State<AppState>, ctx: Ctx) -> Result<Json<CandidatesDto>, ApiError> {
    let c = state.app.release_candidates(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(CandidatesDto {
        completed_by: date(c.completed_by),
        years: c.years,
        rule: tto_app::empowerment::citation_of(&c.parameter),
        candidates: c.items.iter().map(item_dto).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub achievement_ids: Vec<i64>,
}

#[utoipa::path(
    post, path = "/api/v1/releases", tag = "releases", request_body = CampaignInput,
    responses((status = 201, body = CampaignDto), (status = 422, description = "Not a candidate …", body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<CampaignInput>,
) -> Result<(StatusCode, Json<CampaignDto>), ApiError> {
    let c = state
        .app
        .create_release_campaign(&ctx.actor, &input.title, &input.description, &input.achievement_ids)
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(dto(&c))))
}

#[utoipa::path(
    get, path = "/api/v1/releases/{id}", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignDto), (status = 404, body = ErrorBody))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<CampaignDto>, ApiError> {
    let (c, _) = state.app.release_campaign(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(dto(&c)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    pub version: i64,
}

/// Publish a campaign on the public portal.
#[utoipa::path(
    post, path = "/api/v1/releases/{id}/publish", tag = "releases", params(("id" = i64, Path)), request_body = PublishInput,
    responses((status = 200, body = CampaignDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<PublishInput>,
) -> Result<Json<CampaignDto>, ApiError> {
    let c = state.app.publish_release_campaign(&ctx.actor, id, input.version).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(dto(&c)))
}
