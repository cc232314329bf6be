//! Server-rendered pages. Every page extends `base.html` with a [`Layout`]: top bar, left
//! navigation filtered by role, breadcrumb, title. Forms carry the CSRF token and keep what
//! the user typed when validation fails.

mod account;
mod achievements;
mod admin;
mod contracts;
pub(crate) mod deals;
mod disclosures;
mod distributions;
mod empowerment;
mod evaluations;
mod events;
mod finance;
mod home;
mod ip;
mod ledger;
mod market;
mod matching;
mod monitoring;
mod needs;
pub(crate) mod policy;
mod releases;
mod screening;
mod search;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tto_app::{Actor, AppError, Permission, UserContext};

use crate::AppState;
use crate::context::Ctx;
use crate::filters::encode;
use crate::i18n::{Lang, T};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/achievements", get(achievements::list).post(achievements::create))
        .route("/achievements/export.xlsx", get(achievements::export))
        .route("/achievements/new", get(achievements::new_form))
        .route("/achievements/{id}", get(achievements::detail).post(achievements::update))
        .route("/achievements/{id}/edit", get(achievements::edit_form))
        .route("/achievements/{id}/transition", post(achievements::transition))
        .route("/achievements/{id}/confirm_chain", post(achievements::confirm_chain))
        .route("/policy", get(policy::page))
        .route("/institutions", get(admin::institutions))
        .route("/institutions/export.xlsx", get(admin::institutions_export))
        .route("/sign-in", get(account::sign_in_form).post(account::sign_in))
        .route("/sign-out", post(account::sign_out))
        .route("/account/password", get(account::password_form).post(account::change_password))
        .route("/account/tokens", get(account::tokens).post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/invite/{token}", get(account::invitation_form).post(account::accept_invitation))
        .route("/admin/users", get(admin::users).post(admin::invite))
        .route("/admin/users/export.xlsx", get(admin::users_export))
        .route("/admin/users/{id}", post(admin::update_user))
        .route("/empowerment", get(empowerment::list).post(empowerment::create))
        .route("/empowerment/export.xlsx", get(empowerment::export))
        .route("/empowerment/new", get(empowerment::new_form))
        .route("/empowerment/{id}", get(empowerment::detail))
        .route("/empowerment/{id}/{step}", post(empowerment::step))
        .route("/ledger", get(ledger::list))
        .route("/ledger/export.xlsx", get(ledger::export))
        .route("/ledger/open-missing", post(ledger::open_missing))
        .route("/ledger/{id}", get(ledger::detail).post(ledger::assess))
        .route("/ledger/{id}/conversions", post(ledger::record_conversion))
        .route("/ledger/{id}/conversions/{conversion}/book", post(ledger::book))
        .route("/deals", get(deals::list).post(deals::create))
        .route("/deals/new", get(deals::new_form))
        .route("/deals/{id}", get(deals::detail))
        .route("/deals/{id}/edit", get(deals::edit_form).post(deals::update))
        .route("/deals/{id}/evidence-pack.zip", get(deals::evidence_pack))
        .route("/deals/{id}/notices/{notice}/close", post(deals::close_notice))
        .route("/deals/{id}/objections/{objection}/{decision}", post(deals::decide_objection))
        .route("/deals/{id}/auctions/{auction}/bidders/{party}/{decision}", post(deals::decide_bidder))
        .route("/deals/{id}/{step}", post(deals::step))
        .route("/contracts", get(contracts::list).post(contracts::create))
        .route("/contracts/export.xlsx", get(contracts::export))
        .route("/contracts/new", get(contracts::new_form))
        .route("/contracts/{id}", get(contracts::detail))
        .route("/contracts/{id}/register", post(contracts::register))
        .route("/contracts/{id}/payments", post(contracts::record_payment))
        .route("/releases", get(releases::list).post(releases::create))
        .route("/releases/candidates", get(releases::candidates))
        .route("/releases/{id}", get(releases::detail))
        .route("/releases/{id}/publish", post(releases::publish))
        .route("/releases/{id}/export.xlsx", get(releases::export))
        .route("/notices", get(market::notices))
        .route("/notices/{id}", get(market::notice))
        .route("/notices/{id}/objections", post(market::object))
        .route("/market", get(market::market))
        .route("/market/listings/{id}/interest", post(market::interest))
        .route("/market/auctions/{id}/register", post(market::register))
        .route("/market/auctions/{id}/bid", post(market::bid))
        .route("/market/auctions/{id}/bidders/{party}/{decision}", post(market::decide_bidder))
        .route("/distributions", get(distributions::list).post(distributions::create))
        .route("/distributions/export.xlsx", get(distributions::export))
        .route("/distributions/new", get(distributions::new_form))
        .route("/distributions/preview", post(distributions::preview_form))
        .route("/distributions/statement", get(distributions::statement))
        .route("/distributions/statement.xlsx", get(distributions::statement_export))
        .route("/distributions/{id}", get(distributions::detail))
        .route("/distributions/{id}/export.xlsx", get(distributions::export_lines))
        .route("/distributions/{id}/notices/{notice}/close", post(distributions::close_notice))
        .route("/distributions/{id}/objections/{objection}/{decision}", post(distributions::decide_objection))
        .route("/distributions/{id}/{step}", post(distributions::step))
        .route("/distribution-rules", get(finance::rules).post(finance::publish_rule))
        .route("/finance", get(finance::finance).post(finance::record_entry))
        .route("/finance/export.xlsx", get(finance::finance_export))
        .route("/tax/enterprise", get(finance::enterprise_tax))
        // Disclosures and pre-filing evaluations (intake pages).
        .route("/disclosures", get(disclosures::list).post(disclosures::create))
        .route("/disclosures/export.xlsx", get(disclosures::export))
        .route("/disclosures/new", get(disclosures::new_form))
        .route("/disclosures/{id}", get(disclosures::detail).post(disclosures::update))
        .route("/disclosures/{id}/edit", get(disclosures::edit_form))
        .route(
            "/disclosures/{id}/attachments",
            post(disclosures::upload)
                .layer(axum::extract::DefaultBodyLimit::max(tto_app::disclosures::ATTACHMENT_MAX_BYTES + 64 * 1024)),
        )
        .route("/disclosures/{id}/attachments/{attachment}", get(disclosures::download_attachment))
        .route("/disclosures/{id}/attachments/{attachment}/remove", post(disclosures::remove_attachment))
        .route("/disclosures/{id}/{step}", post(disclosures::step))
        .route("/evaluations", get(evaluations::list).post(evaluations::create))
        .route("/evaluations/export.xlsx", get(evaluations::export))
        .route("/evaluations/new", get(evaluations::new_form))
        .route("/evaluations/{id}", get(evaluations::detail))
        .route("/evaluations/{id}/report", get(evaluations::report))
        .route("/evaluations/{id}/export.xlsx", get(evaluations::export_sheets))
        .route("/evaluations/{id}/scores", post(evaluations::score))
        .route("/evaluations/{id}/conflict", post(evaluations::conflict))
        .route("/evaluations/{id}/decision", post(evaluations::decide))
        // -- intake routes end --
        // IP records, screening rounds, monitoring and the patent-conversion programme.
        .route("/ip", get(ip::list).post(ip::create))
        .route("/ip/export.xlsx", get(ip::export))
        .route("/ip/new", get(ip::new_form))
        .route("/ip/due", get(ip::due))
        .route("/ip/programme", get(ip::programme_rates))
        .route("/ip/{id}", get(ip::detail).post(ip::update))
        .route("/ip/{id}/edit", get(ip::edit_form))
        .route("/ip/{id}/annuities", post(ip::pay))
        .route("/ip/{id}/programme", post(ip::programme))
        .route("/screening", get(screening::list).post(screening::create))
        .route("/screening/new", get(screening::new_form))
        .route("/screening/{id}", get(screening::detail))
        .route("/screening/{id}/candidates", post(screening::add_candidate))
        .route("/screening/{id}/reviewers", post(screening::assign))
        .route("/screening/{id}/conflict", post(screening::conflict))
        .route("/screening/{id}/candidates/{candidate}/scores", post(screening::score))
        .route("/screening/{id}/{step}", post(screening::step))
        .route("/monitoring", get(monitoring::dashboard))
        .route("/monitoring/export.xlsx", get(monitoring::export))
        // -- ip routes end --
        // Enterprise technology needs (supply and demand).
        .route("/search", get(search::page))
        .route("/needs", get(needs::list).post(needs::create))
        .route("/needs/export.xlsx", get(needs::export))
        .route("/needs/new", get(needs::new_form))
        .route("/needs/import", get(needs::import_form).post(needs::import))
        .route("/needs/{id}", get(needs::detail).post(needs::update))
        .route("/needs/{id}/edit", get(needs::edit_form))
        .route("/needs/{id}/matches", get(matching::need_matches))
        .route("/achievements/{id}/matches", get(matching::achievement_matches))
        .route("/matches", get(matching::list).post(matching::create))
        .route("/matches/export.xlsx", get(matching::export))
        .route("/matches/feedback", post(matching::feedback))
        .route("/matches/{id}", get(matching::detail))
        .route("/matches/{id}/{step}", post(matching::step))
        .route("/needs/{id}/{step}", post(needs::step))
        // -- needs routes end --
        // Handshake events (校企对接活动).
        .route("/events", get(events::list).post(events::create))
        .route("/events/export.xlsx", get(events::export))
        .route("/events/new", get(events::new_form))
        .route("/events/{id}", get(events::detail).post(events::update))
        .route("/events/{id}/edit", get(events::edit_form))
        .route("/events/{id}/invite", post(events::invite))
        .route("/events/{id}/agenda", post(events::propose))
        .route("/events/{id}/participants/{participant}/register", post(events::register))
        .route("/events/{id}/meetings/{meeting}/outcome", post(events::record_outcome))
        .route("/events/{id}/{step}", post(events::step))
        // -- events routes end --
        .route("/audit", get(admin::audit))
        .route("/audit/export.xlsx", get(admin::audit_export))
}

pub struct NavItem {
    pub label: String,
    pub href: &'static str,
    pub active: bool,
}

pub struct NavGroup {
    pub label: String,
    pub items: Vec<NavItem>,
}

/// What every page shows around its content.
pub struct Layout {
    pub t: T,
    pub title: String,
    pub user: Option<UserContext>,
    pub roles_label: String,
    pub csrf: String,
    pub nav: Vec<NavGroup>,
    pub breadcrumbs: Vec<(String, String)>,
    pub lang_href: String,
    pub other_lang: &'static str,
    pub notice: Option<String>,
}

impl Layout {
    pub fn new(ctx: &Ctx, title: impl Into<String>) -> Layout {
        let t = ctx.t();
        let current = ctx.path.split('?').next().unwrap_or("/").to_string();
        let user = ctx.actor.user().cloned();
        let roles_label = user
            .as_ref()
            .map(|u| u.roles.iter().map(|r| t.code("role", r.code())).collect::<Vec<_>>().join("、"))
            .unwrap_or_default();
        Layout {
            t,
            title: title.into(),
            nav: navigation(&ctx.actor, t, &current),
            user,
            roles_label,
            csrf: ctx.csrf.clone(),
            breadcrumbs: Vec::new(),
            lang_href: lang_switch_href(&ctx.path, ctx.lang.other()),
            other_lang: match ctx.lang {
                Lang::Zh => "English",
                Lang::En => "中文",
            },
            notice: None,
        }
    }

    pub fn crumb(mut self, label: impl Into<String>, href: impl Into<String>) -> Layout {
        self.breadcrumbs.push((label.into(), href.into()));
        self
    }

    pub fn lang(&self) -> &'static str {
        self.t.lang_code()
    }
}

fn lang_switch_href(path: &str, to: Lang) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("lang=")).collect();
    let lang = format!("lang={}", to.code());
    pairs.push(&lang);
    format!("{base}?{}", pairs.join("&"))
}

/// The left navigation: only what the actor may use, grouped by work area.
fn navigation(actor: &Actor, t: T, current: &str) -> Vec<NavGroup> {
    let item = |key: &str, href: &'static str| NavItem {
        label: t.s(key).to_string(),
        href,
        active: current == href || (href != "/" && current.starts_with(&format!("{href}/"))),
    };
    let mut groups = Vec::new();
    let ledger_key = if actor.user().is_some() && actor.can(Permission::AchievementRead) {
        "nav.achievements"
    } else {
        "nav.catalogue"
    };
    let mut ledger = vec![item(ledger_key, "/achievements")];
    if actor.user().is_some() && actor.can(Permission::AchievementCreate) {
        ledger.push(NavItem {
            active: current == "/achievements/new",
            ..item("nav.achievement_new", "/achievements/new")
        });
    }
    groups.push(NavGroup { label: t.s("nav.group.achievements").to_string(), items: ledger });
    let signed_in = actor.user().is_some();
    let mut rights = Vec::new();
    if signed_in && actor.can(Permission::EmpowermentRead) {
        rights.push(item("nav.empowerment", "/empowerment"));
    }
    if signed_in && actor.can(Permission::LedgerRead) {
        rights.push(item("nav.ledger", "/ledger"));
    }
    if !rights.is_empty() {
        groups.push(NavGroup { label: t.s("nav.group.rights").to_string(), items: rights });
    }
    let mut deals = Vec::new();
    if signed_in && actor.can(Permission::DealRead) {
        deals.push(item("nav.deals", "/deals"));
    }
    if signed_in && actor.can(Permission::ContractRead) {
        deals.push(item("nav.contracts", "/contracts"));
    }
    deals.push(item("nav.notices", "/notices"));
    deals.push(item("nav.market", "/market"));
    deals.push(item("nav.releases", "/releases"));
    groups.push(NavGroup { label: t.s("nav.group.deals").to_string(), items: deals });
    // 供需对接: technology needs, public like the catalogue.
    let mut matching = vec![item("nav.search", "/search"), item("nav.needs", "/needs")];
    if signed_in && actor.can(Permission::NeedManage) {
        matching.push(NavItem { active: current == "/needs/new", ..item("nav.need_new", "/needs/new") });
    }
    if signed_in && actor.can(Permission::MatchRead) {
        matching.push(item("nav.matches", "/matches"));
    }
    matching.push(item("nav.events", "/events"));
    if signed_in && actor.can(Permission::EventManage) {
        matching.push(NavItem { active: current == "/events/new", ..item("nav.event_new", "/events/new") });
    }
    groups.push(NavGroup { label: t.s("nav.group.matching").to_string(), items: matching });
    let mut distribution = Vec::new();
    if signed_in && actor.can(Permission::DistributionRead) {
        distribution.push(item("nav.distributions", "/distributions"));
        distribution.push(item("nav.distribution_rules", "/distribution-rules"));
        distribution.push(item("nav.finance", "/finance"));
    }
    distribution.push(item("nav.enterprise_tax", "/tax/enterprise"));
    groups.push(NavGroup { label: t.s("nav.group.distribution").to_string(), items: distribution });
    let mut intake = Vec::new();
    if signed_in && (actor.can(Permission::DisclosureSubmit) || actor.can(Permission::DisclosureReview)) {
        intake.push(item("nav.disclosures", "/disclosures"));
    }
    if signed_in && (actor.can(Permission::EvaluationRead) || actor.can(Permission::ReviewScore)) {
        intake.push(item("nav.evaluations", "/evaluations"));
    }
    if signed_in && actor.can(Permission::IpRead) {
        intake.push(item("nav.ip", "/ip"));
    }
    intake.push(item("nav.screening", "/screening"));
    if signed_in && actor.can(Permission::MonitoringRead) {
        intake.push(item("nav.monitoring", "/monitoring"));
    }
    groups.push(NavGroup { label: t.s("nav.group.intake").to_string(), items: intake });
    let mut people = vec![item("nav.institutions", "/institutions")];
    if actor.user().is_some() && actor.can(Permission::UserManage) {
        people.push(item("nav.users", "/admin/users"));
    }
    groups.push(NavGroup { label: t.s("nav.group.people").to_string(), items: people });
    let mut system = vec![item("nav.policy", "/policy")];
    if actor.user().is_some() && actor.can(Permission::AuditRead) {
        system.push(item("nav.audit", "/audit"));
    }
    if actor.user().is_some() {
        system.push(item("nav.tokens", "/account/tokens"));
        system.push(item("nav.password", "/account/password"));
    }
    groups.push(NavGroup { label: t.s("nav.group.system").to_string(), items: system });
    // A page with its own item (e.g. "/needs/new") does not also light up its parent's.
    if groups.iter().flat_map(|g| &g.items).any(|i| i.href == current) {
        for i in groups.iter_mut().flat_map(|g| g.items.iter_mut()) {
            i.active = i.href == current;
        }
    }
    groups
}

/// The flash notice a page shows after a redirect with `?done=CODE`: the message
/// `{prefix}.{CODE}`.
pub(crate) fn done_notice(t: T, pairs: &[(String, String)], prefix: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == "done").map(|(_, v)| t.code(prefix, v))
}

/// The audit history of one record as (time, action label, actor) rows, newest first; empty
/// when the actor may not read the audit trail.
pub(crate) async fn record_history(
    state: &AppState,
    ctx: &Ctx,
    entity_type: &str,
    id: i64,
) -> Vec<(String, String, String)> {
    if ctx.actor.user().is_none() {
        return Vec::new();
    }
    let t = ctx.t();
    let filter = tto_app::audit_log::AuditFilter {
        entity_type: Some(entity_type.into()),
        entity_id: Some(id.to_string()),
        ..Default::default()
    };
    match state.app.audit_events(&ctx.actor, &filter, None, 100).await {
        Ok(page) => page
            .events
            .into_iter()
            .map(|e| {
                (
                    tto_store::parse_timestamp(&e.occurred_at).map(crate::format::datetime).unwrap_or(e.occurred_at),
                    t.code("audit.action", &e.action.replace('.', "_")),
                    e.actor_label,
                )
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

pub fn render_status(status: StatusCode, template: &impl Template) -> Response {
    let mut response = render(template);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
    status: u16,
}

/// A full error page without a request context (CSRF failures are found before handlers).
pub fn error_page(lang: Lang, status: StatusCode, heading: &str, message: &str) -> Response {
    let ctx = Ctx {
        actor: Actor::Anonymous,
        lang,
        csrf: String::new(),
        session_token: None,
        path: "/".to_string(),
        address: String::new(),
    };
    page_error(&ctx, status, heading, message)
}

fn page_error(ctx: &Ctx, status: StatusCode, heading: &str, message: &str) -> Response {
    let page = ErrorPage {
        layout: Layout::new(ctx, heading),
        heading: heading.to_string(),
        message: message.to_string(),
        status: status.as_u16(),
    };
    render_status(status, &page)
}

/// A use-case error as a page: sign-in redirect, 403, 404, 409 … (5xx without detail).
pub fn fail(ctx: &Ctx, e: AppError) -> Response {
    let t = ctx.t();
    match e {
        AppError::Unauthenticated => Redirect::to(&format!("/sign-in?next={}", encode(&ctx.path))).into_response(),
        AppError::Forbidden => {
            page_error(ctx, StatusCode::FORBIDDEN, t.s("error.forbidden_title"), t.s("error.forbidden"))
        }
        AppError::NotFound { .. } => {
            page_error(ctx, StatusCode::NOT_FOUND, t.s("error.not_found_title"), t.s("error.not_found_page"))
        }
        other => {
            let api = crate::error::ApiError::from_app(ctx.lang, other);
            let heading =
                if api.status.is_server_error() { t.s("error.internal_title") } else { t.s("error.request_title") };
            page_error(ctx, api.status, heading, &api.body.error.message)
        }
    }
}

pub async fn not_found(ctx: Ctx, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError::from_app(ctx.lang, AppError::NotFound { entity: "route" }).into_response();
    }
    let t = ctx.t();
    page_error(&ctx, StatusCode::NOT_FOUND, t.s("error.not_found_title"), t.s("error.not_found_page"))
}

/// Redirect after a successful form post (303, so reload does not repost).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// Field errors for a form: a summary list, and messages by field name.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    pub summary: Vec<String>,
    pub by_field: Vec<(String, String)>,
}

impl FormErrors {
    pub fn from_app(t: T, e: &AppError) -> Option<FormErrors> {
        let mut out = FormErrors::default();
        match e {
            AppError::Validation(errors) => {
                for fe in &errors.errors {
                    let message = t.violation(&fe.violation);
                    out.summary.push(format!("{}：{}", field_label(t, &fe.field), message));
                    out.by_field.push((fe.field.clone(), message));
                }
            }
            AppError::Conflict { field, violation } => {
                let message = t.violation(violation);
                out.summary.push(format!("{}：{}", field_label(t, field), message));
                out.by_field.push((field.clone(), message));
            }
            AppError::InvalidCredentials => out.summary.push(t.s("error.invalid_credentials").to_string()),
            AppError::TooManyAttempts { retry_after_secs } => out
                .summary
                .push(t.f("error.too_many_attempts", &[("minutes", retry_after_secs.div_ceil(60).to_string())])),
            _ => return None,
        }
        Some(out)
    }

    /// Messages for one field (joined), empty when none.
    pub fn of(&self, field: &str) -> String {
        self.by_field.iter().filter(|(f, _)| f == field).map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("；")
    }

    /// Messages for a field and everything under it (`contributors`, `contributors[0].share` …).
    pub fn under(&self, prefix: &str) -> String {
        self.by_field
            .iter()
            .filter(|(f, _)| {
                f == prefix || f.starts_with(&format!("{prefix}[")) || f.starts_with(&format!("{prefix}."))
            })
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("；")
    }

    pub fn is_empty(&self) -> bool {
        self.summary.is_empty()
    }
}

/// Renames the fields of a use case's errors for a page whose form names them differently
/// (`title` is labelled “成果名称” in the shared labels; a payment's `reference` is not a
/// contract number; a response box is named per objection).
pub(crate) fn rename_fields(e: AppError, renames: &[(&str, &str)]) -> AppError {
    let rename = |field: &mut String| {
        if let Some((_, to)) = renames.iter().find(|(from, _)| field == from) {
            *field = (*to).to_string();
        }
    };
    match e {
        AppError::Validation(mut v) => {
            for fe in v.errors.iter_mut() {
                rename(&mut fe.field);
            }
            AppError::Validation(v)
        }
        AppError::Conflict { mut field, violation } => {
            rename(&mut field);
            AppError::Conflict { field, violation }
        }
        other => other,
    }
}

/// The label of a form field for the error summary (`contributors[1].share` → 完成人 2 · 份额).
fn field_label(t: T, field: &str) -> String {
    if let Some((head, rest)) = field.split_once('[') {
        let (index, tail) = rest.split_once(']').unwrap_or((rest, ""));
        let n = index.parse::<usize>().map(|i| i + 1).unwrap_or(0);
        let tail = tail.trim_start_matches('.');
        let head_label = t.code("field", head);
        return if tail.is_empty() {
            format!("{head_label} {n}")
        } else {
            format!("{head_label} {n} · {}", t.code("field", tail))
        };
    }
    t.code("field", field)
}
