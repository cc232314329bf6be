//! `/api/v1/evaluations`, `/api/v1/screening-rounds`: pre-filing evaluations and screening
//! rounds scored by reviewers.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_app::reviews::{EVALUATION, EvaluationView, RoundView, SCREENING};
use tto_domain::evaluation::{Aggregate, Template};
use tto_domain::{AchievementId, Violation};
use tto_store::reviews::{Evaluation, Reviewer, Round};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::{date, rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct CriterionDto {
    pub code: String,
    pub weight: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDto {
    pub criteria: Vec<CriterionDto>,
    pub scale_min: u32,
    pub scale_max: u32,
}

pub fn template_dto(t: &Template) -> TemplateDto {
    TemplateDto {
        criteria: t
            .criteria
            .iter()
            .map(|c| CriterionDto { code: c.code.clone(), weight: c.weight.value().normalize().to_string() })
            .collect(),
        scale_min: t.scale.0,
        scale_max: t.scale.1,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewerDto {
    pub user_id: i64,
    pub name: String,
    pub conflict: bool,
    pub conflict_note: Option<String>,
}

fn reviewer_dto(r: &Reviewer) -> ReviewerDto {
    ReviewerDto {
        user_id: r.user_id,
        name: r.name.clone(),
        conflict: r.conflict,
        conflict_note: r.conflict_note.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CriterionResultDto {
    pub code: String,
    pub weight: String,
    pub mean: String,
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AggregateDto {
    pub reviewers: usize,
    pub criteria: Vec<CriterionResultDto>,
    /// Weighted mean on the scale.
    pub total: String,
    /// The same on 0–100.
    pub score: String,
    /// Highest minus lowest reviewer total.
    pub spread: String,
}

pub fn aggregate_dto(a: &Aggregate) -> AggregateDto {
    AggregateDto {
        reviewers: a.reviewers,
        criteria: a
            .criteria
            .iter()
            .map(|c| CriterionResultDto {
                code: c.code.clone(),
                weight: c.weight.value().normalize().to_string(),
                mean: c.mean.to_string(),
                min: c.min,
                max: c.max,
            })
            .collect(),
        total: a.total.to_string(),
        score: a.score.to_string(),
        spread: a.spread.to_string(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SheetDto {
    pub reviewer: String,
    pub scores: BTreeMap<String, u32>,
    pub comment: Option<String>,
    pub scored_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationDto {
    pub id: i64,
    pub institution_id: i64,
    pub achievement_id: i64,
    pub achievement_code: String,
    pub achievement_title: String,
    pub template: TemplateDto,
    /// `open` or `decided`.
    pub status: String,
    /// `file_patent`, `technical_secret`, `dont_file`, `defer`.
    pub recommendation: Option<String>,
    pub reasons: Option<String>,
    pub decided_on: Option<String>,
    pub reviewers: Vec<ReviewerDto>,
    pub sheets: Vec<SheetDto>,
    pub aggregate: Option<AggregateDto>,
    /// The caller may score now.
    pub may_score: bool,
    pub version: i64,
    pub created_at: String,
}

fn evaluation_row(e: &Evaluation) -> EvaluationDto {
    EvaluationDto {
        id: e.id,
        institution_id: e.institution_id.0,
        achievement_id: e.achievement_id.0,
        achievement_code: e.achievement_code.clone(),
        achievement_title: e.achievement_title.clone(),
        template: template_dto(&e.template),
        status: e.status.code().into(),
        recommendation: e.recommendation.map(|r| r.code().to_string()),
        reasons: e.reasons.clone(),
        decided_on: e.decided_on.map(date),
        reviewers: Vec::new(),
        sheets: Vec::new(),
        aggregate: None,
        may_score: false,
        version: e.version,
        created_at: rfc3339(e.created_at),
    }
}

fn evaluation_dto(v: &EvaluationView) -> EvaluationDto {
    let mut dto = evaluation_row(&v.evaluation);
    dto.reviewers = v.reviewers.iter().map(reviewer_dto).collect();
    dto.sheets = v
        .sheets
        .iter()
        .map(|s| SheetDto {
            reviewer: s.sheet.reviewer.clone(),
            scores: s.sheet.scores.iter().cloned().collect(),
            comment: s.comment.clone(),
            scored_at: rfc3339(s.scored_at),
        })
        .collect();
    dto.aggregate = v.aggregate.as_ref().map(aggregate_dto);
    dto.may_score = v.may_score;
    dto
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    achievement_id: Option<i64>,
}

/// Evaluations of the caller's institution, or those the caller reviews.
#[utoipa::path(
    get, path = "/api/v1/evaluations", tag = "evaluations", params(ListParams),
    responses((status = 200, body = [EvaluationDto]), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<EvaluationDto>>, ApiError> {
    let achievement = match param(&pairs, "achievement_id") {
        Some(v) => Some(AchievementId(v.parse().map_err(|_| {
            ApiError::bad_field(ctx.lang, "achievement_id", &Violation::InvalidFormat { expected: "positive_integer" })
        })?)),
        None => None,
    };
    let rows = state.app.evaluations(&ctx.actor, achievement).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(evaluation_row).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationInput {
    pub achievement_id: i64,
    /// User ids of the reviewers.
    pub reviewers: Vec<i64>,
}

/// Start a pre-filing evaluation of an achievement with the profile's template.
#[utoipa::path(
    post, path = "/api/v1/evaluations", tag = "evaluations", request_body = EvaluationInput,
    responses((status = 201, body = EvaluationDto), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<EvaluationInput>,
) -> Result<(StatusCode, Json<EvaluationDto>), ApiError> {
    let e = state
        .app
        .start_evaluation(&ctx.actor, input.achievement_id, &input.reviewers)
        .await
        .map_err(|e| ctx.api_error(e))?;
    let v = state.app.evaluation(&ctx.actor, e.id).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(evaluation_dto(&v))))
}

#[utoipa::path(
    get, path = "/api/v1/evaluations/{id}", tag = "evaluations", params(("id" = i64, Path)),
    responses((status = 200, body = EvaluationDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<EvaluationDto>, ApiError> {
    let v = state.app.evaluation(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(evaluation_dto(&v)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    /// Criterion code → score on the template's scale.
    #[schema(value_type = Object)]
    pub scores: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub comment: String,
}

fn scores_of(input: &ScoreInput) -> Vec<(String, String)> {
    input
        .scores
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            )
        })
        .collect()
}

/// Score an evaluation (an assigned reviewer, once).
#[utoipa::path(
    post, path = "/api/v1/evaluations/{id}/scores", tag = "evaluations", params(("id" = i64, Path)), request_body = ScoreInput,
    responses((status = 200, body = EvaluationDto), (status = 404, body = ErrorBody), (status = 409, description = "Not a reviewer, scored already, conflict declared", body = ErrorBody), (status = 422, description = "Missing or out-of-range scores", body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn score(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<ScoreInput>,
) -> Result<Json<EvaluationDto>, ApiError> {
    state
        .app
        .score_evaluation(&ctx.actor, id, &scores_of(&input), &input.comment)
        .await
        .map_err(|e| ctx.api_error(e))?;
    let v = state.app.evaluation(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(evaluation_dto(&v)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictInput {
    pub note: String,
}

/// Declare a conflict of interest (the reviewer then does not score).
#[utoipa::path(
    post, path = "/api/v1/evaluations/{id}/conflict", tag = "evaluations", params(("id" = i64, Path)), request_body = ConflictInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn conflict(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<ConflictInput>,
) -> Result<StatusCode, ApiError> {
    state.app.declare_conflict(&ctx.actor, EVALUATION, id, &input.note).await.map_err(|e| ctx.api_error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub version: i64,
    /// `file_patent`, `technical_secret`, `dont_file`, `defer`.
    pub recommendation: String,
    pub reasons: String,
}

/// Record the TTO's recommendation with reasons.
#[utoipa::path(
    post, path = "/api/v1/evaluations/{id}/decision", tag = "evaluations", params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = EvaluationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<DecisionInput>,
) -> Result<Json<EvaluationDto>, ApiError> {
    state
        .app
        .decide_evaluation(&ctx.actor, id, input.version, &input.recommendation, &input.reasons)
        .await
        .map_err(|e| ctx.api_error(e))?;
    let v = state.app.evaluation(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(evaluation_dto(&v)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateDto {
    pub id: i64,
    pub achievement_id: Option<i64>,
    pub name: String,
    pub description: String,
    pub shortlisted: bool,
    pub rank: Option<i64>,
    /// Shown to the round's managers, and to everyone once published.
    pub aggregate: Option<AggregateDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundDto {
    pub id: i64,
    pub institution_id: i64,
    pub institution: String,
    pub title: String,
    /// `achievement` or `startup`.
    pub kind: String,
    pub description: String,
    pub template: TemplateDto,
    pub scores_due_on: String,
    pub shortlist_size: i64,
    /// `draft`, `open`, `closed`, `published`.
    pub status: String,
    pub published_on: Option<String>,
    pub candidates: Vec<CandidateDto>,
    pub reviewers: Vec<ReviewerDto>,
    /// Candidates the caller may still score.
    pub to_score: Vec<i64>,
    pub version: i64,
}

fn round_row(r: &Round) -> RoundDto {
    RoundDto {
        id: r.id,
        institution_id: r.institution_id.0,
        institution: r.institution_name.clone(),
        title: r.title.clone(),
        kind: r.kind.code().into(),
        description: r.description.clone(),
        template: template_dto(&r.template),
        scores_due_on: date(r.scores_due_on),
        shortlist_size: r.shortlist_size,
        status: r.status.code().into(),
        published_on: r.published_on.map(date),
        candidates: r
            .candidates
            .iter()
            .map(|c| CandidateDto {
                id: c.id,
                achievement_id: c.achievement_id.map(|a| a.0),
                name: c.name.clone(),
                description: c.description.clone(),
                shortlisted: c.shortlisted,
                rank: c.rank,
                aggregate: None,
            })
            .collect(),
        reviewers: Vec::new(),
        to_score: Vec::new(),
        version: r.version,
    }
}

fn round_dto(v: &RoundView) -> RoundDto {
    let mut dto = round_row(&v.round);
    for (c, r) in dto.candidates.iter_mut().zip(&v.results) {
        c.aggregate = r.aggregate.as_ref().map(aggregate_dto);
    }
    dto.reviewers = if v.can_manage { v.reviewers.iter().map(reviewer_dto).collect() } else { Vec::new() };
    dto.to_score = v.to_score.clone();
    dto
}

/// Screening rounds: the institution's, published ones of others, and those the caller reviews.
#[utoipa::path(
    get, path = "/api/v1/screening-rounds", tag = "evaluations",
    responses((status = 200, body = [RoundDto]))
)]
pub async fn rounds(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<RoundDto>>, ApiError> {
    let rows = state.app.rounds(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(round_row).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionInput {
    pub name: String,
    pub weight: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundInput {
    pub title: String,
    /// `achievement` or `startup`.
    pub kind: String,
    #[serde(default)]
    pub description: String,
    /// Weights total 100 %.
    pub criteria: Vec<CriterionInput>,
    /// The scoring deadline (today or later).
    pub scores_due_on: String,
    pub shortlist_size: u32,
}

#[utoipa::path(
    post, path = "/api/v1/screening-rounds", tag = "evaluations", request_body = RoundInput,
    responses((status = 201, body = RoundDto), (status = 422, description = "Weights not totalling 100 %, a deadline in the past …", body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn create_round(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<RoundInput>,
) -> Result<(StatusCode, Json<RoundDto>), ApiError> {
    let criteria: Vec<(String, String)> = input.criteria.iter().map(|c| (c.name.clone(), c.weight.clone())).collect();
    let r = state
        .app
        .create_round(
            &ctx.actor,
            &input.title,
            &input.kind,
            &input.description,
            &criteria,
            &input.scores_due_on,
            &input.shortlist_size.to_string(),
        )
        .await
        .map_err(|e| ctx.api_error(e))?;
    let v = state.app.round(&ctx.actor, r.id).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(round_dto(&v))))
}

#[utoipa::path(
    get, path = "/api/v1/screening-rounds/{id}", tag = "evaluations", params(("id" = i64, Path)),
    responses((status = 200, body = RoundDto), (status = 404, body = ErrorBody))
)]
pub async fn round(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Json<RoundDto>, ApiError> {
    let v = state.app.round(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(round_dto(&v)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidateInput {
    /// An achievement of the institution …
    pub achievement_id: Option<i64>,
    /// … or a start-up project by name.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[utoipa::path(
    post, path = "/api/v1/screening-rounds/{id}/candidates", tag = "evaluations", params(("id" = i64, Path)), request_body = CandidateInput,
    responses((status = 200, body = RoundDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn add_candidate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<CandidateInput>,
) -> Result<Json<RoundDto>, ApiError> {
    state
        .app
        .add_candidate(&ctx.actor, id, input.achievement_id, &input.name, &input.description)
        .await
        .map_err(|e| ctx.api_error(e))?;
    let v = state.app.round(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(round_dto(&v)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewersInput {
    pub reviewers: Vec<i64>,
}

#[utoipa::path(
    post, path = "/api/v1/screening-rounds/{id}/reviewers", tag = "evaluations", params(("id" = i64, Path)), request_body = ReviewersInput,
    responses((status = 200, body = RoundDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<ReviewersInput>,
) -> Result<Json<RoundDto>, ApiError> {
    state.app.assign_round_reviewers(&ctx.actor, id, &input.reviewers).await.map_err(|e| ctx.api_error(e))?;
    let v = state.app.round(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(round_dto(&v)))
}

/// Score one candidate of a round (an assigned reviewer, once per candidate).
#[utoipa::path(
    post, path = "/api/v1/screening-rounds/{id}/candidates/{candidate}/scores", tag = "evaluations",
    params(("id" = i64, Path), ("candidate" = i64, Path)), request_body = ScoreInput,
    responses((status = 200, body = RoundDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn score_candidate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, candidate)): Path<(i64, i64)>,
    Body(input): Body<ScoreInput>,
) -> Result<Json<RoundDto>, ApiError> {
    state
        .app
        .score_candidate(&ctx.actor, id, candidate, &scores_of(&input), &input.comment)
        .await
        .map_err(|e| ctx.api_error(e))?;
    let v = state.app.round(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(round_dto(&v)))
}

#[utoipa::path(
    post, path = "/api/v1/screening-rounds/{id}/conflict", tag = "evaluations", params(("id" = i64, Path)), request_body = ConflictInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn round_conflict(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<ConflictInput>,
) -> Result<StatusCode, ApiError> {
    state.app.declare_conflict(&ctx.actor, SCREENING, id, &input.note).await.map_err(|e| ctx.api_error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    pub version: i64,
}

/// Move a round on: `open` (scoring), `close` (ranks and shortlist), `publish`.
#[utoipa::path(
    post, path = "/api/v1/screening-rounds/{id}/{step}", tag = "evaluations",
    params(("id" = i64, Path), ("step" = String, Path, description = "open | close | publish")), request_body = VersionInput,
    responses((status = 200, body = RoundDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn round_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    Body(input): Body<VersionInput>,
) -> Result<Json<RoundDto>, ApiError> {
    let app = &state.app;
    let done = match step.as_str() {
        "open" => app.open_round(&ctx.actor, id, input.version).await,
        "close" => app.close_round(&ctx.actor, id, input.version).await,
        "publish" => app.publish_round(&ctx.actor, id, input.version).await,
        other => {
            return Err(ApiError::bad_field(ctx.lang, "step", &Violation::UnknownChoice { value: other.to_string() }));
        }
    };
    done.map_err(|e| ctx.api_error(e))?;
    let v = app.round(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(round_dto(&v)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewerCandidateDto {
    pub user_id: i64,
    pub name: String,
    pub institution: String,
}

/// People who may be assigned as reviewers.
#[utoipa::path(
    get, path = "/api/v1/reviewer-candidates", tag = "evaluations",
    responses((status = 200, body = [ReviewerCandidateDto]), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn reviewer_candidates(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ReviewerCandidateDto>>, ApiError> {
    let rows = state.app.reviewer_candidates(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(
        rows.into_iter()
            .map(|(user_id, name, institution)| ReviewerCandidateDto { user_id, name, institution })
            .collect(),
    ))
}
