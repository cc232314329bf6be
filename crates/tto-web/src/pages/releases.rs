//! Pages of the central release (集中发布, measure 十四): the public list of campaigns, the
//! candidates with the rule that selected them, a campaign with its achievements, and the
//! export file for the technology exchange.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::Permission;
use tto_app::releases::ReleaseCandidates;
use tto_store::releases::{Campaign, CampaignStatus, ReleaseItem};

use super::{FormErrors, Layout, fail, rename_fields, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx};
use crate::format::{date, datetime, opt_date};
use crate::i18n::T;
use crate::xlsx::{Cell, download, workbook};

fn badge(s: CampaignStatus) -> &'static str {
    match s {
        CampaignStatus::Draft => "grey",
        CampaignStatus::Published => "green",
    }
}

pub struct CampaignRowView {
    pub id: i64,
    pub title: String,
    pub institution: String,
    pub status: String,
    pub status_badge: &'static str,
    pub published_on: String,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "releases/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<CampaignRowView>,
    can_manage: bool,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    let campaigns = match state.app.release_campaigns(&ctx.actor).await {
        Ok(c) => c,
        Err(e) => return fail(&ctx, e),
    };
    render(&ListPage {
        layout: Layout::new(&ctx, t.s("release.title")).crumb(t.s("release.title"), "/releases"),
        rows: campaigns
            .iter()
            .map(|c| CampaignRowView {
                id: c.id,
                title: c.title.clone(),
                institution: c.institution_name.clone(),
                status: t.code("release.status", c.status.code()),
                status_badge: badge(c.status),
                published_on: c.published_on.map(date).unwrap_or_else(|| "—".into()),
                count: c.items.len(),
            })
            .collect(),
        can_manage: ctx.actor.user().is_some() && ctx.actor.can(Permission::ReleaseManage),
    })
}

/// An achievement as the release shows it: public fields only.
pub struct ItemView {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub institution: String,
    pub kind: String,
    pub discipline: String,
    pub trl: i64,
    pub completion_date: String,
    pub summary: String,
    pub checked: bool,
}

/// The start of a long text for a table cell (the export carries the whole text).
fn excerpt(text: &str, chars: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn item_view(t: T, i: &ReleaseItem, checked: bool) -> ItemView {
    ItemView {
        id: i.achievement_id.0,
        code: i.code.clone(),
        title: i.title.clone(),
        institution: i.institution_name.clone(),
        kind: t.code("achievement.type", i.kind.code()),
        discipline: i.discipline.clone(),
        trl: i.trl,
        completion_date: opt_date(i.completion_date),
        summary: excerpt(&i.summary, 120),
        checked,
    }
}

#[derive(Template)]
#[template(path = "releases/candidates.html")]
struct CandidatesPage {
    layout: Layout,
    items: Vec<ItemView>,
    count: String,
    rule: String,
    years: String,
    parameter: String,
    source: String,
    grade: String,
    url: String,
    title: String,
    description: String,
    errors: FormErrors,
}

fn candidates_page(
    ctx: &Ctx,
    c: &ReleaseCandidates,
    title: &str,
    description: &str,
    chosen: &[i64],
    errors: FormErrors,
) -> CandidatesPage {
    let t = ctx.t();
    let heading = t.s("release.candidates");
    let p = &c.parameter;
    CandidatesPage {
        layout: Layout::new(ctx, heading)
            .crumb(t.s("release.title"), "/releases")
            .crumb(heading, "/releases/candidates"),
        items: c.items.iter().map(|i| item_view(t, i, chosen.contains(&i.achievement_id.0))).collect(),
        count: t.f("release.candidate_count", &[("n", c.items.len().to_string())]),
        rule: t.f("release.rule", &[("date", date(c.completed_by)), ("years", c.years.to_string())]),
        years: t.f("unit.years", &[("n", c.years.to_string())]),
        parameter: t.code("policy.key", p.key.code()),
        source: tto_app::empowerment::citation_of(p),
        grade: p.grade.code().to_string(),
        url: p.source.url.clone().unwrap_or_default(),
        title: title.to_string(),
        description: description.to_string(),
        errors,
    }
}

pub async fn candidates(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.release_candidates(&ctx.actor).await {
        Ok(c) => render(&candidates_page(&ctx, &c, "", "", &[], FormErrors::default())),
        Err(e) => fail(&ctx, e),
    }
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let ctx = Ctx { path: "/releases/candidates".into(), ..ctx };
    let mut chosen: Vec<i64> = form.all("achievements").iter().filter_map(|v| v.trim().parse().ok()).collect();
    let mut seen = std::collections::HashSet::new();
    chosen.retain(|id| seen.insert(*id));
    let (title, description) = (form.text("title"), form.text("description"));
    match state.app.create_release_campaign(&ctx.actor, &title, &description, &chosen).await {
        Ok(c) => see_other(&format!("/releases/{}?done=created", c.id)),
        Err(e) => {
            let e = rename_fields(e, &[("title", "campaign_title")]);
            match FormErrors::from_app(ctx.t(), &e) {
                Some(errors) => match state.app.release_candidates(&ctx.actor).await {
                    Ok(c) => render_status(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &candidates_page(&ctx, &c, &title, &description, &chosen, errors),
                    ),
                    Err(e) => fail(&ctx, e),
                },
                None => fail(&ctx, e),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "releases/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    title: String,
    description: String,
    institution: String,
    status: String,
    status_badge: &'static str,
    published: bool,
    published_on: String,
    created: String,
    policy_profile: String,
    items: Vec<ItemView>,
    can_publish: bool,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
}

fn detail_page(
    ctx: &Ctx,
    c: &Campaign,
    can_manage: bool,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
) -> DetailPage {
    let t = ctx.t();
    let heading = format!("{} #{}", t.s("release.campaign"), c.id);
    DetailPage {
        layout: Layout::new(ctx, heading.clone())
            .crumb(t.s("release.title"), "/releases")
            .crumb(heading, format!("/releases/{}", c.id)),
        id: c.id,
        version: c.version,
        title: c.title.clone(),
        description: c.description.clone(),
        institution: c.institution_name.clone(),
        status: t.code("release.status", c.status.code()),
        status_badge: badge(c.status),
        published: c.status == CampaignStatus::Published,
        published_on: c.published_on.map(date).unwrap_or_else(|| "—".into()),
        created: datetime(c.created_at),
        policy_profile: c.policy_profile.clone(),
        items: c.items.iter().map(|i| item_view(t, i, false)).collect(),
        can_publish: can_manage && c.status == CampaignStatus::Draft,
        timeline,
        errors,
    }
}

async fn timeline(state: &AppState, ctx: &Ctx, id: i64) -> Vec<(String, String, String)> {
    super::record_history(state, ctx, "release_campaign", id).await
}

async fn show(state: &AppState, ctx: &Ctx, id: i64, errors: FormErrors, notice: Option<String>) -> Response {
    let (campaign, can_manage) = match state.app.release_campaign(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(ctx, e),
    };
    let tl = timeline(state, ctx, id).await;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut page = detail_page(ctx, &campaign, can_manage, tl, errors);
    page.layout.notice = notice;
    render_status(status, &page)
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let t = ctx.t();
    let notice = super::done_notice(t, &pairs, "release.done");
    show(&state, &ctx, id, FormErrors::default(), notice).await
}

pub async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    match state.app.publish_release_campaign(&ctx.actor, id, version).await {
        Ok(_) => see_other(&format!("/releases/{id}?done=published")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => {
                let ctx = Ctx { path: format!("/releases/{id}"), ..ctx };
                show(&state, &ctx, id, errors, None).await
            }
            None => fail(&ctx, e),
        },
    }
}

/// The file for the technology exchange: one row per achievement, public fields only.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let t = ctx.t();
    let (c, _) = match state.app.release_campaign(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let cells: Vec<Vec<Cell>> = c
        .items
        .iter()
        .map(|i| {
            vec![
                Cell::Text(i.code.clone()),
                Cell::Text(i.title.clone()),
                Cell::Text(i.institution_name.clone()),
                Cell::Text(t.code("achievement.type", i.kind.code())),
                Cell::Text(i.discipline.clone()),
                Cell::Int(i.trl),
                Cell::Text(opt_date(i.completion_date)),
                Cell::Text(i.summary.clone()),
                Cell::Text(c.title.clone()),
                Cell::Text(c.published_on.map(date).unwrap_or_default()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "field.code",
        "field.title",
        "field.institution",
        "field.kind",
        "field.discipline",
        "field.trl",
        "field.completion_date",
        "field.summary",
        "release.campaign_title",
        "release.published_on",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download(&format!("central-release-{id}.xlsx"), workbook(t.s("release.sheet"), &headers, &cells))
}
