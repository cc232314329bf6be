//! `/api/v1/institutions`

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_domain::institution::InstitutionDraft;
use tto_domain::{Institution, InstitutionId, Violation};
use utoipa::ToSchema;

use super::json::Body;
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct InstitutionDto {
    pub id: i64,
    pub short_code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// `university`, `enterprise`, `exchange`, `regulator`, `investor`, `service_organisation`.
    pub kind: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    pub region: String,
    /// 国家设立: the statutory reward floors apply.
    pub state_run: bool,
    pub version: i64,
    pub updated_at: String,
}

impl From<&Institution> for InstitutionDto {
    fn from(i: &Institution) -> Self {
        InstitutionDto {
            id: i.id.0,
            short_code: i.fields.short_code.clone(),
            name: i.fields.name.clone(),
            name_en: i.fields.name_en.clone(),
            kind: i.fields.kind.code().to_string(),
            credit_code: i.fields.credit_code.to_string(),
            region: i.fields.region.clone(),
            state_run: i.fields.state_run,
            version: i.version,
            updated_at: rfc3339(i.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstitutionInput {
    /// Required when replacing.
    pub version: Option<i64>,
    pub short_code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: String,
    pub credit_code: String,
    pub region: String,
    #[serde(default)]
    pub state_run: bool,
}

impl InstitutionInput {
    fn draft(&self) -> InstitutionDraft {
        InstitutionDraft {
            short_code: self.short_code.clone(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            kind: self.kind.clone(),
            credit_code: self.credit_code.clone(),
            region: self.region.clone(),
            state_run: self.state_run,
        }
    }
}

/// The directory of institutions (public).
#[utoipa::path(get, path = "/api/v1/institutions", tag = "institutions", responses((status = 200, body = [InstitutionDto])))]
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<InstitutionDto>>, ApiError> {
    let all = state.app.institutions().await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(all.iter().map(InstitutionDto::from).collect()))
}

#[utoipa::path(
    get, path = "/api/v1/institutions/{id}", tag = "institutions",
    params(("id" = i64, Path)),
    responses((status = 200, body = InstitutionDto), (status = 404, body = ErrorBody))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<InstitutionDto>, ApiError> {
    let i = state.app.institution(InstitutionId(id)).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(InstitutionDto::from(&i)))
}

/// Register an institution (platform administrators).
#[utoipa::path(
    post, path = "/api/v1/institutions", tag = "institutions",
    request_body = InstitutionInput,
    responses(
        (status = 201, body = InstitutionDto), (status = 403, body = ErrorBody),
        (status = 409, description = "Duplicate credit code or short code", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<InstitutionInput>,
) -> Result<(StatusCode, Json<InstitutionDto>), ApiError> {
    let i = state.app.create_institution(&ctx.actor, &input.draft()).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(InstitutionDto::from(&i))))
}

/// Replace an institution's fields (platform administrators).
#[utoipa::path(
    put, path = "/api/v1/institutions/{id}", tag = "institutions",
    params(("id" = i64, Path)),
    request_body = InstitutionInput,
    responses(
        (status = 200, body = InstitutionDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<InstitutionInput>,
) -> Result<Json<InstitutionDto>, ApiError> {
    let Some(version) = input.version else {
        return Err(ctx.api_error(tto_app::AppError::field("version", Violation::Required)));
    };
    let i = state
        .app
        .update_institution(&ctx.actor, InstitutionId(id), version, &input.draft())
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok(Json(InstitutionDto::from(&i)))
}
