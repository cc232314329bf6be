//! Institutions directory, user administration, and the audit trail.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::accounts::UserDraft;
use tto_app::audit_log::AuditFilter;
use tto_app::authz::roles_for_kind;
use tto_app::{AppError, Permission};
use tto_store::accounts::UserRecord;

use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::api::audit_filter;
use crate::context::{CsrfForm, Ctx};
use crate::filters::encode_query;
use crate::format::datetime;
use crate::xlsx::{Cell, download, workbook};

pub struct InstitutionRow {
    pub name: String,
    pub name_en: String,
    pub short_code: String,
    pub kind: String,
    pub credit_code: String,
    pub region: String,
    pub state_run: bool,
}

#[derive(Template)]
#[template(path = "institutions.html")]
struct InstitutionsPage {
    layout: Layout,
    rows: Vec<InstitutionRow>,
}

pub async fn institutions(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    match state.app.institutions().await {
        Ok(all) => render(&InstitutionsPage {
            layout: Layout::new(&ctx, t.s("institutions.title")).crumb(t.s("institutions.title"), "/institutions"),
            rows: all
                .iter()
                .map(|i| InstitutionRow {
                    name: i.fields.name.clone(),
                    name_en: i.fields.name_en.clone().unwrap_or_default(),
                    short_code: i.fields.short_code.clone(),
                    kind: t.code("institution.kind", i.fields.kind.code()),
                    credit_code: i.fields.credit_code.to_string(),
                    region: i.fields.region.clone(),
                    state_run: i.fields.state_run,
                })
                .collect(),
        }),
        Err(e) => fail(&ctx, e),
    }
}

pub async fn institutions_export(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    let all = match state.app.institutions().await {
        Ok(all) => all,
        Err(e) => return fail(&ctx, e),
    };
    let rows: Vec<Vec<Cell>> = all
        .iter()
        .map(|i| {
            vec![
                Cell::Text(i.fields.name.clone()),
                Cell::Text(i.fields.name_en.clone().unwrap_or_default()),
                Cell::Text(i.fields.short_code.clone()),
                Cell::Text(t.code("institution.kind", i.fields.kind.code())),
                Cell::Text(i.fields.credit_code.to_string()),
                Cell::Text(i.fields.region.clone()),
                Cell::Text(if i.fields.state_run { t.s("common.yes").to_string() } else { String::new() }),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "field.name",
        "field.name_en",
        "field.short_code",
        "field.institution_kind",
        "field.credit_code",
        "field.region",
        "field.state_run",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("institutions.xlsx", workbook(t.s("institutions.title"), &headers, &rows))
}

pub async fn users_export(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    let (users, institutions) = match (state.app.users(&ctx.actor).await, state.app.institutions().await) {
        (Ok(u), Ok(i)) => (u, i),
        (Err(e), _) | (_, Err(e)) => return fail(&ctx, e),
    };
    let rows: Vec<Vec<Cell>> = users
        .iter()
        .map(|u| {
            let institution = institutions
                .iter()
                .find(|i| i.id == u.institution_id)
                .map(|i| i.fields.name.clone())
                .unwrap_or_default();
            vec![
                Cell::Text(u.username.clone()),
                Cell::Text(u.display_name.clone()),
                Cell::Text(institution),
                Cell::Text(u.roles.iter().map(|r| t.code("role", r)).collect::<Vec<_>>().join("、")),
                Cell::Text(t.code("user.status", &u.status)),
                Cell::Text(datetime(u.created_at)),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "field.username",
        "field.display_name",
        "field.institution",
        "field.roles",
        "field.status",
        "field.created_at",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("users.xlsx", workbook(t.s("users.title"), &headers, &rows))
}

pub struct RoleBox {
    pub code: &'static str,
    pub label: String,
    pub checked: bool,
}

pub struct UserRow {
    pub id: i64,
    pub version: i64,
    pub username: String,
    pub display_name: String,
    pub institution: String,
    pub status: String,
    pub status_code: String,
    pub roles: Vec<RoleBox>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    rows: Vec<UserRow>,
    invite_roles: Vec<RoleBox>,
    errors: FormErrors,
    username: String,
    display_name: String,
    email: String,
    invitation_link: String,
}

fn user_rows(ctx: &Ctx, users: &[UserRecord], names: &[(i64, String, tto_domain::InstitutionKind)]) -> Vec<UserRow> {
    let t = ctx.t();
    users
        .iter()
        .map(|u| {
            let (name, kind) = names
                .iter()
                .find(|(id, _, _)| *id == u.institution_id.0)
                .map(|(_, n, k)| (n.clone(), *k))
                .unwrap_or((String::new(), tto_domain::InstitutionKind::University));
            UserRow {
                id: u.id,
                version: u.version,
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                institution: name,
                status: t.code("user.status", &u.status),
                status_code: u.status.clone(),
                roles: roles_for_kind(kind)
                    .iter()
                    .map(|r| RoleBox {
                        code: r.code(),
                        label: t.code("role", r.code()),
                        checked: u.roles.iter().any(|c| c == r.code()),
                    })
                    .collect(),
            }
        })
        .collect()
}

async fn users_page(
    state: &AppState,
    ctx: &Ctx,
    errors: FormErrors,
    values: (String, String, String),
    link: String,
) -> Result<UsersPage, AppError> {
    let t = ctx.t();
    let users = state.app.users(&ctx.actor).await?;
    let institutions = state.app.institutions().await?;
    let names: Vec<(i64, String, tto_domain::InstitutionKind)> =
        institutions.iter().map(|i| (i.id.0, i.fields.name.clone(), i.fields.kind)).collect();
    let own_kind = ctx.actor.user().map(|u| u.institution_kind).unwrap_or(tto_domain::InstitutionKind::University);
    Ok(UsersPage {
        layout: Layout::new(ctx, t.s("users.title")).crumb(t.s("users.title"), "/admin/users"),
        rows: user_rows(ctx, &users, &names),
        invite_roles: roles_for_kind(own_kind)
            .iter()
            .map(|r| RoleBox { code: r.code(), label: t.code("role", r.code()), checked: false })
            .collect(),
        errors,
        username: values.0,
        display_name: values.1,
        email: values.2,
        invitation_link: link,
    })
}

pub async fn users(State(state): State<AppState>, ctx: Ctx) -> Response {
    match users_page(&state, &ctx, FormErrors::default(), Default::default(), String::new()).await {
        Ok(page) => render(&page),
        Err(e) => fail(&ctx, e),
    }
}

pub async fn invite(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let t = ctx.t();
    let draft = UserDraft {
        institution_id: None,
        username: form.text("username"),
        display_name: form.text("display_name"),
        email: Some(form.text("email")),
        roles: form.all("roles"),
    };
    let values = (draft.username.clone(), draft.display_name.clone(), form.text("email"));
    match state.app.invite_user(&ctx.actor, &draft).await {
        Ok((_, token)) => {
            let link = format!("{}/invite/{token}", state.config.public_url.trim_end_matches('/'));
            match users_page(&state, &ctx, FormErrors::default(), Default::default(), link).await {
                Ok(page) => render_status(StatusCode::CREATED, &page),
                Err(e) => fail(&ctx, e),
            }
        }
        Err(e) => match FormErrors::from_app(t, &e) {
            Some(errors) => match users_page(&state, &ctx, errors, values, String::new()).await {
                Ok(page) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &page),
                Err(e) => fail(&ctx, e),
            },
            None => fail(&ctx, e),
        },
    }
}

pub async fn update_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let t = ctx.t();
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let roles = form.all("roles");
    let status = form.text("status");
    match state.app.update_user(&ctx.actor, id, version, &form.text("display_name"), &roles, &status).await {
        Ok(_) => see_other("/admin/users"),
        Err(e) => match FormErrors::from_app(t, &e) {
            Some(errors) => match users_page(&state, &ctx, errors, Default::default(), String::new()).await {
                Ok(page) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &page),
                Err(e) => fail(&ctx, e),
            },
            None => fail(&ctx, e),
        },
    }
}

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub action_code: String,
    pub entity: String,
    pub entity_href: String,
    pub hash: String,
    pub change: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    total: i64,
    entity_type: String,
    entity_id: String,
    actor: String,
    from: String,
    to: String,
    next_href: String,
    export_href: String,
    error: String,
}

fn filter_query(f: &AuditFilter) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(v) = &f.entity_type {
        q.push(("entity_type", v.clone()));
    }
    if let Some(v) = &f.entity_id {
        q.push(("entity_id", v.clone()));
    }
    if let Some(v) = &f.actor {
        q.push(("actor", v.clone()));
    }
    if let Some(v) = f.from {
        q.push(("from", crate::format::date(v)));
    }
    if let Some(v) = f.to {
        q.push(("to", crate::format::date(v)));
    }
    q
}

/// Which fields changed, in a few words (`title, trl`).
fn change_summary(before: Option<&str>, after: Option<&str>) -> String {
    let parse = |s: Option<&str>| s.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    match (parse(before), parse(after)) {
        (Some(serde_json::Value::Object(b)), Some(serde_json::Value::Object(a))) => {
            let changed: Vec<&str> =
                a.iter().filter(|(k, v)| *k != "version" && b.get(*k) != Some(*v)).map(|(k, _)| k.as_str()).collect();
            changed.join(", ")
        }
        _ => String::new(),
    }
}

pub async fn audit(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    if let Err(e) = ctx.actor.require(Permission::AuditRead) {
        return fail(&ctx, e);
    }
    let (filter, error) = match audit_filter(&pairs) {
        Ok(f) => (f, String::new()),
        Err((field, v)) => (AuditFilter::default(), format!("{}：{}", t.code("field", &field), t.violation(&v))),
    };
    let cursor = pairs.iter().find(|(k, _)| k == "cursor").and_then(|(_, v)| v.parse::<i64>().ok());
    let page = match state.app.audit_events(&ctx.actor, &filter, cursor, 100).await {
        Ok(p) => p,
        Err(e) => return fail(&ctx, e),
    };
    let base = filter_query(&filter);
    let rows = page
        .events
        .iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: tto_store::parse_timestamp(&e.occurred_at).map(datetime).unwrap_or_else(|_| e.occurred_at.clone()),
            actor: e.actor_label.clone(),
            action: t.code("audit.action", &e.action.replace('.', "_")),
            action_code: e.action.clone(),
            entity: format!("{} #{}", t.code("audit.entity", &e.entity_type), e.entity_id),
            entity_href: if e.entity_type == "achievement" {
                format!("/achievements/{}", e.entity_id)
            } else {
                String::new()
            },
            hash: e.hash.chars().take(12).collect(),
            change: change_summary(e.before_json.as_deref(), e.after_json.as_deref()),
        })
        .collect();
    let next_href = page
        .next_before
        .map(|c| {
            let mut q = base.clone();
            q.push(("cursor", c.to_string()));
            format!("/audit?{}", encode_query(&q))
        })
        .unwrap_or_default();
    render(&AuditPage {
        layout: Layout::new(&ctx, t.s("audit.title")).crumb(t.s("audit.title"), "/audit"),
        rows,
        total: page.total,
        entity_type: filter.entity_type.clone().unwrap_or_default(),
        entity_id: filter.entity_id.clone().unwrap_or_default(),
        actor: filter.actor.clone().unwrap_or_default(),
        from: filter.from.map(crate::format::date).unwrap_or_default(),
        to: filter.to.map(crate::format::date).unwrap_or_default(),
        next_href,
        export_href: format!("/audit/export.xlsx?{}", encode_query(&base)),
        error,
    })
}

/// Rows of an audit export at most.
pub const AUDIT_EXPORT_MAX: usize = 50_000;

pub async fn audit_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let t = ctx.t();
    let filter = match audit_filter(&pairs) {
        Ok(f) => f,
        Err((field, v)) => return fail(&ctx, AppError::field(&field, v)),
    };
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let page = match state.app.audit_events(&ctx.actor, &filter, cursor, 500).await {
            Ok(p) => p,
            Err(e) => return fail(&ctx, e),
        };
        for e in &page.events {
            rows.push(vec![
                Cell::Int(e.seq),
                Cell::Text(e.occurred_at.clone()),
                Cell::Text(e.actor_kind.clone()),
                Cell::Text(e.actor_label.clone()),
                Cell::Text(e.action.clone()),
                Cell::Text(e.entity_type.clone()),
                Cell::Text(e.entity_id.clone()),
                Cell::Text(e.before_json.clone().unwrap_or_default()),
                Cell::Text(e.after_json.clone().unwrap_or_default()),
                Cell::Text(e.prev_hash.clone()),
                Cell::Text(e.hash.clone()),
            ]);
        }
        cursor = page.next_before;
        if cursor.is_none() || rows.len() >= AUDIT_EXPORT_MAX {
            break;
        }
    }
    let headers: Vec<String> = [
        "audit.seq",
        "audit.at",
        "audit.actor_kind",
        "audit.actor",
        "audit.action",
        "audit.entity_type",
        "audit.entity_id",
        "audit.before",
        "audit.after",
        "audit.prev_hash",
        "audit.hash",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("audit.xlsx", workbook(t.s("audit.title"), &headers, &rows))
}
