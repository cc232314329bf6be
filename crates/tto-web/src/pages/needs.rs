//! Pages of enterprise technology needs (企业技术需求): the public list with the own drafts,
//! the form, the detail page with its lifecycle steps and the chain suggestion, the import.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::tech_needs::{NeedFilter, NeedView};
use tto_app::{AppError, Permission};
use tto_domain::tech_need::{ContactPolicy, NeedAction, NeedDraft, NeedStatus};
use tto_domain::{Money, Violation};

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::context::{CSRF_FIELD, CsrfForm, Ctx, FormData, same_token};
use crate::format::date;
use crate::i18n::T;
use crate::need_import::NeedFormat;
use crate::xlsx::{Cell, download, workbook};

const PAGE_SIZE: i64 = 50;

fn badge(s: NeedStatus) -> &'static str {
    match s {
        NeedStatus::Draft => "grey",
        NeedStatus::Published => "blue",
        NeedStatus::Matched | NeedStatus::InProgress => "amber",
        NeedStatus::Closed => "green",
        NeedStatus::Withdrawn => "red",
    }
}

fn money(m: Money) -> String {
    format!("{} 元", m.to_grouped())
}

fn budget(t: T, min: Option<Money>, max: Option<Money>) -> String {
    match (min, max) {
        (Some(a), Some(b)) if a == b => money(a),
        (Some(a), Some(b)) => format!("{} – {}", a.to_grouped(), money(b)),
        (Some(a), None) => t.f("needs.budget_from", &[("amount", money(a))]),
        (None, Some(b)) => t.f("needs.budget_up_to", &[("amount", money(b))]),
        (None, None) => t.s("needs.budget_open").to_string(),
    }
}

fn list_of(text: &str) -> Vec<String> {
    text.split([',', '，', '|', ';', '；', '、']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

pub struct NeedRowView {
    pub id: i64,
    pub title: String,
    pub enterprise: String,
    pub chains: String,
    pub budget: String,
    pub deadline: String,
    pub status: String,
    pub status_badge: &'static str,
}

#[derive(Template)]
#[template(path = "needs/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<NeedRowView>,
    total: i64,
    counts: Vec<(String, i64, &'static str)>,
    statuses: Vec<Choice>,
    chains: Vec<Choice>,
    q: String,
    can_create: bool,
    can_import: bool,
    export_href: String,
    prev_href: String,
    next_href: String,
    showing: String,
}

fn filter_from(pairs: &[(String, String)]) -> NeedFilter {
    let get = |k: &str| pairs.iter().find(|(key, v)| key == k && !v.trim().is_empty()).map(|(_, v)| v.trim());
    NeedFilter {
        status: get("status").and_then(|v| NeedStatus::from_code(v).ok()),
        chain: get("chain").map(str::to_string),
        text: get("q").map(str::to_string),
        institution: get("institution_id").and_then(|v| v.parse().ok()).map(tto_domain::InstitutionId),
    }
}

fn any(t: T, none: bool) -> Choice {
    Choice { value: String::new(), label: t.s("filter.any").to_string(), selected: none }
}

fn query_without_page(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .filter(|(k, _)| k != "page" && k != "done" && k != "n")
        .map(|(k, v)| format!("{k}={}", crate::filters::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let filter = filter_from(&pairs);
    let page: i64 = pairs.iter().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok()).unwrap_or(1).max(1);
    let listing = match state.app.list_needs(&ctx.actor, &filter, (page - 1) * PAGE_SIZE, PAGE_SIZE).await {
        Ok(l) => l,
        Err(e) => return fail(&ctx, e),
    };
    let query = query_without_page(&pairs);
    let href = |p: i64| format!("/needs?{query}{}page={p}", if query.is_empty() { "" } else { "&" });
    let mut layout = Layout::new(&ctx, t.s("needs.title")).crumb(t.s("needs.title"), "/needs");
    layout.notice = match pairs.iter().find(|(k, _)| k == "done").map(|(_, v)| v.as_str()) {
        Some("imported") => {
            let n = pairs.iter().find(|(k, _)| k == "n").map(|(_, v)| v.clone()).unwrap_or_default();
            Some(t.f("needs.imported", &[("n", n)]))
        }
        _ => None,
    };
    let first = (page - 1) * PAGE_SIZE;
    render(&ListPage {
        rows: listing
            .rows
            .iter()
            .map(|r| NeedRowView {
                id: r.id,
                title: r.title.clone(),
                enterprise: r.enterprise_name.clone().unwrap_or_else(|| r.institution_name.clone()),
                chains: r
                    .chains
                    .iter()
                    .map(|c| crate::explain::chain_label(state.app.chains(), t, c.as_str()))
                    .collect::<Vec<_>>()
                    .join("、"),
                budget: budget(t, r.budget_min, r.budget_max),
                deadline: r.deadline.map(date).unwrap_or_else(|| "—".into()),
                status: t.code("needs.status", r.status.code()),
                status_badge: badge(r.status),
            })
            .collect(),
        total: listing.total,
        counts: listing.counts.iter().map(|(s, n)| (t.code("needs.status", s.code()), *n, badge(*s))).collect(),
        statuses: std::iter::once(any(t, filter.status.is_none()))
            .chain(NeedStatus::ALL.iter().map(|s| Choice {
                value: s.code().into(),
                label: t.code("needs.status", s.code()),
                selected: filter.status == Some(*s),
            }))
            .collect(),
        chains: std::iter::once(any(t, filter.chain.is_none()))
            .chain(state.app.chains().all().iter().map(|c| Choice {
                value: c.code.as_str().into(),
                label: crate::explain::chain_label(state.app.chains(), t, c.code.as_str()),
                selected: filter.chain.as_deref() == Some(c.code.as_str()),
            }))
            .collect(),
        q: filter.text.clone().unwrap_or_default(),
        can_create: ctx.actor.user().is_some() && ctx.actor.can(Permission::NeedManage),
        can_import: ctx.actor.user().is_some() && ctx.actor.can(Permission::NeedImport),
        export_href: format!("/needs/export.xlsx?{query}"),
        prev_href: if page > 1 { href(page - 1) } else { String::new() },
        next_href: if first + PAGE_SIZE < listing.total { href(page + 1) } else { String::new() },
        showing: t.f(
            "needs.showing",
            &[
                ("from", (first + 1).min(listing.total).to_string()),
                ("to", (first + listing.rows.len() as i64).to_string()),
                ("total", listing.total.to_string()),
            ],
        ),
        layout,
    })
}

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let listing = match state.app.list_needs(&ctx.actor, &filter_from(&pairs), 0, 1000).await {
        Ok(l) => l,
        Err(e) => return fail(&ctx, e),
    };
    let cells: Vec<Vec<Cell>> = listing
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.id),
                Cell::Text(r.title.clone()),
                Cell::Text(r.enterprise_name.clone().unwrap_or_else(|| r.institution_name.clone())),
                Cell::Text(
                    r.chains
                        .iter()
                        .map(|c| crate::explain::chain_label(state.app.chains(), t, c.as_str()))
                        .collect::<Vec<_>>()
                        .join("、"),
                ),
                Cell::Text(r.budget_min.map(Money::to_plain).unwrap_or_default()),
                Cell::Text(r.budget_max.map(Money::to_plain).unwrap_or_default()),
                Cell::Text(r.deadline.map(date).unwrap_or_default()),
                Cell::Text(t.code("needs.status", r.status.code())),
                Cell::Text(r.published_on.map(date).unwrap_or_default()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "needs.number",
        "needs.field_title",
        "needs.enterprise",
        "field.chains",
        "needs.budget_min",
        "needs.budget_max",
        "needs.deadline",
        "field.status",
        "needs.published_on",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("needs.xlsx", workbook(t.s("needs.title"), &headers, &cells))
}

#[derive(Template)]
#[template(path = "needs/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    version: i64,
    draft: NeedDraft,
    chains: Vec<Choice>,
    policies: Vec<Choice>,
    keywords: String,
    errors: FormErrors,
}

impl FormPage {
    fn opt<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or_default()
    }
}

fn form_page(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    version: i64,
    draft: NeedDraft,
    errors: FormErrors,
) -> FormPage {
    let t = ctx.t();
    let title = if id.is_some() { t.s("needs.edit") } else { t.s("needs.new") };
    let mut layout = Layout::new(ctx, title).crumb(t.s("needs.title"), "/needs");
    layout = match id {
        Some(id) => layout.crumb(draft.title.clone(), format!("/needs/{id}")).crumb(title, format!("/needs/{id}/edit")),
        None => layout.crumb(title, "/needs/new"),
    };
    FormPage {
        layout,
        action: id.map(|id| format!("/needs/{id}")).unwrap_or_else(|| "/needs".into()),
        version,
        chains: state
            .app
            .chains()
            .all()
            .iter()
            .map(|c| Choice {
                value: c.code.as_str().into(),
                label: crate::explain::chain_label(state.app.chains(), t, c.code.as_str()),
                selected: draft.chains.iter().any(|d| d == c.code.as_str()),
            })
            .collect(),
        policies: ContactPolicy::ALL
            .iter()
            .map(|p| Choice {
                value: p.code().into(),
                label: t.code("needs.policy", p.code()),
                selected: draft.contact_policy == p.code(),
            })
            .collect(),
        keywords: draft.keywords.join("，"),
        draft,
        errors,
    }
}

fn draft_from(form: &FormData) -> NeedDraft {
    let opt = |name: &str| form.get(name).map(str::to_string);
    NeedDraft {
        title: form.text("title"),
        description: form.text("description"),
        chains: form.all("chains"),
        discipline: opt("discipline"),
        budget_min: opt("budget_min"),
        budget_max: opt("budget_max"),
        deadline: opt("deadline"),
        contact_policy: form.text("contact_policy"),
        contact_name: form.text("contact_name"),
        contact_phone: opt("contact_phone"),
        contact_email: opt("contact_email"),
        trl_min: opt("trl_min"),
        trl_max: opt("trl_max"),
        keywords: list_of(&form.text("keywords")),
        enterprise_name: opt("enterprise_name"),
        enterprise_credit_code: opt("enterprise_credit_code"),
    }
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Err(e) = ctx.actor.require(Permission::NeedManage) {
        return fail(&ctx, e);
    }
    let draft = NeedDraft { contact_policy: ContactPolicy::ViaPlatform.code().into(), ..Default::default() };
    render(&form_page(&state, &ctx, None, 0, draft, FormErrors::default()))
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let ctx = Ctx { path: "/needs/new".into(), ..ctx };
    let draft = draft_from(&form);
    match state.app.create_need(&ctx.actor, None, &draft).await {
        Ok(n) => see_other(&format!("/needs/{}?done=created", n.id)),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => {
                render_status(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&state, &ctx, None, 0, draft, errors))
            }
            None => fail(&ctx, e),
        },
    }
}

fn draft_of(v: &NeedView) -> NeedDraft {
    let f = &v.need.fields;
    NeedDraft {
        title: f.title.clone(),
        description: f.description.clone(),
        chains: f.chains.iter().map(|c| c.as_str().to_string()).collect(),
        discipline: f.discipline.clone(),
        budget_min: f.budget_min.map(Money::to_plain),
        budget_max: f.budget_max.map(Money::to_plain),
        deadline: f.deadline.map(date),
        contact_policy: f.contact_policy.code().into(),
        contact_name: f.contact.name.clone(),
        contact_phone: f.contact.phone.clone(),
        contact_email: f.contact.email.clone(),
        trl_min: f.trl_min.map(|t| t.level().to_string()),
        trl_max: f.trl_max.map(|t| t.level().to_string()),
        keywords: f.keywords.clone(),
        enterprise_name: f.enterprise_name.clone(),
        enterprise_credit_code: f.enterprise_credit_code.as_ref().map(|c| c.as_str().to_string()),
    }
}

pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let view = match state.app.need(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    if !view.can_edit {
        return fail(&ctx, AppError::NotFound { entity: "need" });
    }
    render(&form_page(&state, &ctx, Some(id), view.need.version, draft_of(&view), FormErrors::default()))
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let ctx = Ctx { path: format!("/needs/{id}/edit"), ..ctx };
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let draft = draft_from(&form);
    match state.app.update_need(&ctx.actor, id, version, &draft).await {
        Ok(_) => see_other(&format!("/needs/{id}?done=updated")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(&state, &ctx, Some(id), version, draft, errors),
            ),
            None => fail(&ctx, e),
        },
    }
}

#[derive(Template)]
#[template(path = "needs/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    title: String,
    description: String,
    status: String,
    status_badge: &'static str,
    enterprise: String,
    credit_code: String,
    submitted_by: String,
    chains: Vec<String>,
    suggested: String,
    suggested_confirmed: bool,
    can_confirm_chain: bool,
    discipline: String,
    budget: String,
    deadline: String,
    trl: String,
    keywords: String,
    published_on: String,
    policy: String,
    contact_withheld: bool,
    contact_name: String,
    contact_phone: String,
    contact_email: String,
    can_edit: bool,
    actions: Vec<(&'static str, String, bool)>,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    v: &NeedView,
    errors: FormErrors,
    notice: Option<String>,
) -> DetailPage {
    let t = ctx.t();
    let n = &v.need;
    let f = &n.fields;
    let mut layout = Layout::new(ctx, f.title.clone())
        .crumb(t.s("needs.title"), "/needs")
        .crumb(f.title.clone(), format!("/needs/{}", n.id));
    layout.notice = notice;
    let dash = || "—".to_string();
    let suggested = n
        .suggested_chain
        .as_ref()
        .map(|c| crate::explain::chain_label(state.app.chains(), t, c.as_str()))
        .unwrap_or_default();
    DetailPage {
        layout,
        id: n.id,
        version: n.version,
        title: f.title.clone(),
        description: f.description.clone(),
        status: t.code("needs.status", n.status.code()),
        status_badge: badge(n.status),
        enterprise: f.enterprise_name.clone().unwrap_or_else(|| n.institution_name.clone()),
        credit_code: f.enterprise_credit_code.as_ref().map(|c| c.as_str().to_string()).unwrap_or_default(),
        submitted_by: n.institution_name.clone(),
        chains: f.chains.iter().map(|c| crate::explain::chain_label(state.app.chains(), t, c.as_str())).collect(),
        suggested_confirmed: n.suggested_chain.as_ref().is_some_and(|c| f.chains.contains(c)),
        suggested,
        can_confirm_chain: v.can_confirm_chain,
        discipline: f.discipline.clone().unwrap_or_else(dash),
        budget: budget(t, f.budget_min, f.budget_max),
        deadline: f.deadline.map(date).unwrap_or_else(dash),
        trl: match (f.trl_min, f.trl_max) {
            (Some(a), Some(b)) => format!("TRL {}–{}", a.level(), b.level()),
            (Some(a), None) => format!("TRL ≥ {}", a.level()),
            (None, Some(b)) => format!("TRL ≤ {}", b.level()),
            (None, None) => dash(),
        },
        keywords: f.keywords.join("、"),
        published_on: n.published_on.map(date).unwrap_or_else(dash),
        policy: t.code("needs.policy", f.contact_policy.code()),
        contact_withheld: n.contact_withheld,
        contact_name: f.contact.name.clone(),
        contact_phone: f.contact.phone.clone().unwrap_or_default(),
        contact_email: f.contact.email.clone().unwrap_or_default(),
        can_edit: v.can_edit,
        actions: v
            .actions
            .iter()
            .map(|a| {
                (a.code(), t.code("needs.action", a.code()), matches!(a, NeedAction::Close | NeedAction::Withdraw))
            })
            .collect(),
        timeline: super::record_history(state, ctx, "tech_need", n.id).await,
        errors,
    }
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let view = match state.app.need(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let notice = super::done_notice(t, &pairs, "needs.done");
    render(&detail_page(&state, &ctx, &view, FormErrors::default(), notice).await)
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let result = if step == "confirm_chain" {
        state.app.confirm_need_chain(&ctx.actor, id, version).await
    } else {
        match NeedAction::from_code(&step) {
            Ok(action) => state.app.transition_need(&ctx.actor, id, version, action).await,
            Err(v) => Err(AppError::field("step", v)),
        }
    };
    match result {
        Ok(_) => see_other(&format!("/needs/{id}?done={step}")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => match state.app.need(&ctx.actor, id).await {
                Ok(view) => {
                    let ctx = Ctx { path: format!("/needs/{id}"), ..ctx };
                    render_status(StatusCode::CONFLICT, &detail_page(&state, &ctx, &view, errors, None).await)
                }
                Err(e) => fail(&ctx, e),
            },
            None => fail(&ctx, e),
        },
    }
}

pub struct ProblemRow {
    pub line: usize,
    pub field: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "needs/import.html")]
struct ImportPage {
    layout: Layout,
    columns: String,
    problems: Vec<ProblemRow>,
    summary: String,
    text: String,
}

fn import_page(ctx: &Ctx, problems: Vec<ProblemRow>, summary: String, text: String) -> ImportPage {
    let t = ctx.t();
    ImportPage {
        layout: Layout::new(ctx, t.s("needs.import"))
            .crumb(t.s("needs.title"), "/needs")
            .crumb(t.s("needs.import"), "/needs/import"),
        columns: crate::need_import::COLUMNS.join(", "),
        problems,
        summary,
        text,
    }
}

pub async fn import_form(ctx: Ctx) -> Response {
    if let Err(e) = ctx.actor.require(Permission::NeedImport) {
        return fail(&ctx, e);
    }
    render(&import_page(&ctx, Vec::new(), String::new(), String::new()))
}

pub async fn import(State(state): State<AppState>, ctx: Ctx, mut multipart: Multipart) -> Response {
    let t = ctx.t();
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut pasted = String::new();
    let mut format = String::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some(CSRF_FIELD) => csrf = field.text().await.unwrap_or_default(),
                Some("format") => format = field.text().await.unwrap_or_default(),
                Some("text") => pasted = field.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_string();
                    if let Ok(bytes) = field.bytes().await
                        && !bytes.is_empty()
                    {
                        file = Some((name, bytes.to_vec()));
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) => {
                let p = ProblemRow { line: 0, field: "file".into(), message: e.body_text() };
                let summary = t.f("needs.import_failed", &[("n", "1".into())]);
                return render_status(StatusCode::BAD_REQUEST, &import_page(&ctx, vec![p], summary, String::new()));
            }
        }
    }
    if ctx.csrf.is_empty() || !same_token(&csrf, &ctx.csrf) {
        return super::error_page(ctx.lang, StatusCode::FORBIDDEN, t.s("error.csrf_title"), t.s("error.csrf"));
    }
    if let Err(e) = ctx.actor.require(Permission::NeedImport) {
        return fail(&ctx, e);
    }
    let (name, text) = match file {
        Some((name, bytes)) => match String::from_utf8(bytes) {
            Ok(s) => (name, s),
            Err(_) => {
                let v = Violation::InvalidFormat { expected: "utf8" };
                let p = ProblemRow { line: 0, field: "file".into(), message: t.violation(&v) };
                let summary = t.f("needs.import_failed", &[("n", "1".into())]);
                return render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &import_page(&ctx, vec![p], summary, String::new()),
                );
            }
        },
        None => (String::new(), pasted.clone()),
    };
    let format = NeedFormat::from_code(&format)
        .or_else(|| NeedFormat::from_file_name(&name))
        .unwrap_or_else(|| NeedFormat::sniff(&text));
    match super::super::api::needs::import_text(&state, &ctx, format, &text).await {
        Ok(n) => see_other(&format!("/needs?done=imported&n={n}")),
        Err(e) => {
            let problems: Vec<ProblemRow> = e
                .body
                .error
                .details
                .iter()
                .map(|d| ProblemRow { line: d.line.unwrap_or(0), field: d.field.clone(), message: d.message.clone() })
                .collect();
            if problems.is_empty() {
                return super::page_error(&ctx, e.status, t.s("error.request_title"), &e.body.error.message);
            }
            render_status(e.status, &import_page(&ctx, problems, e.body.error.message, pasted))
        }
    }
}
