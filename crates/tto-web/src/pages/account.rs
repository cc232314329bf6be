//! Sign-in, sign-out, password change, invitations and personal access tokens.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tto_app::AppError;
use tto_store::accounts::TokenRecord;

use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx, SESSION_COOKIE, set_cookie};
use crate::format::datetime;

/// Only local paths are followed after sign-in (no open redirects).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.starts_with("/sign-") => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[derive(Template)]
#[template(path = "account/sign_in.html")]
struct SignInPage {
    layout: Layout,
    username: String,
    next: String,
    errors: FormErrors,
}

pub async fn sign_in_form(ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let next = safe_next(pairs.iter().find(|(k, _)| k == "next").map(|(_, v)| v.as_str()));
    if ctx.actor.user().is_some() {
        return see_other(&next);
    }
    render(&SignInPage {
        layout: Layout::new(&ctx, t.s("signin.title")),
        username: String::new(),
        next,
        errors: FormErrors::default(),
    })
}

pub async fn sign_in(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let t = ctx.t();
    let username = form.text("username");
    let next = safe_next(form.get("next"));
    match state.app.sign_in(&username, &form.text("password"), &ctx.address).await {
        Ok(signed) => {
            let max_age = (signed.expires_at - state.app.now()).whole_seconds();
            let cookie = set_cookie(SESSION_COOKIE, &signed.token, Some(max_age), state.config.secure_cookies, true);
            let mut response = see_other(&next);
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response
        }
        Err(e) => {
            let status = match &e {
                AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            match FormErrors::from_app(t, &e) {
                Some(errors) => render_status(
                    status,
                    &SignInPage { layout: Layout::new(&ctx, t.s("signin.title")), username, next, errors },
                ),
                None => fail(&ctx, e),
            }
        }
    }
}

pub async fn sign_out(State(state): State<AppState>, ctx: Ctx, CsrfForm(_): CsrfForm) -> Response {
    if let Some(token) = &ctx.session_token
        && let Err(e) = state.app.sign_out(token).await
    {
        return fail(&ctx, e);
    }
    let mut response = see_other("/");
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies, true));
    response
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    layout: Layout,
    errors: FormErrors,
    done: bool,
}

pub async fn password_form(ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    if ctx.actor.user().is_none() {
        return fail(&ctx, AppError::Unauthenticated);
    }
    let t = ctx.t();
    render(&PasswordPage {
        layout: Layout::new(&ctx, t.s("password.title")),
        errors: FormErrors::default(),
        done: pairs.iter().any(|(k, _)| k == "done"),
    })
}

pub async fn change_password(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let t = ctx.t();
    let new = form.text("new_password");
    let mut errors = FormErrors::default();
    if new != form.text("new_password_again") {
        errors.summary.push(t.s("password.mismatch").to_string());
        errors.by_field.push(("new_password_again".into(), t.s("password.mismatch").to_string()));
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage { layout: Layout::new(&ctx, t.s("password.title")), errors, done: false },
        );
    }
    match state
        .app
        .change_password(&ctx.actor, ctx.session_token.as_deref(), &form.text("current_password"), &new)
        .await
    {
        Ok(()) => see_other("/account/password?done=1"),
        Err(e) => match FormErrors::from_app(t, &e) {
            Some(errors) => render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &PasswordPage { layout: Layout::new(&ctx, t.s("password.title")), errors, done: false },
            ),
            None => fail(&ctx, e),
        },
    }
}

#[derive(Template)]
#[template(path = "account/invitation.html")]
struct InvitationPage {
    layout: Layout,
    username: String,
    display_name: String,
    token: String,
    errors: FormErrors,
}

pub async fn invitation_form(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> Response {
    let t = ctx.t();
    match state.app.invitation(&token).await {
        Ok(user) => render(&InvitationPage {
            layout: Layout::new(&ctx, t.s("invitation.title")),
            username: user.username,
            display_name: user.display_name,
            token,
            errors: FormErrors::default(),
        }),
        Err(e) => fail(&ctx, e),
    }
}

pub async fn accept_invitation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let t = ctx.t();
    let password = form.text("password");
    let user = match state.app.invitation(&token).await {
        Ok(u) => u,
        Err(e) => return fail(&ctx, e),
    };
    let page = |errors: FormErrors| InvitationPage {
        layout: Layout::new(&ctx, t.s("invitation.title")),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        token: token.clone(),
        errors,
    };
    if password != form.text("password_again") {
        let mut errors = FormErrors::default();
        errors.summary.push(t.s("password.mismatch").to_string());
        errors.by_field.push(("password_again".into(), t.s("password.mismatch").to_string()));
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(errors));
    }
    match state.app.accept_invitation(&token, &password).await {
        Ok(_) => see_other("/sign-in?next=/"),
        Err(e) => match FormErrors::from_app(t, &e) {
            Some(errors) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(errors)),
            None => fail(&ctx, e),
        },
    }
}

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenRow>,
    new_secret: String,
    errors: FormErrors,
    name: String,
}

fn token_rows(t: crate::i18n::T, tokens: &[TokenRecord]) -> Vec<TokenRow> {
    tokens
        .iter()
        .map(|r| TokenRow {
            id: r.id,
            name: r.name.clone(),
            prefix: r.prefix.clone(),
            created: datetime(r.created_at),
            last_used: r.last_used_at.map(datetime).unwrap_or_else(|| t.s("common.never").to_string()),
            expires: r.expires_at.map(datetime).unwrap_or_else(|| t.s("common.never").to_string()),
            revoked: r.revoked_at.is_some(),
        })
        .collect()
}

pub async fn tokens(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    match state.app.tokens(&ctx.actor).await {
        Ok(tokens) => render(&TokensPage {
            layout: Layout::new(&ctx, t.s("tokens.title")),
            tokens: token_rows(t, &tokens),
            new_secret: String::new(),
            errors: FormErrors::default(),
            name: String::new(),
        }),
        Err(e) => fail(&ctx, e),
    }
}

pub async fn create_token(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let t = ctx.t();
    let name = form.text("name");
    let days = match form.get("valid_days").map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match d.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => Some(0),
        },
    };
    let result = state.app.create_token(&ctx.actor, &name, days).await;
    let tokens = match state.app.tokens(&ctx.actor).await {
        Ok(t) => t,
        Err(e) => return fail(&ctx, e),
    };
    match result {
        Ok((_, secret)) => {
            let page = TokensPage {
                layout: Layout::new(&ctx, t.s("tokens.title")),
                tokens: token_rows(t, &tokens),
                new_secret: secret,
                errors: FormErrors::default(),
                name: String::new(),
            };
            let mut response = render_status(StatusCode::CREATED, &page);
            response.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
            response.into_response()
        }
        Err(e) => match FormErrors::from_app(t, &e) {
            Some(errors) => render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &TokensPage {
                    layout: Layout::new(&ctx, t.s("tokens.title")),
                    tokens: token_rows(t, &tokens),
                    new_secret: String::new(),
                    errors,
                    name,
                },
            ),
            None => fail(&ctx, e),
        },
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm,
) -> Response {
    match state.app.revoke_token(&ctx.actor, id).await {
        Ok(()) => see_other("/account/tokens"),
        Err(e) => fail(&ctx, e),
    }
}
