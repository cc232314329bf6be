//! `/api/v1/policy`

use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;
use tto_app::AppError;
use utoipa::{IntoParams, ToSchema};

use super::json::{Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::date;

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyProfileDto {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub jurisdiction: String,
    pub extends: Option<String>,
    pub effective_from: String,
    pub effective_until: Option<String>,
    /// The day the values below are in force on.
    pub on: String,
    pub parameters: Vec<PolicyParameterDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyParameterDto {
    pub key: String,
    pub label: String,
    /// `percent`, `percent_range`, `money`, `days`, `working_days`, `months`, `years`,
    /// `years_range`, `flag`, `weights`, `categories`, `brackets`.
    pub kind: String,
    /// The value as text.
    pub value: String,
    /// A (statute read), B (faithful copy), C (secondary), U (unverified).
    pub grade: String,
    /// Grade U: the value is a configurable default that needs confirmation.
    pub needs_confirmation: bool,
    pub document: String,
    pub article: Option<String>,
    pub url: Option<String>,
    pub note: Option<String>,
    /// The profile the value comes from (a profile inherits from the one it extends).
    pub from_profile: String,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PolicyParams {
    /// `YYYY-MM-DD`; default today.
    on: Option<String>,
}

/// The rule values in force for the platform's jurisdiction, each with its source and grade.
#[utoipa::path(
    get, path = "/api/v1/policy", tag = "policy",
    params(PolicyParams),
    responses((status = 200, body = PolicyProfileDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn current(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<PolicyProfileDto>, ApiError> {
    let day = match param(&pairs, "on") {
        Some(d) => tto_domain::period::parse_date(d).map_err(|v| ApiError::bad_field(ctx.lang, "on", &v))?,
        None => state.app.today(),
    };
    let profile =
        state.app.profile_on(day).ok_or_else(|| ctx.api_error(AppError::NotFound { entity: "policy profile" }))?;
    let t = ctx.t();
    let en = ctx.lang == crate::i18n::Lang::En;
    let entries = state
        .app
        .policy()
        .effective_parameters(&profile.id, day)
        .map_err(|e| ctx.api_error(AppError::Internal(e.to_string())))?;
    Ok(Json(PolicyProfileDto {
        id: profile.id.clone(),
        version: profile.version,
        title: if en { profile.title_en.clone() } else { profile.title_zh.clone() },
        jurisdiction: profile.jurisdiction.clone(),
        extends: profile.extends.clone(),
        effective_from: date(profile.effective.start()),
        effective_until: profile.effective.end().map(date),
        on: date(day),
        parameters: entries
            .iter()
            .map(|r| {
                let p = r.parameter;
                PolicyParameterDto {
                    key: p.key.code().to_string(),
                    label: t.code("policy.key", p.key.code()),
                    kind: p.key.kind().code().to_string(),
                    value: p.value.to_string(),
                    grade: p.grade.code().to_string(),
                    needs_confirmation: p.grade.needs_confirmation(),
                    document: p.source.document.clone(),
                    article: p.source.article.clone(),
                    url: p.source.url.clone(),
                    note: if en { p.note_en.clone() } else { p.note_zh.clone() },
                    from_profile: r.profile.id.clone(),
                }
            })
            .collect(),
    }))
}
