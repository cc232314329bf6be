//! Pages of invention disclosures (成果披露): the inventor's drafts and submissions, the
//! TTO's intake (return with comments, reject with a reason, accept into the ledger), and the
//! attachments of a disclosure.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::disclosures::{AcceptDraft, DisclosureView};
use tto_app::{AppError, Permission};
use tto_domain::achievement::ContributorDraft;
use tto_domain::disclosure::{DisclosureDraft, DisclosureStatus};
use tto_domain::{AchievementType, Confidentiality, FundingSource, Violation};
use tto_store::disclosures::Disclosure;

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, rename_fields, render, render_status, see_other};
use crate::AppState;
use crate::context::{CSRF_FIELD, CsrfForm, Ctx, FormData, same_token};
use crate::format::{date, datetime, opt_date};
use crate::i18n::T;
use crate::xlsx::{Cell, download, workbook};

pub fn badge(s: DisclosureStatus) -> &'static str {
    match s {
        DisclosureStatus::Draft => "grey",
        DisclosureStatus::Submitted => "blue",
        DisclosureStatus::Returned => "amber",
        DisclosureStatus::Accepted => "green",
        DisclosureStatus::Rejected => "red",
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；', '\n']).map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

fn status_filter(pairs: &[(String, String)]) -> Option<DisclosureStatus> {
    pairs.iter().find(|(k, v)| k == "status" && !v.is_empty()).and_then(|(_, v)| DisclosureStatus::from_code(v).ok())
}

// ---------------------------------------------------------------------------------------
// List and export
// ---------------------------------------------------------------------------------------

pub struct DisclosureRow {
    pub id: i64,
    pub title: String,
    pub inventor: String,
    pub status: String,
    pub status_badge: &'static str,
    pub submitted_on: String,
    pub decided_on: String,
    pub updated: String,
    pub achievement_id: Option<i64>,
}

pub struct StatusTab {
    pub label: String,
    pub href: String,
    pub count: usize,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "disclosures/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<DisclosureRow>,
    tabs: Vec<StatusTab>,
    total: usize,
    office: bool,
    can_create: bool,
    export_href: String,
    count_label: String,
}

fn row(t: T, d: &Disclosure) -> DisclosureRow {
    DisclosureRow {
        id: d.id,
        title: d.fields.title.clone(),
        inventor: d.inventor_name.clone(),
        status: t.code("disclosure.status", d.status.code()),
        status_badge: badge(d.status),
        submitted_on: opt_date(d.submitted_on),
        decided_on: opt_date(d.decided_on),
        updated: date(d.updated_at.date()),
        achievement_id: d.achievement_id.map(|a| a.0),
    }
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let all = match state.app.disclosures(&ctx.actor, None).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let status = status_filter(&pairs);
    let mut tabs = vec![StatusTab {
        label: t.s("filter.any").to_string(),
        href: "/disclosures".into(),
        count: all.len(),
        current: status.is_none(),
    }];
    tabs.extend(DisclosureStatus::ALL.iter().map(|s| StatusTab {
        label: t.code("disclosure.status", s.code()),
        href: format!("/disclosures?status={}", s.code()),
        count: all.iter().filter(|d| d.status == *s).count(),
        current: status == Some(*s),
    }));
    let rows: Vec<DisclosureRow> =
        all.iter().filter(|d| status.is_none_or(|s| d.status == s)).map(|d| row(t, d)).collect();
    let title = t.s("disclosure.title");
    render(&ListPage {
        layout: Layout::new(&ctx, title).crumb(title, "/disclosures"),
        total: all.len(),
        count_label: t.f("disclosure.count", &[("n", rows.len().to_string())]),
        rows,
        tabs,
        office: ctx.actor.can(Permission::DisclosureReview),
        can_create: ctx.actor.can(Permission::DisclosureSubmit),
        export_href: match status {
            Some(s) => format!("/disclosures/export.xlsx?status={}", s.code()),
            None => "/disclosures/export.xlsx".into(),
        },
    })
}

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let rows = match state.app.disclosures(&ctx.actor, status_filter(&pairs)).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|d| {
            vec![
                Cell::Int(d.id),
                Cell::Text(d.fields.title.clone()),
                Cell::Text(d.inventor_name.clone()),
                Cell::Text(t.code("disclosure.status", d.status.code())),
                Cell::Text(t.code("achievement.funding", d.fields.funding_source.code())),
                Cell::Text(d.fields.funding_refs.join("，")),
                Cell::Text(
                    d.fields
                        .contributors
                        .iter()
                        .map(|c| format!("{} {}", c.name, c.share))
                        .collect::<Vec<_>>()
                        .join("、"),
                ),
                Cell::Text(opt_date(d.fields.first_publication_on)),
                Cell::Text(opt_date(d.submitted_on)),
                Cell::Text(opt_date(d.decided_on)),
                Cell::Text(d.achievement_id.map(|a| a.0.to_string()).unwrap_or_default()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "disclosure.number",
        "field.title",
        "disclosure.inventor",
        "field.status",
        "field.funding_source",
        "field.funding_refs",
        "field.contributors",
        "field.first_publication_on",
        "disclosure.submitted_on",
        "disclosure.decided_on",
        "disclosure.achievement",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("disclosures.xlsx", workbook(t.s("disclosure.title"), &headers, &cells))
}

// ---------------------------------------------------------------------------------------
// The disclosure form (new and edit)
// ---------------------------------------------------------------------------------------

/// What the form shows: the values typed (or loaded).
pub struct FormValues {
    pub title: String,
    pub summary: String,
    pub problem: String,
    pub prior_art: String,
    pub planned_publications: String,
    pub first_publication_on: String,
    pub funding_source: String,
    pub funding_refs: String,
    pub contributors: Vec<ContributorDraft>,
}

impl FormValues {
    fn of(d: &Disclosure) -> FormValues {
        let f = &d.fields;
        FormValues {
            title: f.title.clone(),
            summary: f.summary.clone(),
            problem: f.problem.clone(),
            prior_art: f.prior_art.clone(),
            planned_publications: f.planned_publications.clone().unwrap_or_default(),
            first_publication_on: opt_date(f.first_publication_on),
            funding_source: f.funding_source.code().to_string(),
            funding_refs: f.funding_refs.join("，"),
            contributors: f
                .contributors
                .iter()
                .map(|c| ContributorDraft {
                    person_id: None,
                    name: c.name.clone(),
                    share: c.share.value().normalize().to_string(),
                    main: c.main,
                })
                .collect(),
        }
    }

    fn from_form(form: &FormData) -> FormValues {
        let contributors = super::achievements::contributors_from_form(form);
        FormValues {
            title: form.text("title"),
            summary: form.text("summary"),
            problem: form.text("problem"),
            prior_art: form.text("prior_art"),
            planned_publications: form.text("planned_publications"),
            first_publication_on: form.text("first_publication_on"),
            funding_source: form.text("funding_source"),
            funding_refs: form.text("funding_refs"),
            contributors,
        }
    }

    fn draft(&self) -> DisclosureDraft {
        DisclosureDraft {
            title: self.title.clone(),
            summary: self.summary.clone(),
            problem: self.problem.clone(),
            prior_art: self.prior_art.clone(),
            planned_publications: self.planned_publications.clone(),
            first_publication_on: self.first_publication_on.clone(),
            funding_source: self.funding_source.clone(),
            funding_refs: split_list(&self.funding_refs),
            contributors: self.contributors.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "disclosures/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    cancel_href: String,
    editing: bool,
    version: i64,
    v: FormValues,
    fundings: Vec<Choice>,
    contributor_rows: Vec<super::achievements::ContributorInput>,
    errors: FormErrors,
}

fn form_page(ctx: &Ctx, v: FormValues, editing: Option<(&Disclosure, i64)>, errors: FormErrors) -> FormPage {
    let t = ctx.t();
    let mut layout = match editing {
        Some((d, _)) => Layout::new(ctx, t.s("disclosure.edit"))
            .crumb(t.s("disclosure.title"), "/disclosures")
            .crumb(d.fields.title.clone(), format!("/disclosures/{}", d.id))
            .crumb(t.s("disclosure.edit"), format!("/disclosures/{}/edit", d.id)),
        None => Layout::new(ctx, t.s("disclosure.new"))
            .crumb(t.s("disclosure.title"), "/disclosures")
            .crumb(t.s("disclosure.new"), "/disclosures/new"),
    };
    layout.notice = None;
    let rows = super::achievements::contributor_rows(&v.contributors, &errors);
    FormPage {
        layout,
        action: match editing {
            Some((d, _)) => format!("/disclosures/{}", d.id),
            None => "/disclosures".into(),
        },
        cancel_href: match editing {
            Some((d, _)) => format!("/disclosures/{}", d.id),
            None => "/disclosures".into(),
        },
        editing: editing.is_some(),
        version: editing.map(|(_, v)| v).unwrap_or(0),
        fundings: FundingSource::ALL
            .iter()
            .map(|k| Choice {
                value: k.code().into(),
                label: t.code("achievement.funding", k.code()),
                selected: v.funding_source == k.code(),
            })
            .collect(),
        contributor_rows: rows,
        v,
        errors,
    }
}

pub async fn new_form(ctx: Ctx) -> Response {
    if let Err(e) = ctx.actor.require(Permission::DisclosureSubmit) {
        return fail(&ctx, e);
    }
    let mut v = FormValues {
        title: String::new(),
        summary: String::new(),
        problem: String::new(),
        prior_art: String::new(),
        planned_publications: String::new(),
        first_publication_on: String::new(),
        funding_source: FundingSource::Fiscal.code().into(),
        funding_refs: String::new(),
        contributors: Vec::new(),
    };
    if let Some(u) = ctx.actor.user() {
        v.contributors =
            vec![ContributorDraft { person_id: None, name: u.display_name.clone(), share: "100".into(), main: true }];
    }
    render(&form_page(&ctx, v, None, FormErrors::default()))
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let ctx = Ctx { path: "/disclosures/new".into(), ..ctx };
    let v = FormValues::from_form(&form);
    match state.app.create_disclosure(&ctx.actor, &v.draft()).await {
        Ok(d) => see_other(&format!("/disclosures/{}?done=created", d.id)),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&ctx, v, None, errors)),
            None => fail(&ctx, e),
        },
    }
}

pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let view = match state.app.disclosure(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    if !view.can_edit {
        let t = ctx.t();
        return fail(
            &ctx,
            AppError::conflict(
                "status",
                Violation::Rule {
                    code: "disclosure_locked",
                    detail: t.code("disclosure.status", view.disclosure.status.code()),
                },
            ),
        );
    }
    let v = FormValues::of(&view.disclosure);
    render(&form_page(&ctx, v, Some((&view.disclosure, view.disclosure.version)), FormErrors::default()))
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let ctx = Ctx { path: format!("/disclosures/{id}/edit"), ..ctx };
    let v = FormValues::from_form(&form);
    let version = form.get("version").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    match state.app.update_disclosure(&ctx.actor, id, version, &v.draft()).await {
        Ok(_) => see_other(&format!("/disclosures/{id}?done=saved")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => match state.app.disclosure(&ctx.actor, id).await {
                Ok(view) => render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &form_page(&ctx, v, Some((&view.disclosure, version)), errors),
                ),
                Err(e) => fail(&ctx, e),
            },
            None => fail(&ctx, e),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Detail, workflow, attachments
// ---------------------------------------------------------------------------------------

pub struct AttachmentRow {
    pub id: i64,
    pub file_name: String,
    pub size: String,
    pub sha256: String,
}

/// What the TTO typed into the accept form (kept when it is shown again with errors).
pub struct AcceptValues {
    pub discipline: String,
    pub kind: String,
    pub trl: String,
    pub confidentiality: String,
    pub chains: Vec<String>,
    pub keywords: String,
    pub job_related: bool,
    pub major: bool,
    pub comments: String,
}

impl AcceptValues {
    fn empty() -> AcceptValues {
        AcceptValues {
            discipline: String::new(),
            kind: AchievementType::InventionPatent.code().into(),
            trl: String::new(),
            confidentiality: Confidentiality::SummaryOnly.code().into(),
            chains: Vec::new(),
            keywords: String::new(),
            job_related: true,
            major: false,
            comments: String::new(),
        }
    }

    fn from_form(form: &FormData) -> AcceptValues {
        AcceptValues {
            discipline: form.text("discipline"),
            kind: form.text("kind"),
            trl: form.text("trl"),
            confidentiality: form.text("confidentiality"),
            chains: form.all("chains"),
            keywords: form.text("keywords"),
            job_related: form.checked("job_related"),
            major: form.checked("major"),
            comments: form.text("accept_comments"),
        }
    }

    fn draft(&self) -> AcceptDraft {
        AcceptDraft {
            discipline: self.discipline.clone(),
            kind: self.kind.clone(),
            trl: self.trl.clone(),
            confidentiality: self.confidentiality.clone(),
            chains: self.chains.clone(),
            keywords: split_list(&self.keywords),
            job_related: self.job_related,
            major: self.major,
            comments: self.comments.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "disclosures/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    title: String,
    status: String,
    status_code: &'static str,
    status_badge: &'static str,
    next_step: String,
    inventor: String,
    summary: String,
    problem: String,
    prior_art: String,
    planned_publications: String,
    first_publication_on: String,
    funding: String,
    funding_refs: String,
    contributors: Vec<(String, String, bool)>,
    comments: Option<String>,
    comments_label: String,
    submitted_on: String,
    decided_on: String,
    created: String,
    achievement_id: Option<i64>,
    attachments: Vec<AttachmentRow>,
    can_edit: bool,
    can_review: bool,
    can_evaluate: bool,
    timeline: Vec<(String, String, String)>,
    return_comments: String,
    reject_reason: String,
    accept: AcceptValues,
    kinds: Vec<Choice>,
    trls: Vec<Choice>,
    confidentialities: Vec<Choice>,
    chains: Vec<Choice>,
    errors: FormErrors,
}

fn size_label(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

struct Typed {
    return_comments: String,
    reject_reason: String,
    accept: AcceptValues,
}

fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    v: &DisclosureView,
    timeline: Vec<(String, String, String)>,
    typed: Typed,
    errors: FormErrors,
    notice: Option<String>,
) -> DetailPage {
    let t = ctx.t();
    let d = &v.disclosure;
    let f = &d.fields;
    let mut layout = Layout::new(ctx, f.title.clone())
        .crumb(t.s("disclosure.title"), "/disclosures")
        .crumb(f.title.clone(), format!("/disclosures/{}", d.id));
    layout.notice = notice;
    let role = if v.can_review { "office" } else { "inventor" };
    let next_step = match d.status {
        DisclosureStatus::Accepted => t.f(
            &format!("disclosure.next.{role}.accepted"),
            &[("id", d.achievement_id.map(|a| a.0.to_string()).unwrap_or_default())],
        ),
        s => t.code(&format!("disclosure.next.{role}"), s.code()),
    };
    let accept = typed.accept;
    DetailPage {
        layout,
        id: d.id,
        version: d.version,
        title: f.title.clone(),
        status: t.code("disclosure.status", d.status.code()),
        status_code: d.status.code(),
        status_badge: badge(d.status),
        next_step,
        inventor: d.inventor_name.clone(),
        summary: f.summary.clone(),
        problem: f.problem.clone(),
        prior_art: f.prior_art.clone(),
        planned_publications: f.planned_publications.clone().unwrap_or_default(),
        first_publication_on: opt_date(f.first_publication_on),
        funding: t.code("achievement.funding", f.funding_source.code()),
        funding_refs: f.funding_refs.join("、"),
        contributors: f.contributors.iter().map(|c| (c.name.clone(), c.share.to_string(), c.main)).collect(),
        comments: d.comments.clone(),
        comments_label: t.code("disclosure.comments_label", d.status.code()),
        submitted_on: opt_date(d.submitted_on),
        decided_on: opt_date(d.decided_on),
        created: datetime(d.created_at),
        achievement_id: d.achievement_id.map(|a| a.0),
        attachments: v
            .attachments
            .iter()
            .map(|a| AttachmentRow {
                id: a.id,
                file_name: a.file_name.clone(),
                size: size_label(a.size),
                sha256: a.sha256.chars().take(12).collect(),
            })
            .collect(),
        can_edit: v.can_edit,
        can_review: v.can_review,
        can_evaluate: ctx.actor.require_for(Permission::EvaluationManage, d.institution_id).is_ok(),
        timeline,
        return_comments: typed.return_comments,
        reject_reason: typed.reject_reason,
        kinds: AchievementType::ALL
            .iter()
            .map(|k| Choice {
                value: k.code().into(),
                label: t.code("achievement.type", k.code()),
                selected: accept.kind == k.code(),
            })
            .collect(),
        trls: {
            let mut c = vec![Choice {
                value: String::new(),
                label: t.s("form.choose").to_string(),
                selected: accept.trl.is_empty(),
            }];
            c.extend((1..=9u8).map(|n| Choice {
                value: n.to_string(),
                label: format!("{n} · {}", t.code("trl", &n.to_string())),
                selected: accept.trl == n.to_string(),
            }));
            c
        },
        confidentialities: Confidentiality::ALL
            .iter()
            .map(|k| Choice {
                value: k.code().into(),
                label: t.code("achievement.confidentiality", k.code()),
                selected: accept.confidentiality == k.code(),
            })
            .collect(),
        chains: state
            .app
            .chains()
            .all()
            .iter()
            .map(|c| Choice {
                value: c.code.as_str().to_string(),
                label: crate::explain::chain_name(ctx.t(), c),
                selected: accept.chains.iter().any(|x| x == c.code.as_str()),
            })
            .collect(),
        accept,
        errors,
    }
}

async fn timeline(state: &AppState, ctx: &Ctx, id: i64) -> Vec<(String, String, String)> {
    super::record_history(state, ctx, "disclosure", id).await
}

fn untyped() -> Typed {
    Typed { return_comments: String::new(), reject_reason: String::new(), accept: AcceptValues::empty() }
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let view = match state.app.disclosure(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let notice = super::done_notice(t, &pairs, "disclosure.done");
    let tl = timeline(&state, &ctx, id).await;
    render(&detail_page(&state, &ctx, &view, tl, untyped(), FormErrors::default(), notice))
}

/// Shows the detail page again with the errors of a form on it (422).
async fn detail_with_errors(state: &AppState, ctx: Ctx, id: i64, typed: Typed, e: AppError) -> Response {
    let ctx = Ctx { path: format!("/disclosures/{id}"), ..ctx };
    match FormErrors::from_app(ctx.t(), &e) {
        Some(errors) => match state.app.disclosure(&ctx.actor, id).await {
            Ok(view) => {
                let tl = timeline(state, &ctx, id).await;
                render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &detail_page(state, &ctx, &view, tl, typed, errors, None),
                )
            }
            Err(e) => fail(&ctx, e),
        },
        None => fail(&ctx, e),
    }
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let app = &state.app;
    let mut typed = untyped();
    let result = match step.as_str() {
        "submit" => app.submit_disclosure(&ctx.actor, id, version).await,
        "return" => {
            typed.return_comments = form.text("return_comments");
            app.return_disclosure(&ctx.actor, id, version, &typed.return_comments)
                .await
                .map_err(|e| rename_fields(e, &[("comments", "return_comments")]))
        }
        "reject" => {
            typed.reject_reason = form.text("reject_reason");
            app.reject_disclosure(&ctx.actor, id, version, &typed.reject_reason)
                .await
                .map_err(|e| rename_fields(e, &[("comments", "reject_reason")]))
        }
        "accept" => {
            typed.accept = AcceptValues::from_form(&form);
            app.accept_disclosure(&ctx.actor, id, version, &typed.accept.draft())
                .await
                .map_err(|e| rename_fields(e, &[("comments", "accept_comments")]))
        }
        other => Err(AppError::field("step", Violation::UnknownChoice { value: other.to_string() })),
    };
    match result {
        Ok(_) => see_other(&format!("/disclosures/{id}?done={step}")),
        Err(e) => detail_with_errors(&state, ctx, id, typed, e).await,
    }
}

/// An attachment uploaded through the page's form (multipart, with the CSRF token as a field).
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Response {
    let t = ctx.t();
    let mut csrf = String::new();
    let mut file: Option<(String, String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some(CSRF_FIELD) => csrf = field.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_string();
                    let media = field.content_type().unwrap_or("application/octet-stream").to_string();
                    match field.bytes().await {
                        Ok(b) => file = Some((name, media, b.to_vec())),
                        Err(e) => {
                            let v = Violation::Rule { code: "unreadable", detail: e.body_text() };
                            return detail_with_errors(&state, ctx, id, untyped(), AppError::field("file", v)).await;
                        }
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) => {
                let v = Violation::Rule { code: "unreadable", detail: e.body_text() };
                return detail_with_errors(&state, ctx, id, untyped(), AppError::field("file", v)).await;
            }
        }
    }
    if ctx.csrf.is_empty() || !same_token(&csrf, &ctx.csrf) {
        return super::error_page(ctx.lang, StatusCode::FORBIDDEN, t.s("error.csrf_title"), t.s("error.csrf"));
    }
    let (name, media, bytes) = file.unwrap_or_default();
    match state.app.attach_to_disclosure(&ctx.actor, id, &name, &media, bytes).await {
        Ok(_) => see_other(&format!("/disclosures/{id}?done=attached#attachments")),
        Err(e) => detail_with_errors(&state, ctx, id, untyped(), e).await,
    }
}

pub async fn download_attachment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, attachment)): Path<(i64, i64)>,
) -> Response {
    match state.app.disclosure_attachment(&ctx.actor, id, attachment).await {
        Ok((a, bytes)) => crate::api::disclosures::file_response(&a, bytes),
        Err(e) => fail(&ctx, e),
    }
}

pub async fn remove_attachment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, attachment)): Path<(i64, i64)>,
    CsrfForm(_form): CsrfForm,
) -> Response {
    match state.app.detach_from_disclosure(&ctx.actor, id, attachment).await {
        Ok(()) => see_other(&format!("/disclosures/{id}?done=detached#attachments")),
        Err(e) => detail_with_errors(&state, ctx, id, untyped(), e).await,
    }
}
