//! The one error envelope of the API, and how use-case errors become responses.
//!
//! `{ "error": { "code", "message", "field"?, "details"? } }`. 4xx for every bad input,
//! with field-level details; 5xx never carries internal text (it is logged instead).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tto_app::AppError;
use utoipa::ToSchema;

use crate::i18n::{Lang, T};

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `validation`, `not_found`, `forbidden`, `unauthenticated`, `conflict`,
    /// `illegal_transition`, `too_many_attempts`, `bad_request`, `csrf`, `internal`.
    pub code: String,
    /// Human-readable, in the request's language.
    pub message: String,
    /// The first field at fault, when the error concerns fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldDetail>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDetail {
    pub field: String,
    pub code: String,
    pub message: String,
    /// Source line, for imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// An API error: status plus envelope.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: String) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: ErrorDetail { code: code.to_string(), message, field: None, details: Vec::new() },
            },
            retry_after: None,
        }
    }

    pub fn bad_field(lang: Lang, field: &str, violation: &tto_domain::Violation) -> ApiError {
        let t = T::new(lang);
        let mut e =
            ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("{field}: {}", t.violation(violation)));
        e.body.error.field = Some(field.to_string());
        e.body.error.details.push(FieldDetail {
            field: field.to_string(),
            code: violation.code().to_string(),
            message: t.violation(violation),
            line: None,
        });
        e
    }

    pub fn from_app(lang: Lang, e: AppError) -> ApiError {
        let t = T::new(lang);
        match e {
            AppError::Validation(errors) => {
                let details: Vec<FieldDetail> = errors
                    .errors
                    .iter()
                    .map(|e| FieldDetail {
                        field: e.field.clone(),
                        code: e.violation.code().to_string(),
                        message: t.violation(&e.violation),
                        line: None,
                    })
                    .collect();
                let message =
                    details.iter().map(|d| format!("{}: {}", d.field, d.message)).collect::<Vec<_>>().join("; ");
                let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", message);
                err.body.error.field = details.first().map(|d| d.field.clone());
                err.body.error.details = details;
                err
            }
            AppError::NotFound { entity } => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                t.f("error.not_found", &[("entity", entity.to_string())]),
            ),
            AppError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", t.s("error.forbidden").to_string())
            }
            AppError::Unauthenticated => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", t.s("error.unauthenticated").to_string())
            }
            AppError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                t.s("error.invalid_credentials").to_string(),
            ),
            AppError::Conflict { field, violation } => {
                let message = t.violation(&violation);
                let mut err = ApiError::new(StatusCode::CONFLICT, "conflict", format!("{field}: {message}"));
                err.body.error.details.push(FieldDetail {
                    field: field.clone(),
                    code: violation.code().to_string(),
                    message,
                    line: None,
                });
                err.body.error.field = Some(field);
                err
            }
            AppError::IllegalTransition(it) => ApiError::new(
                StatusCode::CONFLICT,
                "illegal_transition",
                t.f(
                    "violation.illegal_transition",
                    &[
                        ("action", t.code("achievement.action", it.action.code())),
                        ("status", t.code("achievement.status", it.from.code())),
                    ],
                ),
            ),
            AppError::TooManyAttempts { retry_after_secs } => {
                let mut err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    t.f("error.too_many_attempts", &[("minutes", retry_after_secs.div_ceil(60).to_string())]),
                );
                err.retry_after = Some(retry_after_secs);
                err
            }
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", t.s("error.internal").to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
