//! Supply-demand matching (供需匹配): candidates with their explanations, managers for a
//! need, feedback and the brokering pipeline (`/api/v1/matches`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_app::matching::{Candidate, ManagerCandidate, Matches};
use tto_domain::AchievementId;
use tto_domain::matching::{FeedbackVerdict, MatchAction, MatchFeatures, MatchStatus};
use tto_store::matching::{MatchFilter, MatchRecord};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Pairs, number, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::explain::{manager_reasons, match_reasons};
use crate::format::rfc3339;
use crate::i18n::T;

/// Why a pair matches: the evidence of every feature and the reasons in words.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplanationDto {
    /// The reasons in the request's language (`?lang=en` or the language cookie).
    pub reasons: Vec<String>,
    /// The features as stored: matched terms per field, shared keywords and chains,
    /// discipline agreement, TRL fit, age, institution preference, lexical relevance.
    #[schema(value_type = Object)]
    pub features: serde_json::Value,
}

fn explanation(state: &AppState, t: T, f: &MatchFeatures) -> ExplanationDto {
    ExplanationDto { reasons: match_reasons(t, state.app.chains(), f), features: tto_app::matching::features_json(f) }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CounterpartDto {
    /// `achievement` or `need`.
    pub kind: String,
    pub id: i64,
    pub title: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub enterprise_name: Option<String>,
    pub chains: Vec<String>,
    pub discipline: Option<String>,
    pub trl: Option<u8>,
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateDto {
    /// The other record of the pair.
    pub counterpart: CounterpartDto,
    /// 0–100.
    pub score: i64,
    pub explanation: ExplanationDto,
    /// `accept`, `reject` or null, per side.
    pub need_verdict: Option<String>,
    pub achievement_verdict: Option<String>,
    /// The pair's pipeline record, if it has one the caller may see.
    pub pipeline: Option<MatchDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseDto {
    pub name: String,
    pub institution_id: i64,
    pub best_score: i64,
    /// Need ids, best first.
    pub need_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchesDto {
    /// `need` or `achievement`: the side the caller gives feedback as, if any.
    pub side: Option<String>,
    pub candidates: Vec<CandidateDto>,
    /// For an achievement's matches: the enterprises behind the needs, best first.
    pub enterprises: Vec<EnterpriseDto>,
}

fn candidate_dto(state: &AppState, t: T, c: &Candidate) -> CandidateDto {
    let p = &c.counterpart;
    CandidateDto {
        counterpart: CounterpartDto {
            kind: p.kind.code().to_string(),
            id: p.id,
            title: p.title.clone(),
            institution_id: p.institution_id.0,
            institution_name: p.institution_name.clone(),
            enterprise_name: p.enterprise_name.clone(),
            chains: p.chains.iter().map(|c| c.as_str().to_string()).collect(),
            discipline: p.discipline.clone(),
            trl: p.trl,
            status: p.status.clone(),
        },
        score: c.score,
        explanation: explanation(state, t, &c.features),
        need_verdict: c.need_verdict.map(|v| v.code().to_string()),
        achievement_verdict: c.achievement_verdict.map(|v| v.code().to_string()),
        pipeline: c.pipeline.as_ref().map(|m| match_dto(state, t, m)),
    }
}

fn matches_dto(state: &AppState, t: T, m: &Matches) -> MatchesDto {
    MatchesDto {
        side: m.side.map(|s| s.code().to_string()),
        candidates: m.candidates.iter().map(|c| candidate_dto(state, t, c)).collect(),
        enterprises: m
            .by_enterprise()
            .into_iter()
            .map(|e| EnterpriseDto {
                name: e.name,
                institution_id: e.institution_id.0,
                best_score: e.best_score,
                need_ids: e.needs.iter().map(|(id, _, _)| *id).collect(),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchDto {
    pub id: i64,
    pub need_id: i64,
    pub need_title: String,
    pub need_institution_id: i64,
    pub need_institution_name: String,
    pub enterprise_name: Option<String>,
    pub achievement_id: i64,
    pub achievement_title: String,
    pub achievement_institution_id: i64,
    pub achievement_institution_name: String,
    /// 0–100, as when the pair entered the pipeline.
    pub score: i64,
    /// The explanation as when the pair entered the pipeline.
    pub explanation: Option<ExplanationDto>,
    /// `recommended`, `contacted`, `negotiating`, `deal`, `dropped`.
    pub status: String,
    pub manager_user_id: Option<i64>,
    pub manager_name: Option<String>,
    pub note: Option<String>,
    /// Steps the caller may take now (`POST /api/v1/matches/{id}/{step}`).
    pub actions: Vec<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn match_dto(state: &AppState, t: T, m: &MatchRecord) -> MatchDto {
    MatchDto {
        id: m.id,
        need_id: m.need_id,
        need_title: m.need_title.clone(),
        need_institution_id: m.need_institution_id.0,
        need_institution_name: m.need_institution_name.clone(),
        enterprise_name: m.enterprise_name.clone(),
        achievement_id: m.achievement_id,
        achievement_title: m.achievement_title.clone(),
        achievement_institution_id: m.achievement_institution_id.0,
        achievement_institution_name: m.achievement_institution_name.clone(),
        score: m.score,
        explanation: tto_app::matching::features_from_json(&m.explanation).map(|f| explanation(state, t, &f)),
        status: m.status.code().to_string(),
        manager_user_id: m.manager_user_id,
        manager_name: m.manager_name.clone(),
        note: m.note.clone(),
        actions: Vec::new(),
        version: m.version,
        created_at: rfc3339(m.created_at),
        updated_at: rfc3339(m.updated_at),
    }
}

async fn view_dto(state: &AppState, ctx: &Ctx, id: i64) -> Result<MatchDto, ApiError> {
    let view = state.app.match_record(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    let mut dto = match_dto(state, ctx.t(), &view.record);
    dto.actions = view.actions.iter().map(|a| a.code().to_string()).collect();
    if view.can_assign {
        dto.actions.push("assign_manager".into());
    }
    Ok(dto)
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CandidateParams {
    /// At most 50 (default 20).
    limit: Option<i64>,
}

fn candidate_limit(ctx: &Ctx, pairs: &Pairs) -> Result<usize, ApiError> {
    let limit = number(ctx.lang, pairs, "limit")?.unwrap_or(20);
    Ok(limit.clamp(1, tto_app::matching::MAX_CANDIDATES as i64) as usize)
}

/// Achievements that may answer a need, best first, each with its score and explanation.
#[utoipa::path(
    get, path = "/api/v1/needs/{id}/matches", tag = "matching",
    params(("id" = i64, Path), CandidateParams),
    responses((status = 200, body = MatchesDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn need_matches(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Pairs>,
) -> Result<Json<MatchesDto>, ApiError> {
    let limit = candidate_limit(&ctx, &pairs)?;
    let m = state.app.need_matches(&ctx.actor, id, limit).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(matches_dto(&state, ctx.t(), &m)))
}

/// Published needs an achievement may answer, best first, and the enterprises behind them.
#[utoipa::path(
    get, path = "/api/v1/achievements/{id}/matches", tag = "matching",
    params(("id" = i64, Path), CandidateParams),
    responses((status = 200, body = MatchesDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn achievement_matches(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Pairs>,
) -> Result<Json<MatchesDto>, ApiError> {
    let limit = candidate_limit(&ctx, &pairs)?;
    let m = state.app.achievement_matches(&ctx.actor, AchievementId(id), limit).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(matches_dto(&state, ctx.t(), &m)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ManagerDto {
    pub user_id: i64,
    pub name: String,
    pub institution_name: String,
    /// 0–100.
    pub score: i64,
    pub reasons: Vec<String>,
    pub chain_cases: usize,
    pub chain_deals: usize,
    pub total_cases: usize,
    pub total_deals: usize,
    pub open_cases: usize,
    pub shared_keywords: Vec<String>,
}

fn manager_dto(t: T, m: &ManagerCandidate) -> ManagerDto {
    let f = &m.features;
    ManagerDto {
        user_id: m.user_id,
        name: m.name.clone(),
        institution_name: m.institution_name.clone(),
        score: m.score,
        reasons: manager_reasons(t, f),
        chain_cases: f.chain_cases,
        chain_deals: f.chain_deals,
        total_cases: f.total_cases,
        total_deals: f.total_deals,
        open_cases: f.open_cases,
        shared_keywords: f.shared_keywords.clone(),
    }
}

/// Technology managers for a need, best first (for whoever assigns managers or owns the need).
#[utoipa::path(
    get, path = "/api/v1/needs/{id}/managers", tag = "matching", params(("id" = i64, Path)),
    responses((status = 200, body = [ManagerDto]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn need_managers(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ManagerDto>>, ApiError> {
    let managers = state.app.need_managers(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(managers.iter().map(|m| manager_dto(ctx.t(), m)).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    pub need_id: i64,
    pub achievement_id: i64,
    /// `accept` or `reject`.
    pub verdict: String,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackResult {
    /// The pair's pipeline record after the feedback (accepting creates it), if any.
    pub r#match: Option<MatchDto>,
}

/// Accept or reject a recommended pair for the caller's side (the need's owner or the
/// achievement's TTO). Accepting puts the pair in the pipeline; rejecting drops it there.
#[utoipa::path(
    post, path = "/api/v1/matches/feedback", tag = "matching", request_body = FeedbackInput,
    responses(
        (status = 200, body = FeedbackResult), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn feedback(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<FeedbackInput>,
) -> Result<Json<FeedbackResult>, ApiError> {
    let verdict =
        FeedbackVerdict::from_code(&input.verdict).map_err(|v| ApiError::bad_field(ctx.lang, "verdict", &v))?;
    let saved = state
        .app
        .match_feedback(&ctx.actor, input.need_id, input.achievement_id, verdict, input.reason.as_deref())
        .await
        .map_err(|e| ctx.api_error(e))?;
    // The caller may give feedback on a pair without seeing the pipeline (then: null).
    let dto = match saved {
        Some(m) => view_dto(&state, &ctx, m.id).await.ok(),
        None => None,
    };
    Ok(Json(FeedbackResult { r#match: dto }))
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// `recommended`, `contacted`, `negotiating`, `deal`, `dropped`.
    status: Option<String>,
    manager_user_id: Option<i64>,
    need_id: Option<i64>,
    achievement_id: Option<i64>,
    offset: Option<i64>,
    /// At most 500 (default 100).
    limit: Option<i64>,
}

/// The pipeline: pairs the caller is a party to (or manages), most recently changed first.
#[utoipa::path(
    get, path = "/api/v1/matches", tag = "matching", params(ListParams),
    responses((status = 200, body = [MatchDto]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<MatchDto>>, ApiError> {
    let filter = MatchFilter {
        status: param(&pairs, "status")
            .map(MatchStatus::from_code)
            .transpose()
            .map_err(|v| ApiError::bad_field(ctx.lang, "status", &v))?,
        manager_user_id: number(ctx.lang, &pairs, "manager_user_id")?,
        need_id: number(ctx.lang, &pairs, "need_id")?,
        achievement_id: number(ctx.lang, &pairs, "achievement_id")?,
    };
    let offset = number(ctx.lang, &pairs, "offset")?.unwrap_or(0);
    let limit = number(ctx.lang, &pairs, "limit")?.unwrap_or(100).clamp(1, 500);
    let listing = state.app.matches(&ctx.actor, &filter, offset, limit).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(listing.rows.iter().map(|m| match_dto(&state, ctx.t(), m)).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInput {
    pub need_id: i64,
    pub achievement_id: i64,
    /// A user holding the `tech_manager` role.
    pub manager_user_id: Option<i64>,
    pub note: Option<String>,
}

/// Put a pair in the pipeline (recommended), optionally with its technology manager.
#[utoipa::path(
    post, path = "/api/v1/matches", tag = "matching", request_body = CreateInput,
    responses(
        (status = 201, body = MatchDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The pair is already in the pipeline", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<CreateInput>,
) -> Result<(StatusCode, Json<MatchDto>), ApiError> {
    let m = state
        .app
        .create_match(&ctx.actor, input.need_id, input.achievement_id, input.manager_user_id, input.note.as_deref())
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(view_dto(&state, &ctx, m.id).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/matches/{id}", tag = "matching", params(("id" = i64, Path)),
    responses((status = 200, body = MatchDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Json<MatchDto>, ApiError> {
    Ok(Json(view_dto(&state, &ctx, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub version: i64,
    pub note: Option<String>,
    /// `assign_manager` only: the manager (null to unassign).
    pub manager_user_id: Option<i64>,
}

/// Move a pair along the pipeline — `contact`, `negotiate`, `close_deal`, `drop`, `reopen` —
/// or `assign_manager`.
#[utoipa::path(
    post, path = "/api/v1/matches/{id}/{step}", tag = "matching",
    params(("id" = i64, Path), ("step" = String, Path, description = "contact | negotiate | close_deal | drop | reopen | assign_manager")),
    request_body = StepInput,
    responses(
        (status = 200, body = MatchDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed in the current status, or stale version", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    Body(input): Body<StepInput>,
) -> Result<Json<MatchDto>, ApiError> {
    let app = &state.app;
    let result = if step == "assign_manager" {
        app.assign_match_manager(&ctx.actor, id, input.version, input.manager_user_id).await
    } else {
        let action = MatchAction::from_code(&step).map_err(|v| ApiError::bad_field(ctx.lang, "step", &v))?;
        app.match_step(&ctx.actor, id, input.version, action, input.note.as_deref()).await
    };
    result.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&state, &ctx, id).await?))
}
