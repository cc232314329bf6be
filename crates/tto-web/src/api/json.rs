//! JSON bodies and query strings read with field-level errors.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use tto_domain::Violation;

use crate::AppState;
use crate::context::Ctx;
use crate::error::ApiError;

/// A JSON body; a malformed body is a 400 naming the field at fault.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = req.extensions().get::<Ctx>().map(|c| c.lang).unwrap_or_default();
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "bad_request",
                "expected Content-Type: application/json".to_string(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "bad_request", e.body_text()))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(Body).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." { "body".to_string() } else { field };
            let detail = e.inner().to_string();
            let detail = detail.split(" at line ").next().unwrap_or(&detail).to_string();
            ApiError::bad_field(lang, &field, &Violation::Rule { code: "invalid_json", detail })
        })
    }
}

/// A number or a string in JSON, kept as text so shares and amounts stay exact.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum Decimalish {
    Text(String),
    Number(serde_json::Number),
}

impl Decimalish {
    pub fn text(&self) -> String {
        match self {
            Decimalish::Text(s) => s.clone(),
            Decimalish::Number(n) => n.to_string(),
        }
    }
}

/// Query parameters as pairs, for parsing with field errors.
pub type Pairs = Vec<(String, String)>;

pub fn param<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

/// A query parameter that must be a non-negative whole number, if given.
pub fn number(lang: crate::i18n::Lang, pairs: &Pairs, name: &str) -> Result<Option<i64>, ApiError> {
    param(pairs, name)
        .map(|v| {
            v.trim().parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::bad_field(lang, name, &Violation::InvalidFormat { expected: "positive_integer" })
            })
        })
        .transpose()
}
