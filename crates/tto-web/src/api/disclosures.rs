//! `/api/v1/disclosures`: invention disclosures, their attachments and the TTO's decisions.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tto_app::disclosures::{AcceptDraft, DisclosureView};
use tto_domain::Violation;
use tto_domain::achievement::ContributorDraft;
use tto_domain::disclosure::{DisclosureDraft, DisclosureStatus};
use tto_store::disclosures::{Attachment, Disclosure};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Decimalish, Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::{date, rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct ContributorDto {
    pub name: String,
    pub share: String,
    pub main: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    pub id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

pub fn attachment_dto(a: &Attachment) -> AttachmentDto {
    AttachmentDto {
        id: a.id,
        file_name: a.file_name.clone(),
        media_type: a.media_type.clone(),
        size: a.size,
        sha256: a.sha256.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureDto {
    pub id: i64,
    pub institution_id: i64,
    pub inventor: String,
    pub title: String,
    pub summary: String,
    pub problem: String,
    pub prior_art: String,
    pub planned_publications: Option<String>,
    pub first_publication_on: Option<String>,
    pub funding_source: String,
    pub funding_refs: Vec<String>,
    pub contributors: Vec<ContributorDto>,
    /// `draft`, `submitted`, `returned`, `accepted`, `rejected`.
    pub status: String,
    /// The TTO's comments (returned) or reason (rejected).
    pub comments: Option<String>,
    /// The achievement created when accepted.
    pub achievement_id: Option<i64>,
    pub submitted_on: Option<String>,
    pub decided_on: Option<String>,
    pub attachments: Vec<AttachmentDto>,
    pub version: i64,
    pub updated_at: String,
}

pub fn dto(d: &Disclosure, attachments: &[Attachment]) -> DisclosureDto {
    let f = &d.fields;
    DisclosureDto {
        id: d.id,
        institution_id: d.institution_id.0,
        inventor: d.inventor_name.clone(),
        title: f.title.clone(),
        summary: f.summary.clone(),
        problem: f.problem.clone(),
        prior_art: f.prior_art.clone(),
        planned_publications: f.planned_publications.clone(),
        first_publication_on: f.first_publication_on.map(date),
        funding_source: f.funding_source.code().into(),
        funding_refs: f.funding_refs.clone(),
        contributors: f
            .contributors
            .iter()
            .map(|c| ContributorDto {
                name: c.name.clone(),
                share: c.share.value().normalize().to_string(),
                main: c.main,
            })
            .collect(),
        status: d.status.code().into(),
        comments: d.comments.clone(),
        achievement_id: d.achievement_id.map(|a| a.0),
        submitted_on: d.submitted_on.map(date),
        decided_on: d.decided_on.map(date),
        attachments: attachments.iter().map(attachment_dto).collect(),
        version: d.version,
        updated_at: rfc3339(d.updated_at),
    }
}

fn view_dto(v: &DisclosureView) -> DisclosureDto {
    dto(&v.disclosure, &v.attachments)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributorInput {
    pub name: String,
    #[schema(value_type = String)]
    pub share: Decimalish,
    #[serde(default)]
    pub main: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureInput {
    pub title: String,
    pub summary: String,
    pub problem: String,
    pub prior_art: String,
    #[serde(default)]
    pub planned_publications: String,
    /// The first planned publication (a publication before filing destroys novelty).
    #[serde(default)]
    pub first_publication_on: String,
    /// `fiscal` or `non_fiscal`.
    pub funding_source: String,
    #[serde(default)]
    pub funding_refs: Vec<String>,
    pub contributors: Vec<ContributorInput>,
    /// Updates: the version the change is based on.
    pub version: Option<i64>,
}

fn draft_of(i: &DisclosureInput) -> DisclosureDraft {
    DisclosureDraft {
        title: i.title.clone(),
        summary: i.summary.clone(),
        problem: i.problem.clone(),
        prior_art: i.prior_art.clone(),
        planned_publications: i.planned_publications.clone(),
        first_publication_on: i.first_publication_on.clone(),
        funding_source: i.funding_source.clone(),
        funding_refs: i.funding_refs.clone(),
        contributors: i
            .contributors
            .iter()
            .map(|c| ContributorDraft { person_id: None, name: c.name.clone(), share: c.share.text(), main: c.main })
            .collect(),
    }
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    status: Option<String>,
}

/// Disclosures: the inventor's own, or the institution's for its TTO.
#[utoipa::path(
    get, path = "/api/v1/disclosures", tag = "disclosures", params(ListParams),
    responses((status = 200, body = [DisclosureDto]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<DisclosureDto>>, ApiError> {
    let status = param(&pairs, "status")
        .map(DisclosureStatus::from_code)
        .transpose()
        .map_err(|v| ApiError::bad_field(ctx.lang, "status", &v))?;
    let rows = state.app.disclosures(&ctx.actor, status).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(|d| dto(d, &[])).collect()))
}

/// Draft a disclosure (an inventor, or the TTO for one).
#[utoipa::path(
    post, path = "/api/v1/disclosures", tag = "disclosures", request_body = DisclosureInput,
    responses((status = 201, body = DisclosureDto), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<DisclosureInput>,
) -> Result<(StatusCode, Json<DisclosureDto>), ApiError> {
    let d = state.app.create_disclosure(&ctx.actor, &draft_of(&input)).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(dto(&d, &[]))))
}

#[utoipa::path(
    get, path = "/api/v1/disclosures/{id}", tag = "disclosures", params(("id" = i64, Path)),
    responses((status = 200, body = DisclosureDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<DisclosureDto>, ApiError> {
    let v = state.app.disclosure(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&v)))
}

/// Change a draft or returned disclosure.
#[utoipa::path(
    put, path = "/api/v1/disclosures/{id}", tag = "disclosures", params(("id" = i64, Path)), request_body = DisclosureInput,
    responses((status = 200, body = DisclosureDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<DisclosureInput>,
) -> Result<Json<DisclosureDto>, ApiError> {
    let Some(version) = input.version else {
        return Err(ApiError::bad_field(ctx.lang, "version", &Violation::Required));
    };
    state.app.update_disclosure(&ctx.actor, id, version, &draft_of(&input)).await.map_err(|e| ctx.api_error(e))?;
    let v = state.app.disclosure(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&v)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub version: i64,
    /// `return`: comments for the inventor; `reject`: the reason; `accept`: optional note.
    #[serde(default)]
    pub comments: String,
    /// `accept`: what the ledger needs besides the disclosure.
    pub discipline: Option<String>,
    pub kind: Option<String>,
    #[schema(value_type = Option<String>)]
    pub trl: Option<Decimalish>,
    pub confidentiality: Option<String>,
    #[serde(default)]
    pub chains: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default = "yes")]
    pub job_related: bool,
    #[serde(default)]
    pub major: bool,
}

fn yes() -> bool {
    true
}

/// Move a disclosure on: `submit` (inventor), `return`, `reject`, `accept` (TTO; creates the achievement).
#[utoipa::path(
    post, path = "/api/v1/disclosures/{id}/{step}", tag = "disclosures",
    params(("id" = i64, Path), ("step" = String, Path, description = "submit | return | reject | accept")),
    request_body = StepInput,
    responses((status = 200, body = DisclosureDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    Body(input): Body<StepInput>,
) -> Result<Json<DisclosureDto>, ApiError> {
    let app = &state.app;
    let done = match step.as_str() {
        "submit" => app.submit_disclosure(&ctx.actor, id, input.version).await,
        "return" => app.return_disclosure(&ctx.actor, id, input.version, &input.comments).await,
        "reject" => app.reject_disclosure(&ctx.actor, id, input.version, &input.comments).await,
        "accept" => {
            let extra = AcceptDraft {
                discipline: input.discipline.clone().unwrap_or_default(),
                kind: input.kind.clone().unwrap_or_default(),
                trl: input.trl.as_ref().map(Decimalish::text).unwrap_or_default(),
                confidentiality: input.confidentiality.clone().unwrap_or_default(),
                chains: input.chains.clone(),
                keywords: input.keywords.clone(),
                job_related: input.job_related,
                major: input.major,
                comments: input.comments.clone(),
            };
            app.accept_disclosure(&ctx.actor, id, input.version, &extra).await
        }
        other => {
            return Err(ApiError::bad_field(ctx.lang, "step", &Violation::UnknownChoice { value: other.to_string() }));
        }
    };
    done.map_err(|e| ctx.api_error(e))?;
    let v = app.disclosure(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&v)))
}

/// The file of a multipart upload: (name, media type, bytes).
pub async fn file_of(ctx: &Ctx, mut multipart: Multipart) -> Result<(String, String, Vec<u8>), ApiError> {
    let bad = |detail: String| ApiError::bad_field(ctx.lang, "file", &Violation::Rule { code: "unreadable", detail });
    while let Some(field) = multipart.next_field().await.map_err(|e| bad(e.body_text()))? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_string();
            let media = field.content_type().unwrap_or("application/octet-stream").to_string();
            let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
            return Ok((name, media, bytes.to_vec()));
        }
    }
    Err(ApiError::bad_field(ctx.lang, "file", &Violation::Required))
}

/// Attach a file (multipart/form-data, field `file`, at most 10 MiB) to a draft or returned disclosure.
#[utoipa::path(
    post, path = "/api/v1/disclosures/{id}/attachments", tag = "disclosures", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", content = Vec<u8>),
    responses((status = 201, body = AttachmentDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn attach(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<AttachmentDto>), ApiError> {
    // Who may attach is answered before what was sent: a stranger learns nothing from the
    // shape of the body.
    let multipart = match multipart {
        Ok(m) => m,
        Err(rejection) => {
            state.app.disclosure(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
            return Err(ApiError::bad_field(
                ctx.lang,
                "file",
                &Violation::Rule { code: "unreadable", detail: rejection.body_text() },
            ));
        }
    };
    let (name, media, bytes) = file_of(&ctx, multipart).await?;
    let a = state.app.attach_to_disclosure(&ctx.actor, id, &name, &media, bytes).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(attachment_dto(&a))))
}

/// Download an attachment.
#[utoipa::path(
    get, path = "/api/v1/disclosures/{id}/attachments/{attachment}", tag = "disclosures",
    params(("id" = i64, Path), ("attachment" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, attachment)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    let (a, bytes) = state.app.disclosure_attachment(&ctx.actor, id, attachment).await.map_err(|e| ctx.api_error(e))?;
    Ok(file_response(&a, bytes))
}

/// A stored file as a download (never rendered inline: it is user content).
pub fn file_response(a: &Attachment, bytes: Vec<u8>) -> Response {
    let ascii: String = a
        .file_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    let encoded: String = a
        .file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")),
        ],
        bytes,
    )
        .into_response()
}

/// Remove an attachment from a draft or returned disclosure.
#[utoipa::path(
    delete, path = "/api/v1/disclosures/{id}/attachments/{attachment}", tag = "disclosures",
    params(("id" = i64, Path), ("attachment" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn detach(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, attachment)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    state.app.detach_from_disclosure(&ctx.actor, id, attachment).await.map_err(|e| ctx.api_error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
