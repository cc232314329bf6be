//! `/api/v1/achievements`

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_app::achievements::{AchievementPage, AchievementSort, AchievementView};
use tto_domain::achievement::{AchievementDraft, ContributorDraft, HolderDraft, OwnershipPeriodDraft};
use tto_domain::{Achievement, AchievementAction, AchievementId, Violation};
use tto_store::achievements::Row;
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Decimalish, Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::filters::achievement_filter;
use crate::format::{opt_date, rfc3339};

/// One line of the achievement list.
#[derive(Debug, Serialize, ToSchema)]
pub struct AchievementRowDto {
    pub id: i64,
    /// Ledger number, unique within the institution.
    pub code: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub title: String,
    /// `invention_patent`, `utility_model`, `design`, `software_copyright`, `ic_layout`,
    /// `plant_variety`, `biomedicine`, `know_how`.
    pub kind: String,
    pub discipline: String,
    /// Technology readiness level 1–9.
    pub trl: u8,
    /// `draft`, `registered`, `promoting`, `negotiating`, `converted`, `withdrawn`.
    pub status: String,
    pub funding_source: String,
    pub confidentiality: String,
    pub major: bool,
    pub updated_at: String,
}

impl From<&Row> for AchievementRowDto {
    fn from(r: &Row) -> Self {
        AchievementRowDto {
            id: r.id.0,
            code: r.code.clone(),
            institution_id: r.institution_id.0,
            institution_name: r.institution_name.clone(),
            title: r.title.clone(),
            kind: r.kind.code().to_string(),
            discipline: r.discipline.clone(),
            trl: r.trl.level(),
            status: r.status.code().to_string(),
            funding_source: r.funding_source.code().to_string(),
            confidentiality: r.confidentiality.code().to_string(),
            major: r.major,
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AchievementListDto {
    pub items: Vec<AchievementRowDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ContributorDto {
    pub person_id: Option<i64>,
    pub name: String,
    /// Contribution share in percent, e.g. `"33.3333"`; all shares total exactly 100.
    #[schema(value_type = String)]
    pub share: Decimalish,
    /// 主要完成人 (main contributor).
    #[serde(default)]
    pub main: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HolderDto {
    /// `institution` or `person`.
    pub kind: String,
    pub institution_id: Option<i64>,
    pub person_id: Option<i64>,
    pub name: String,
    /// Ownership share in percent; the holders of a period total exactly 100.
    #[schema(value_type = String)]
    pub share: Decimalish,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OwnershipPeriodDto {
    /// `YYYY-MM-DD`, inclusive.
    pub starts_on: String,
    /// `YYYY-MM-DD`, exclusive; absent when open-ended.
    pub ends_on: Option<String>,
    /// Why ownership is as it is (`original`, an agreement …).
    pub basis: String,
    pub holders: Vec<HolderDto>,
}

/// An achievement with everything the caller may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct AchievementDto {
    pub id: i64,
    pub code: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub title: String,
    pub summary: String,
    pub detail: Option<String>,
    pub keywords: Vec<String>,
    pub discipline: String,
    pub chains: Vec<String>,
    pub kind: String,
    pub trl: u8,
    pub funding_source: String,
    pub funding_refs: Vec<String>,
    pub completion_date: Option<String>,
    pub confidentiality: String,
    pub job_related: bool,
    pub major: bool,
    pub contributors: Vec<ContributorOutDto>,
    pub ownership: Vec<OwnershipOutDto>,
    pub status: String,
    pub external_ref: Option<String>,
    /// Send back as `version` when updating.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Confidential content was left out (the caller sees public fields only).
    pub redacted: bool,
    /// Lifecycle actions the caller may take now.
    pub allowed_actions: Vec<String>,
    /// The industrial chain the text suggests and the record lacks (for those who may edit
    /// it; `POST /api/v1/achievements/{id}/confirm_chain` adds it).
    pub suggested_chain: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContributorOutDto {
    pub person_id: Option<i64>,
    pub name: String,
    pub share: String,
    pub main: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HolderOutDto {
    pub kind: String,
    pub institution_id: Option<i64>,
    pub person_id: Option<i64>,
    pub name: String,
    pub share: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnershipOutDto {
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub basis: String,
    pub holders: Vec<HolderOutDto>,
}

pub fn dto(a: &Achievement, institution_name: &str, redacted: bool, actions: &[AchievementAction]) -> AchievementDto {
    let f = &a.fields;
    AchievementDto {
        id: a.id.0,
        code: a.code.clone(),
        institution_id: a.institution_id.0,
        institution_name: institution_name.to_string(),
        title: f.title.clone(),
        summary: f.summary.clone(),
        detail: f.detail.clone(),
        keywords: f.keywords.clone(),
        discipline: f.discipline.clone(),
        chains: f.chains.iter().map(|c| c.as_str().to_string()).collect(),
        kind: f.kind.code().to_string(),
        trl: f.trl.level(),
        funding_source: f.funding_source.code().to_string(),
        funding_refs: f.funding_refs.clone(),
        completion_date: f.completion_date.map(|d| opt_date(Some(d))),
        confidentiality: f.confidentiality.code().to_string(),
        job_related: f.job_related,
        major: f.major,
        contributors: f
            .contributors
            .iter()
            .map(|c| ContributorOutDto {
                person_id: c.person_id.map(|p| p.0),
                name: c.name.clone(),
                share: c.share.value().normalize().to_string(),
                main: c.main,
            })
            .collect(),
        ownership: a
            .ownership
            .iter()
            .map(|p| OwnershipOutDto {
                starts_on: opt_date(Some(p.period.start())),
                ends_on: p.period.end().map(|d| opt_date(Some(d))),
                basis: p.basis.clone(),
                holders: p
                    .holders
                    .iter()
                    .map(|h| HolderOutDto {
                        kind: h.kind.code().to_string(),
                        institution_id: h.institution_id.map(|i| i.0),
                        person_id: h.person_id.map(|i| i.0),
                        name: h.name.clone(),
                        share: h.share.value().normalize().to_string(),
                    })
                    .collect(),
            })
            .collect(),
        status: a.status.code().to_string(),
        external_ref: a.external_ref.clone(),
        version: a.version,
        created_at: rfc3339(a.created_at),
        updated_at: rfc3339(a.updated_at),
        redacted,
        allowed_actions: actions.iter().map(|a| a.code().to_string()).collect(),
        suggested_chain: None,
    }
}

fn view_dto(v: &AchievementView) -> AchievementDto {
    let mut d = dto(&v.achievement, &v.institution_name, v.redacted, &v.actions);
    d.suggested_chain = v.suggested_chain.as_ref().map(|c| c.as_str().to_string());
    d
}

/// Input for creating or replacing an achievement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AchievementInput {
    /// Required when replacing: the `version` the change is based on.
    pub version: Option<i64>,
    pub title: String,
    pub summary: String,
    pub detail: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub discipline: String,
    /// Industrial-chain codes (see the policy page / taxonomy).
    #[serde(default)]
    pub chains: Vec<String>,
    pub kind: String,
    /// 1–9.
    #[schema(value_type = i64)]
    pub trl: Decimalish,
    /// `fiscal` or `non_fiscal`.
    pub funding_source: String,
    #[serde(default)]
    pub funding_refs: Vec<String>,
    /// `YYYY-MM-DD`.
    pub completion_date: Option<String>,
    /// `public`, `summary_only`, `confidential`.
    pub confidentiality: String,
    pub contributors: Vec<ContributorDto>,
    /// Ownership history; when absent on create, the institution holds 100 % from the
    /// completion date; when absent on replace, it is kept.
    pub ownership: Option<Vec<OwnershipPeriodDto>>,
    #[serde(default = "yes")]
    pub job_related: bool,
    #[serde(default)]
    pub major: bool,
}

fn yes() -> bool {
    true
}

impl AchievementInput {
    fn draft(&self) -> AchievementDraft {
        AchievementDraft {
            title: self.title.clone(),
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            keywords: self.keywords.clone(),
            discipline: self.discipline.clone(),
            chains: self.chains.clone(),
            kind: self.kind.clone(),
            trl: self.trl.text(),
            funding_source: self.funding_source.clone(),
            funding_refs: self.funding_refs.clone(),
            completion_date: self.completion_date.clone(),
            confidentiality: self.confidentiality.clone(),
            contributors: self
                .contributors
                .iter()
                .map(|c| ContributorDraft {
                    person_id: c.person_id,
                    name: c.name.clone(),
                    share: c.share.text(),
                    main: c.main,
                })
                .collect(),
            job_related: self.job_related,
            major: self.major,
        }
    }

    fn ownership(&self) -> Option<Vec<OwnershipPeriodDraft>> {
        self.ownership.as_ref().map(|periods| {
            periods
                .iter()
                .map(|p| OwnershipPeriodDraft {
                    starts_on: p.starts_on.clone(),
                    ends_on: p.ends_on.clone(),
                    basis: p.basis.clone(),
                    holders: p
                        .holders
                        .iter()
                        .map(|h| HolderDraft {
                            kind: h.kind.clone(),
                            institution_id: h.institution_id,
                            person_id: h.person_id,
                            name: h.name.clone(),
                            share: h.share.text(),
                        })
                        .collect(),
                })
                .collect()
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Text contained in title, summary or keywords (case-insensitive).
    q: Option<String>,
    kind: Option<String>,
    discipline: Option<String>,
    /// Industrial-chain code.
    chain: Option<String>,
    trl_min: Option<u8>,
    trl_max: Option<u8>,
    status: Option<String>,
    funding_source: Option<String>,
    institution_id: Option<i64>,
    major: Option<bool>,
    /// Page size, 1–200 (default 50).
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List achievements the caller may see, newest first, with filters.
#[utoipa::path(
    get, path = "/api/v1/achievements", tag = "achievements",
    params(ListParams),
    responses(
        (status = 200, body = AchievementListDto),
        (status = 400, description = "A filter could not be read", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<AchievementListDto>, ApiError> {
    let (filter, problems) = achievement_filter(&pairs);
    if let Some((field, violation)) = problems.first() {
        return Err(ApiError::bad_field(ctx.lang, field, violation));
    }
    let limit = match param(&pairs, "limit") {
        None => 50,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=200).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_field(
                    ctx.lang,
                    "limit",
                    &Violation::OutOfRange { min: "1".into(), max: "200".into() },
                ));
            }
        },
    };
    let before = match param(&pairs, "cursor") {
        None => None,
        Some(c) => match c.parse::<i64>() {
            Ok(id) if id > 0 => Some(AchievementId(id)),
            _ => return Err(ApiError::bad_field(ctx.lang, "cursor", &Violation::InvalidFormat { expected: "cursor" })),
        },
    };
    let listing = state
        .app
        .list_achievements(&ctx.actor, &filter, AchievementSort::IdDesc, AchievementPage::Before { id: before, limit })
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok(Json(AchievementListDto {
        items: listing.rows.iter().map(AchievementRowDto::from).collect(),
        next_cursor: listing.next_before.map(|id| id.0.to_string()),
    }))
}

/// One achievement. Anonymous callers and other institutions see public fields only.
#[utoipa::path(
    get, path = "/api/v1/achievements/{id}", tag = "achievements",
    params(("id" = i64, Path)),
    responses((status = 200, body = AchievementDto), (status = 404, body = ErrorBody))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<AchievementDto>, ApiError> {
    let view = state.app.achievement(&ctx.actor, AchievementId(id)).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&view)))
}

/// Register a new achievement (as a draft) in the caller's institution.
#[utoipa::path(
    post, path = "/api/v1/achievements", tag = "achievements",
    request_body = AchievementInput,
    responses(
        (status = 201, body = AchievementDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Duplicate title", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<AchievementInput>,
) -> Result<(StatusCode, Json<AchievementDto>), ApiError> {
    let ownership = input.ownership();
    let created = state
        .app
        .create_achievement(&ctx.actor, None, &input.draft(), ownership.as_deref(), None)
        .await
        .map_err(|e| ctx.api_error(e))?;
    let view = state.app.achievement(&ctx.actor, created.id).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(view_dto(&view))))
}

/// Replace the fields of an achievement. `version` must be the one last read.
#[utoipa::path(
    put, path = "/api/v1/achievements/{id}", tag = "achievements",
    params(("id" = i64, Path)),
    request_body = AchievementInput,
    responses(
        (status = 200, body = AchievementDto),
        (status = 404, body = ErrorBody), (status = 409, description = "Stale version or duplicate", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<AchievementInput>,
) -> Result<Json<AchievementDto>, ApiError> {
    let Some(version) = input.version else {
        return Err(ApiError::from_app(ctx.lang, tto_app::AppError::field("version", Violation::Required)));
    };
    let ownership = input.ownership();
    state
        .app
        .update_achievement(&ctx.actor, AchievementId(id), version, &input.draft(), ownership.as_deref())
        .await
        .map_err(|e| ctx.api_error(e))?;
    let view = state.app.achievement(&ctx.actor, AchievementId(id)).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&view)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmChainInput {
    pub version: i64,
}

/// Add the industrial chain the achievement's text suggests (`suggested_chain`).
#[utoipa::path(
    post, path = "/api/v1/achievements/{id}/confirm_chain", tag = "achievements",
    params(("id" = i64, Path)),
    request_body = ConfirmChainInput,
    responses(
        (status = 200, body = AchievementDto), (status = 404, body = ErrorBody),
        (status = 409, description = "No suggestion to confirm, or stale version", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn confirm_chain(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<ConfirmChainInput>,
) -> Result<Json<AchievementDto>, ApiError> {
    let app = &state.app;
    app.confirm_achievement_chain(&ctx.actor, AchievementId(id), input.version).await.map_err(|e| ctx.api_error(e))?;
    let view = app.achievement(&ctx.actor, AchievementId(id)).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&view)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// `register`, `publish`, `start_negotiation`, `abandon_negotiation`,
    /// `complete_conversion`, `resume_promotion`, `withdraw`, `reinstate`.
    pub action: String,
    /// When given, the change is refused if the record changed since.
    pub version: Option<i64>,
}

/// Move an achievement through its lifecycle.
#[utoipa::path(
    post, path = "/api/v1/achievements/{id}/transitions", tag = "achievements",
    params(("id" = i64, Path)),
    request_body = TransitionInput,
    responses(
        (status = 200, body = AchievementDto),
        (status = 400, description = "Unknown action", body = ErrorBody),
        (status = 409, description = "Not allowed from the current status, or stale version", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn transition(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<TransitionInput>,
) -> Result<Json<AchievementDto>, ApiError> {
    let action =
        AchievementAction::from_code(&input.action).map_err(|v| ApiError::bad_field(ctx.lang, "action", &v))?;
    state
        .app
        .transition_achievement(&ctx.actor, AchievementId(id), input.version, action)
        .await
        .map_err(|e| ctx.api_error(e))?;
    let view = state.app.achievement(&ctx.actor, AchievementId(id)).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&view)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryDto {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
}

/// What happened to an achievement, oldest first (from the audit trail).
#[utoipa::path(
    get, path = "/api/v1/achievements/{id}/timeline", tag = "achievements",
    params(("id" = i64, Path)),
    responses((status = 200, body = [TimelineEntryDto]), (status = 404, body = ErrorBody))
)]
pub async fn timeline(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Vec<TimelineEntryDto>>, ApiError> {
    let events = state.app.achievement_timeline(&ctx.actor, AchievementId(id)).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| TimelineEntryDto { seq: e.seq, at: e.occurred_at, actor: e.actor_label, action: e.action })
            .collect(),
    ))
}
