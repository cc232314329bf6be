//! `/api/v1/needs`: enterprise technology needs (企业技术需求, measure 十五).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use tto_app::Permission;
use tto_app::tech_needs::{Need, NeedFilter, NeedRow, NeedView};
use tto_domain::tech_need::{NeedAction, NeedDraft, NeedStatus};
use tto_domain::{InstitutionId, Money, Violation};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Decimalish, Pairs, number, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody, FieldDetail};
use crate::format::{date, rfc3339};
use crate::i18n::T;
use crate::need_import::{self, NeedFormat};

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDto {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NeedDto {
    pub id: i64,
    /// The submitting institution (owner of the record).
    pub institution_id: i64,
    pub institution_name: String,
    /// The enterprise with the need, when a district, association or the exchange submitted it.
    pub enterprise_name: Option<String>,
    pub enterprise_credit_code: Option<String>,
    pub title: String,
    pub description: String,
    /// Industrial-chain codes.
    pub chains: Vec<String>,
    /// The chain the text suggests, for the owner to confirm.
    pub suggested_chain: Option<String>,
    pub discipline: Option<String>,
    /// Yuan, decimal strings.
    pub budget_min: Option<String>,
    pub budget_max: Option<String>,
    pub deadline: Option<String>,
    /// `public`, `via_platform`, `hidden`.
    pub contact_policy: String,
    /// Absent when the contact policy does not show it to the caller.
    pub contact: Option<ContactDto>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
    pub keywords: Vec<String>,
    /// `draft`, `published`, `matched`, `in_progress`, `closed`, `withdrawn`.
    pub status: String,
    pub published_on: Option<String>,
    /// Steps the caller may take now.
    pub actions: Vec<String>,
    pub version: i64,
    pub updated_at: String,
}

fn dto(n: &Need, actions: &[NeedAction]) -> NeedDto {
    let f = &n.fields;
    NeedDto {
        id: n.id,
        institution_id: n.institution_id.0,
        institution_name: n.institution_name.clone(),
        enterprise_name: f.enterprise_name.clone(),
        enterprise_credit_code: f.enterprise_credit_code.as_ref().map(|c| c.as_str().to_string()),
        title: f.title.clone(),
        description: f.description.clone(),
        chains: f.chains.iter().map(|c| c.as_str().to_string()).collect(),
        suggested_chain: n.suggested_chain.as_ref().map(|c| c.as_str().to_string()),
        discipline: f.discipline.clone(),
        budget_min: f.budget_min.map(Money::to_plain),
        budget_max: f.budget_max.map(Money::to_plain),
        deadline: f.deadline.map(date),
        contact_policy: f.contact_policy.code().to_string(),
        contact: (!n.contact_withheld).then(|| ContactDto {
            name: f.contact.name.clone(),
            phone: f.contact.phone.clone(),
            email: f.contact.email.clone(),
        }),
        trl_min: f.trl_min.map(|t| t.level()),
        trl_max: f.trl_max.map(|t| t.level()),
        keywords: f.keywords.clone(),
        status: n.status.code().to_string(),
        published_on: n.published_on.map(date),
        actions: actions.iter().map(|a| a.code().to_string()).collect(),
        version: n.version,
        updated_at: rfc3339(n.updated_at),
    }
}

fn view_dto(v: &NeedView) -> NeedDto {
    let mut d = dto(&v.need, &v.actions);
    if v.can_confirm_chain {
        d.actions.push("confirm_chain".into());
    }
    d
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NeedRowDto {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub enterprise_name: Option<String>,
    pub title: String,
    pub chains: Vec<String>,
    pub budget_min: Option<String>,
    pub budget_max: Option<String>,
    pub deadline: Option<String>,
    pub contact_policy: String,
    pub status: String,
    pub published_on: Option<String>,
}

impl From<&NeedRow> for NeedRowDto {
    fn from(r: &NeedRow) -> Self {
        NeedRowDto {
            id: r.id,
            institution_id: r.institution_id.0,
            institution_name: r.institution_name.clone(),
            enterprise_name: r.enterprise_name.clone(),
            title: r.title.clone(),
            chains: r.chains.iter().map(|c| c.as_str().to_string()).collect(),
            budget_min: r.budget_min.map(Money::to_plain),
            budget_max: r.budget_max.map(Money::to_plain),
            deadline: r.deadline.map(date),
            contact_policy: r.contact_policy.code().to_string(),
            status: r.status.code().to_string(),
            published_on: r.published_on.map(date),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedInput {
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub chains: Vec<String>,
    pub discipline: Option<String>,
    /// Yuan (string or number; `50万` is read as 500,000).
    #[schema(value_type = Option<String>)]
    pub budget_min: Option<Decimalish>,
    #[schema(value_type = Option<String>)]
    pub budget_max: Option<Decimalish>,
    /// `YYYY-MM-DD`, not in the past.
    pub deadline: Option<String>,
    /// `public`, `via_platform` or `hidden`.
    pub contact_policy: String,
    pub contact_name: String,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The enterprise with the need, when you submit it for an enterprise.
    pub enterprise_name: Option<String>,
    pub enterprise_credit_code: Option<String>,
    /// Platform administrators: the institution the need belongs to.
    pub institution_id: Option<i64>,
    /// Updates: the version the change is based on.
    pub version: Option<i64>,
}

impl NeedInput {
    fn draft(&self) -> NeedDraft {
        NeedDraft {
            title: self.title.clone(),
            description: self.description.clone(),
            chains: self.chains.clone(),
            discipline: self.discipline.clone(),
            budget_min: self.budget_min.as_ref().map(Decimalish::text),
            budget_max: self.budget_max.as_ref().map(Decimalish::text),
            deadline: self.deadline.clone(),
            contact_policy: self.contact_policy.clone(),
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
            contact_email: self.contact_email.clone(),
            trl_min: self.trl_min.map(|t| t.to_string()),
            trl_max: self.trl_max.map(|t| t.to_string()),
            keywords: self.keywords.clone(),
            enterprise_name: self.enterprise_name.clone(),
            enterprise_credit_code: self.enterprise_credit_code.clone(),
        }
    }
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// `draft`, `published`, `matched`, `in_progress`, `closed`, `withdrawn`.
    status: Option<String>,
    /// An industrial-chain code.
    chain: Option<String>,
    /// Text contained in title, description, keywords or enterprise name.
    q: Option<String>,
    institution_id: Option<i64>,
    offset: Option<i64>,
    /// At most 500 (default 100).
    limit: Option<i64>,
}

/// Needs the caller may see: published needs of everyone, and the caller's own in any status.
#[utoipa::path(
    get, path = "/api/v1/needs", tag = "needs", params(ListParams),
    responses((status = 200, body = [NeedRowDto]), (status = 400, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<NeedRowDto>>, ApiError> {
    let filter = NeedFilter {
        status: param(&pairs, "status")
            .map(NeedStatus::from_code)
            .transpose()
            .map_err(|v| ApiError::bad_field(ctx.lang, "status", &v))?,
        chain: match param(&pairs, "chain") {
            Some(c) => Some(
                state
                    .app
                    .chains()
                    .code(c)
                    .map_err(|v| ApiError::bad_field(ctx.lang, "chain", &v))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        },
        text: param(&pairs, "q").map(str::to_string),
        institution: number(ctx.lang, &pairs, "institution_id")?.map(InstitutionId),
    };
    let offset = number(ctx.lang, &pairs, "offset")?.unwrap_or(0);
    let limit = number(ctx.lang, &pairs, "limit")?.unwrap_or(100).clamp(1, 500);
    let listing = state.app.list_needs(&ctx.actor, &filter, offset, limit).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(listing.rows.iter().map(NeedRowDto::from).collect()))
}

#[utoipa::path(
    get, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path)),
    responses((status = 200, body = NeedDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Json<NeedDto>, ApiError> {
    let view = state.app.need(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&view)))
}

/// Register a need (as a draft) for the caller's institution.
#[utoipa::path(
    post, path = "/api/v1/needs", tag = "needs", request_body = NeedInput,
    responses(
        (status = 201, body = NeedDto),
        (status = 422, description = "Invalid fields (budget range, past deadline, unknown chain, contact …)", body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<NeedInput>,
) -> Result<(StatusCode, Json<NeedDto>), ApiError> {
    let need = state
        .app
        .create_need(&ctx.actor, input.institution_id.map(InstitutionId), &input.draft())
        .await
        .map_err(|e| ctx.api_error(e))?;
    let view = state.app.need(&ctx.actor, need.id).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(view_dto(&view))))
}

/// Replace the content of a need (not closed or withdrawn), naming the version it is based on.
#[utoipa::path(
    put, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path)), request_body = NeedInput,
    responses(
        (status = 200, body = NeedDto), (status = 404, body = ErrorBody),
        (status = 409, description = "Stale version, or closed / withdrawn", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<NeedInput>,
) -> Result<Json<NeedDto>, ApiError> {
    let Some(version) = input.version else {
        return Err(ApiError::bad_field(ctx.lang, "version", &Violation::Required));
    };
    state.app.update_need(&ctx.actor, id, version, &input.draft()).await.map_err(|e| ctx.api_error(e))?;
    let view = state.app.need(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&view)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub version: i64,
}

/// Move a need on — `publish`, `match`, `start`, `close`, `withdraw`, `reopen` — or
/// `confirm_chain` (add the suggested industrial chain).
#[utoipa::path(
    post, path = "/api/v1/needs/{id}/{step}", tag = "needs",
    params(("id" = i64, Path), ("step" = String, Path, description = "publish | match | start | close | withdraw | reopen | confirm_chain")),
    request_body = StepInput,
    responses(
        (status = 200, body = NeedDto), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed in the current status, or stale version", body = ErrorBody),
        (status = 422, description = "The deadline has passed (publish)", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    Body(input): Body<StepInput>,
) -> Result<Json<NeedDto>, ApiError> {
    let app = &state.app;
    let result = if step == "confirm_chain" {
        app.confirm_need_chain(&ctx.actor, id, input.version).await
    } else {
        let action = NeedAction::from_code(&step).map_err(|v| ApiError::bad_field(ctx.lang, "step", &v))?;
        app.transition_need(&ctx.actor, id, input.version, action).await
    };
    result.map_err(|e| ctx.api_error(e))?;
    let view = app.need(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&view)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub imported: usize,
}

/// Import problems as a 422 with every bad row's line and field.
pub(crate) fn import_error(t: T, problems: &[tto_app::import::RowProblem]) -> ApiError {
    let details: Vec<FieldDetail> = problems
        .iter()
        .map(|p| FieldDetail {
            field: p.field.clone(),
            code: p.violation.code().to_string(),
            message: t.violation(&p.violation),
            line: Some(p.line),
        })
        .collect();
    let message = t.f("needs.import_failed", &[("n", details.len().to_string())]);
    let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", message);
    err.body.error.field = details.first().map(|d| d.field.clone());
    err.body.error.details = details;
    err
}

/// Parses and imports a file body; all rows or none.
pub(crate) async fn import_text(
    state: &AppState,
    ctx: &Ctx,
    format: NeedFormat,
    text: &str,
) -> Result<usize, ApiError> {
    let (rows, mut problems) = need_import::parse(format, text);
    let app = &state.app;
    if !problems.is_empty() {
        match app.validate_need_import(&ctx.actor, &rows).await {
            Ok(()) => {}
            Err(tto_app::import::ImportError::Rows(more)) => problems.extend(more),
            Err(tto_app::import::ImportError::App(e)) => return Err(ctx.api_error(e)),
        }
        problems.sort_by_key(|p| p.line);
        return Err(import_error(ctx.t(), &problems));
    }
    match app.import_needs(&ctx.actor, rows).await {
        Ok(n) => Ok(n),
        Err(tto_app::import::ImportError::Rows(problems)) => Err(import_error(ctx.t(), &problems)),
        Err(tto_app::import::ImportError::App(e)) => Err(ctx.api_error(e)),
    }
}

/// Import needs from JSON Lines or CSV (the body; `Content-Type: text/csv` or
/// `application/x-ndjson`, or `?format=csv|jsonl`). Every row is checked first: one bad row
/// and nothing is imported; the error lists every problem with its line and field.
#[utoipa::path(
    post, path = "/api/v1/needs/import", tag = "needs",
    params(("format" = Option<String>, Query, description = "csv | jsonl (default: from Content-Type or content)")),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 201, body = ImportResult),
        (status = 422, description = "Bad rows, each with line and field; nothing was imported", body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportResult>), ApiError> {
    ctx.actor.require(Permission::NeedImport).map_err(|e| ctx.api_error(e))?;
    let Ok(text) = std::str::from_utf8(&body) else {
        let v = Violation::InvalidFormat { expected: "utf8" };
        return Err(ApiError::bad_field(ctx.lang, "body", &v));
    };
    let format = match param(&pairs, "format") {
        Some(f) => NeedFormat::from_code(f).ok_or_else(|| {
            ApiError::bad_field(ctx.lang, "format", &Violation::UnknownChoice { value: f.to_string() })
        })?,
        None => headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(NeedFormat::from_media_type)
            .unwrap_or_else(|| NeedFormat::sniff(text)),
    };
    let imported = import_text(&state, &ctx, format, text).await?;
    Ok((StatusCode::CREATED, Json(ImportResult { imported })))
}
