//! `/api/v1/tokens`: personal access tokens of the caller.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_store::accounts::TokenRecord;
use utoipa::ToSchema;

use super::json::Body;
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&TokenRecord> for TokenDto {
    fn from(t: &TokenRecord) -> Self {
        TokenDto {
            id: t.id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            created_at: rfc3339(t.created_at),
            last_used_at: t.last_used_at.map(rfc3339),
            expires_at: t.expires_at.map(rfc3339),
            revoked_at: t.revoked_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    pub name: String,
    /// Days until it expires (1–3650); absent: never.
    pub valid_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreatedDto {
    /// The secret. Shown only now; store it safely.
    pub token: String,
    #[serde(flatten)]
    pub info: TokenDto,
}

#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "accounts",
    responses((status = 200, body = [TokenDto]), (status = 401, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<TokenDto>>, ApiError> {
    let tokens = state.app.tokens(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(tokens.iter().map(TokenDto::from).collect()))
}

/// Create a personal access token acting with the caller's roles.
#[utoipa::path(
    post, path = "/api/v1/tokens", tag = "accounts",
    request_body = TokenInput,
    responses((status = 201, body = TokenCreatedDto), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<TokenInput>,
) -> Result<(StatusCode, Json<TokenCreatedDto>), ApiError> {
    let (record, secret) =
        state.app.create_token(&ctx.actor, &input.name, input.valid_days).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(TokenCreatedDto { token: secret, info: TokenDto::from(&record) })))
}

/// Revoke one of the caller's tokens.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn revoke(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    state.app.revoke_token(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
