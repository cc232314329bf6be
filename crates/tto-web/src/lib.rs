//! The web face of tto: the JSON API under `/api/v1` (OpenAPI at `/api/openapi.json`) and
//! the server-rendered pages (zh-CN by default, English on request).
//!
//! This crate is the only one that knows HTTP, HTML and JSON wire shapes. Handlers are thin:
//! they read the request into domain input, call one use case of [`tto_app::App`] with the
//! request's actor, and render the result or the error.

pub mod api;
mod context;
mod error;
mod explain;
mod filters;
mod format;
pub mod i18n;
pub mod need_import;
mod pages;
mod security;
mod xlsx;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use tto_app::App;

pub use context::{CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, LANG_COOKIE, SESSION_COOKIE};

/// Settings of the web layer chosen by the binary.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (serve over HTTPS). Off only for plain-HTTP local use.
    pub secure_cookies: bool,
    /// Base URL used in links sent to people (invitations), e.g. `https://tto.example.edu.cn`.
    pub public_url: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig { secure_cookies: true, public_url: "http://127.0.0.1:8080".to_string() }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
}

/// Largest request body accepted (forms and JSON; imports go through the CLI).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The whole application as one router.
pub fn router(app: App, config: WebConfig) -> Router {
    let state = AppState { app, config: Arc::new(config) };
    let (api_router, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new()
        .merge(pages::router())
        .merge(api_router)
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route("/health", get(health))
        .route(
            "/static/app.css",
            get(|| async { static_file("text/css; charset=utf-8", include_str!("../static/app.css")) }),
        )
        .route(
            "/static/app.js",
            get(|| async { static_file("text/javascript; charset=utf-8", include_str!("../static/app.js")) }),
        )
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), context::context_layer))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(CatchPanicLayer::custom(security::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.app.store().reader().await {
        Ok(_) => (StatusCode::OK, axum::Json(serde_json::json!({ "status": "ok" }))),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "database unavailable" })))
        }
    }
}

fn static_file(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body)
}
