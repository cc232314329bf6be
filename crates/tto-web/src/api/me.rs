//! `/api/v1/me`

use axum::Json;
use serde::Serialize;
use tto_app::{Actor, AppError};
use utoipa::ToSchema;

use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub roles: Vec<String>,
}

/// The signed-in user or token owner.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn me(ctx: Ctx) -> Result<Json<MeDto>, ApiError> {
    let Actor::User(u) = &ctx.actor else { return Err(ctx.api_error(AppError::Unauthenticated)) };
    Ok(Json(MeDto {
        user_id: u.user_id.0,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        institution_id: u.institution_id.0,
        institution_name: u.institution_name.clone(),
        roles: u.roles.iter().map(|r| r.code().to_string()).collect(),
    }))
}
