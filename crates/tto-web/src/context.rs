//! Who is asking, in which language: the request context every handler receives.
//!
//! A middleware resolves the actor once per request — from a bearer token (API clients) or
//! the session cookie (browsers) — and the language, and makes sure a CSRF token exists.
//! Unsafe requests authenticated by cookie must prove they come from our own pages: forms
//! through [`CsrfForm`], API calls through the `X-CSRF-Token` header.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tto_app::{Actor, AppError};

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, T};

pub const SESSION_COOKIE: &str = "tto_session";
pub const CSRF_COOKIE: &str = "tto_csrf";
pub const LANG_COOKIE: &str = "tto_lang";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub lang: Lang,
    /// The token forms must carry and unsafe cookie-authenticated API calls must send.
    pub csrf: String,
    /// The session cookie's value, when signed in through the browser.
    pub session_token: Option<String>,
    /// Path and query of this request (for language switch and sign-in redirects).
    pub path: String,
    /// The client's network address (for sign-in throttling).
    pub address: String,
}

impl Ctx {
    pub fn t(&self) -> T {
        T::new(self.lang)
    }

    pub fn api_error(&self, e: AppError) -> ApiError {
        ApiError::from_app(self.lang, e)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Ctx>().cloned().unwrap_or_else(|| Ctx {
            actor: Actor::Anonymous,
            lang: Lang::Zh,
            csrf: String::new(),
            session_token: None,
            path: parts.uri.path().to_string(),
            address: String::from("unknown"),
        }))
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A `Set-Cookie` value. `max_age` `None` is a browser-session cookie; `Some(0)` deletes.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool, http_only: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == "lang").and_then(|(_, v)| Lang::parse(v))
}

/// Equal-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn context_layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/static/") || path == "/health" {
        return next.run(req).await;
    }
    let secure = state.config.secure_cookies;
    let headers = req.headers().clone();
    let switched = query_lang(req.uri().query());
    let lang = switched.or_else(|| cookie(&headers, LANG_COOKIE).and_then(Lang::parse)).unwrap_or_default();
    let is_api = path.starts_with("/api/");

    let mut actor = Actor::Anonymous;
    let mut session_csrf = None;
    let mut session_token = None;
    let mut bearer = false;
    let mut clear_session = false;
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let secret = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
        match secret {
            Some(secret) => match state.app.token_actor(secret).await {
                Ok(a) => {
                    actor = a;
                    bearer = true;
                }
                Err(e) => return ApiError::from_app(lang, e).into_response(),
            },
            None => return ApiError::from_app(lang, AppError::Unauthenticated).into_response(),
        }
    } else if let Some(token) = cookie(&headers, SESSION_COOKIE).filter(|t| is_token(t)) {
        match state.app.session(token).await {
            Ok(Some(live)) => {
                actor = Actor::User(live.user);
                session_csrf = Some(live.csrf_token);
                session_token = Some(token.to_string());
            }
            Ok(None) => clear_session = true,
            Err(e) => return ApiError::from_app(lang, e).into_response(),
        }
    }

    let mut new_csrf = None;
    let csrf = match session_csrf {
        Some(c) => c,
        None => match cookie(&headers, CSRF_COOKIE).filter(|t| is_token(t)) {
            Some(c) => c.to_string(),
            None => match tto_app::accounts::random_token() {
                Ok(c) => {
                    new_csrf = Some(c.clone());
                    c
                }
                Err(e) => return ApiError::from_app(lang, e).into_response(),
            },
        },
    };

    // Cookie-authenticated API writes must carry the CSRF header.
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if is_api && unsafe_method && session_token.is_some() && !bearer {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !same_token(sent, &csrf) {
            return ApiError::new(StatusCode::FORBIDDEN, "csrf", T::new(lang).s("error.csrf").to_string())
                .into_response();
        }
    }

    let full_path = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let address = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    req.extensions_mut().insert(Ctx { actor, lang, csrf, session_token, path: full_path, address });
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    if let Some(c) = new_csrf {
        h.append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &c, None, secure, true));
    }
    if let Some(l) = switched {
        h.append(header::SET_COOKIE, set_cookie(LANG_COOKIE, l.code(), Some(365 * 24 * 3600), secure, false));
    }
    if clear_session {
        h.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0), secure, true));
    }
    response
}

/// Submitted form fields, in order, repeated names allowed (table rows of a form).
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
    }
}

/// A form submission whose CSRF token was checked. Every page POST handler takes one.
pub struct CsrfForm(pub FormData);

impl FromRequest<AppState> for CsrfForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = req.extensions().get::<Ctx>().cloned();
        let axum::Form(fields): axum::Form<Vec<(String, String)>> =
            axum::Form::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        let form = FormData(fields);
        let expected = ctx.as_ref().map(|c| c.csrf.as_str()).unwrap_or_default();
        let sent = form.get(CSRF_FIELD).unwrap_or_default();
        if expected.is_empty() || !same_token(sent, expected) {
            let lang = ctx.map(|c| c.lang).unwrap_or_default();
            let t = T::new(lang);
            return Err(crate::pages::error_page(
                lang,
                StatusCode::FORBIDDEN,
                t.s("error.csrf_title"),
                t.s("error.csrf"),
            ));
        }
        Ok(CsrfForm(form))
    }
}
