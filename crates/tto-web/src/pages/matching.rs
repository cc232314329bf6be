//! Pages of supply-demand matching (供需匹配): a need's matching achievements, an
//! achievement's matching needs and enterprises (each with its reasons and the side's
//! accept / reject), the brokering pipeline and one pair's page (steps, manager, timeline).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::matching::{Candidate, Matches};
use tto_app::{AppError, Permission};
use tto_domain::matching::{FeedbackVerdict, MatchAction, MatchSide, MatchStatus};
use tto_domain::{AchievementId, Violation};
use tto_store::matching::{MatchFilter, MatchRecord};

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx};
use crate::explain::{chain_label, manager_reasons, match_reasons};
use crate::format::date;
use crate::i18n::T;
use crate::xlsx::{Cell, download, workbook};

const PAGE_SIZE: i64 = 50;
/// Candidates a page shows.
const CANDIDATES: usize = 20;

pub(crate) fn status_badge(s: MatchStatus) -> &'static str {
    match s {
        MatchStatus::Recommended => "grey",
        MatchStatus::Contacted | MatchStatus::Negotiating => "blue",
        MatchStatus::Deal => "green",
        MatchStatus::Dropped => "red",
    }
}

fn score_badge(score: i64) -> &'static str {
    match score {
        70.. => "green",
        45..70 => "blue",
        _ => "grey",
    }
}

pub struct CandidateView {
    pub need_id: i64,
    pub achievement_id: i64,
    pub href: String,
    pub title: String,
    pub institution: String,
    pub chains: String,
    pub trl: String,
    pub score: i64,
    pub score_badge: &'static str,
    pub reasons: Vec<String>,
    /// The viewing side's verdict: "accept", "reject" or "".
    pub verdict: &'static str,
    pub verdict_label: String,
    /// The other side's verdict in words, or "".
    pub other_verdict: String,
    /// (id, status, badge) of the pipeline record the viewer may see.
    pub pipeline: Option<(i64, String, &'static str)>,
}

pub struct EnterpriseView {
    pub name: String,
    pub score: i64,
    pub needs: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "matching/candidates.html")]
struct CandidatesPage {
    layout: Layout,
    intro: String,
    subject_href: String,
    subject_title: String,
    /// Whether the viewer gives feedback (and so sees accept / reject).
    side: bool,
    /// Whether the viewer may put pairs in the pipeline without being a side.
    can_pipeline: bool,
    back: String,
    candidates: Vec<CandidateView>,
    enterprises: Vec<EnterpriseView>,
    empty: String,
}

fn candidate_view(state: &AppState, t: T, side: Option<MatchSide>, c: &Candidate, from_need: i64) -> CandidateView {
    let p = &c.counterpart;
    let (need_id, achievement_id, href) = match p.kind {
        tto_app::search::SearchKind::Achievement => (from_need, p.id, format!("/achievements/{}", p.id)),
        tto_app::search::SearchKind::Need => (p.id, from_need, format!("/needs/{}", p.id)),
    };
    let (mine, other) = match side {
        Some(MatchSide::Achievement) => (c.achievement_verdict, c.need_verdict),
        _ => (c.need_verdict, c.achievement_verdict),
    };
    let other_verdict = match (side, other) {
        (Some(_), Some(v)) => t.f("match.other_side", &[("verdict", t.code("match.verdict", v.code()))]),
        _ => String::new(),
    };
    CandidateView {
        need_id,
        achievement_id,
        href,
        title: p.title.clone(),
        institution: p.enterprise_name.clone().unwrap_or_else(|| p.institution_name.clone()),
        chains: p.chains.iter().map(|c| chain_label(state.app.chains(), t, c.as_str())).collect::<Vec<_>>().join("、"),
        trl: match (p.kind, p.trl) {
            (tto_app::search::SearchKind::Need, Some(l)) => format!("TRL ≥ {l}"),
            (_, Some(l)) => format!("TRL {l}"),
            (_, None) => String::new(),
        },
        score: c.score,
        score_badge: score_badge(c.score),
        reasons: match_reasons(t, state.app.chains(), &c.features),
        verdict: mine.map(|v| v.code()).unwrap_or(""),
        verdict_label: mine.map(|v| t.code("match.verdict", v.code())).unwrap_or_default(),
        other_verdict,
        pipeline: c.pipeline.as_ref().map(|m| (m.id, t.code("match.status", m.status.code()), status_badge(m.status))),
    }
}

fn candidates_page(
    state: &AppState,
    ctx: &Ctx,
    layout: Layout,
    subject: (String, String, i64),
    intro: String,
    m: &Matches,
    empty: String,
) -> CandidatesPage {
    let t = ctx.t();
    let (subject_href, subject_title, subject_id) = subject;
    CandidatesPage {
        layout,
        intro,
        subject_href,
        subject_title,
        side: m.side.is_some(),
        can_pipeline: ctx.actor.can(Permission::MatchManage),
        back: ctx.path.split('?').next().unwrap_or_default().to_string(),
        candidates: m.candidates.iter().map(|c| candidate_view(state, t, m.side, c, subject_id)).collect(),
        enterprises: m
            .by_enterprise()
            .into_iter()
            .map(|e| EnterpriseView {
                name: e.name,
                score: e.best_score,
                needs: e.needs.into_iter().map(|(id, title, _)| (id, title)).collect(),
            })
            .collect(),
        empty,
    }
}

/// `/needs/{id}/matches`: achievements that may answer the need.
pub async fn need_matches(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let need = match state.app.need(&ctx.actor, id).await {
        Ok(v) => v.need,
        Err(e) => return fail(&ctx, e),
    };
    let m = match state.app.need_matches(&ctx.actor, id, CANDIDATES).await {
        Ok(m) => m,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let mut layout = Layout::new(&ctx, t.s("match.need_title"))
        .crumb(t.s("needs.title"), "/needs")
        .crumb(need.fields.title.clone(), format!("/needs/{id}"))
        .crumb(t.s("match.need_title"), format!("/needs/{id}/matches"));
    layout.notice = super::done_notice(t, &pairs, "match.done");
    let page = candidates_page(
        &state,
        &ctx,
        layout,
        (format!("/needs/{id}"), need.fields.title.clone(), id),
        t.s("match.need_intro").to_string(),
        &m,
        t.s("match.need_empty").to_string(),
    );
    render(&page)
}

/// `/achievements/{id}/matches`: needs (and enterprises) the achievement may answer.
pub async fn achievement_matches(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let achievement = match state.app.achievement(&ctx.actor, AchievementId(id)).await {
        Ok(v) => v.achievement,
        Err(e) => return fail(&ctx, e),
    };
    let m = match state.app.achievement_matches(&ctx.actor, AchievementId(id), CANDIDATES).await {
        Ok(m) => m,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let mut layout = Layout::new(&ctx, t.s("match.achievement_title"))
        .crumb(t.s("nav.achievements"), "/achievements")
        .crumb(achievement.fields.title.clone(), format!("/achievements/{id}"))
        .crumb(t.s("match.achievement_title"), format!("/achievements/{id}/matches"));
    layout.notice = super::done_notice(t, &pairs, "match.done");
    let page = candidates_page(
        &state,
        &ctx,
        layout,
        (format!("/achievements/{id}"), achievement.fields.title.clone(), id),
        t.s("match.achievement_intro").to_string(),
        &m,
        t.s("match.achievement_empty").to_string(),
    );
    render(&page)
}

/// Where a candidates form may send the user back to (never off the site).
fn back_to(form: &crate::context::FormData) -> String {
    let back = form.get("back").unwrap_or_default();
    let local = (back.starts_with("/needs/") || back.starts_with("/achievements/"))
        && back.ends_with("/matches")
        && !back.contains("//")
        && back.chars().all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '-' || c == '_');
    if local { back.to_string() } else { "/matches".to_string() }
}

fn form_id(form: &crate::context::FormData, field: &str) -> Result<i64, AppError> {
    form.get(field)
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| AppError::field(field, Violation::InvalidFormat { expected: "positive_integer" }))
}

/// `POST /matches/feedback`: the viewing side accepts or rejects a candidate.
pub async fn feedback(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let back = back_to(&form);
    let result = async {
        let need_id = form_id(&form, "need_id")?;
        let achievement_id = form_id(&form, "achievement_id")?;
        let verdict = FeedbackVerdict::from_code(form.get("verdict").unwrap_or_default())
            .map_err(|v| AppError::field("verdict", v))?;
        state.app.match_feedback(&ctx.actor, need_id, achievement_id, verdict, form.get("reason")).await?;
        Ok::<_, AppError>(verdict)
    }
    .await;
    match result {
        Ok(v) => see_other(&format!("{back}?done={}", v.code())),
        Err(e) => fail(&ctx, e),
    }
}

/// `POST /matches`: put a candidate pair in the pipeline.
pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let result = async {
        let need_id = form_id(&form, "need_id")?;
        let achievement_id = form_id(&form, "achievement_id")?;
        state.app.create_match(&ctx.actor, need_id, achievement_id, None, form.get("note")).await
    }
    .await;
    match result {
        Ok(m) => see_other(&format!("/matches/{}?done=create", m.id)),
        Err(e) => fail(&ctx, e),
    }
}

pub struct MatchRowView {
    pub id: i64,
    pub need_id: i64,
    pub need_title: String,
    pub enterprise: String,
    pub achievement_id: i64,
    pub achievement_title: String,
    pub university: String,
    pub score: i64,
    pub status: String,
    pub status_badge: &'static str,
    pub manager: String,
    pub updated: String,
}

fn row_view(t: T, m: &MatchRecord) -> MatchRowView {
    MatchRowView {
        id: m.id,
        need_id: m.need_id,
        need_title: m.need_title.clone(),
        enterprise: m.enterprise_name.clone().unwrap_or_else(|| m.need_institution_name.clone()),
        achievement_id: m.achievement_id,
        achievement_title: m.achievement_title.clone(),
        university: m.achievement_institution_name.clone(),
        score: m.score,
        status: t.code("match.status", m.status.code()),
        status_badge: status_badge(m.status),
        manager: m.manager_name.clone().unwrap_or_else(|| "—".into()),
        updated: date(m.updated_at.date()),
    }
}

#[derive(Template)]
#[template(path = "matching/list.html")]
struct ListPage {
    layout: Layout,
    counts: Vec<(String, i64, &'static str)>,
    statuses: Vec<Choice>,
    mine: bool,
    can_mine: bool,
    rows: Vec<MatchRowView>,
    total: i64,
    showing: String,
    export_href: String,
    prev_href: String,
    next_href: String,
}

fn filter_from(ctx: &Ctx, pairs: &[(String, String)]) -> (MatchFilter, i64, bool) {
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let mine = get("mine").is_some();
    let filter = MatchFilter {
        status: get("status").and_then(|s| MatchStatus::from_code(s).ok()),
        manager_user_id: if mine { ctx.actor.user().map(|u| u.user_id.0) } else { None },
        need_id: get("need_id").and_then(|v| v.parse().ok()),
        achievement_id: get("achievement_id").and_then(|v| v.parse().ok()),
    };
    let offset = get("offset").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0).max(0);
    (filter, offset, mine)
}

fn query_of(filter: &MatchFilter, mine: bool) -> String {
    let mut q = Vec::new();
    if let Some(s) = filter.status {
        q.push(format!("status={}", s.code()));
    }
    if mine {
        q.push("mine=1".to_string());
    }
    q.join("&")
}

/// `/matches`: the pipeline.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let (filter, offset, mine) = filter_from(&ctx, &pairs);
    let listing = match state.app.matches(&ctx.actor, &filter, offset, PAGE_SIZE).await {
        Ok(l) => l,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let layout = Layout::new(&ctx, t.s("match.pipeline")).crumb(t.s("match.pipeline"), "/matches");
    let query = query_of(&filter, mine);
    let page_href =
        |o: i64| if query.is_empty() { format!("/matches?offset={o}") } else { format!("/matches?{query}&offset={o}") };
    let shown = listing.rows.len() as i64;
    let page = ListPage {
        layout,
        counts: listing.counts.iter().map(|(s, n)| (t.code("match.status", s.code()), *n, status_badge(*s))).collect(),
        statuses: std::iter::once(Choice {
            value: String::new(),
            label: t.s("filter.any").into(),
            selected: filter.status.is_none(),
        })
        .chain(MatchStatus::ALL.iter().map(|s| Choice {
            value: s.code().into(),
            label: t.code("match.status", s.code()),
            selected: filter.status == Some(*s),
        }))
        .collect(),
        mine,
        can_mine: ctx.actor.has_role(tto_app::authz::Role::TechManager),
        rows: listing.rows.iter().map(|m| row_view(t, m)).collect(),
        total: listing.total,
        showing: t.f(
            "list.showing",
            &[
                ("first", (offset + 1).min(listing.total).to_string()),
                ("last", (offset + shown).to_string()),
                ("total", listing.total.to_string()),
            ],
        ),
        export_href: if query.is_empty() {
            "/matches/export.xlsx".into()
        } else {
            format!("/matches/export.xlsx?{query}")
        },
        prev_href: if offset > 0 { page_href((offset - PAGE_SIZE).max(0)) } else { String::new() },
        next_href: if offset + shown < listing.total { page_href(offset + PAGE_SIZE) } else { String::new() },
    };
    render(&page)
}

/// `/matches/export.xlsx`: the pipeline as a workbook.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let (filter, _, _) = filter_from(&ctx, &pairs);
    let listing = match state.app.matches(&ctx.actor, &filter, 0, 500).await {
        Ok(l) => l,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let cells: Vec<Vec<Cell>> = listing
        .rows
        .iter()
        .map(|m| {
            let r = row_view(t, m);
            vec![
                Cell::Int(r.id),
                Cell::Text(r.need_title),
                Cell::Text(r.enterprise),
                Cell::Text(r.achievement_title),
                Cell::Text(r.university),
                Cell::Int(r.score),
                Cell::Text(r.status),
                Cell::Text(r.manager),
                Cell::Text(r.updated),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "match.number",
        "match.need",
        "needs.enterprise",
        "match.achievement",
        "match.university",
        "match.score",
        "field.status",
        "match.manager",
        "match.updated",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("matches.xlsx", workbook(t.s("match.pipeline"), &headers, &cells))
}

pub struct ManagerOption {
    pub user_id: i64,
    pub label: String,
    pub score: i64,
    pub reasons: Vec<String>,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "matching/detail.html")]
struct DetailPage {
    layout: Layout,
    row: MatchRowView,
    version: i64,
    reasons: Vec<String>,
    note: String,
    actions: Vec<(&'static str, String, bool)>,
    can_assign: bool,
    managers: Vec<ManagerOption>,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: FormErrors,
    notice: Option<String>,
) -> Result<DetailPage, AppError> {
    let view = state.app.match_record(&ctx.actor, id).await?;
    let t = ctx.t();
    let m = &view.record;
    let mut layout = Layout::new(ctx, m.need_title.clone())
        .crumb(t.s("match.pipeline"), "/matches")
        .crumb(format!("#{}", m.id), format!("/matches/{}", m.id));
    layout.notice = notice;
    let managers = if view.can_assign {
        // Ranked for the need; who may assign may ask.
        state.app.need_managers(&ctx.actor, m.need_id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(DetailPage {
        layout,
        row: row_view(t, m),
        version: m.version,
        reasons: view.features.as_ref().map(|f| match_reasons(t, state.app.chains(), f)).unwrap_or_default(),
        note: m.note.clone().unwrap_or_default(),
        actions: view
            .actions
            .iter()
            .map(|a| (a.code(), t.code("match.action", a.code()), matches!(a, MatchAction::Drop)))
            .collect(),
        can_assign: view.can_assign,
        managers: managers
            .iter()
            .map(|c| ManagerOption {
                user_id: c.user_id,
                label: format!("{}（{}）", c.name, c.institution_name),
                score: c.score,
                reasons: manager_reasons(t, &c.features),
                selected: m.manager_user_id == Some(c.user_id),
            })
            .collect(),
        timeline: super::record_history(state, ctx, "tech_match", m.id).await,
        errors,
    })
}

/// `/matches/{id}`: one pair in the pipeline.
pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let notice = super::done_notice(ctx.t(), &pairs, "match.done");
    match detail_page(&state, &ctx, id, FormErrors::default(), notice).await {
        Ok(page) => render(&page),
        Err(e) => fail(&ctx, e),
    }
}

/// `POST /matches/{id}/{step}`: a pipeline step or `assign_manager`.
pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let result = if step == "assign_manager" {
        match form.get("manager_user_id").map(str::trim).filter(|v| !v.is_empty()) {
            None => state.app.assign_match_manager(&ctx.actor, id, version, None).await,
            Some(v) => match v.parse::<i64>() {
                Ok(user) => state.app.assign_match_manager(&ctx.actor, id, version, Some(user)).await,
                Err(_) => {
                    Err(AppError::field("manager_user_id", Violation::InvalidFormat { expected: "positive_integer" }))
                }
            },
        }
    } else {
        match MatchAction::from_code(&step) {
            Ok(action) => state.app.match_step(&ctx.actor, id, version, action, form.get("note")).await,
            Err(v) => Err(AppError::field("step", v)),
        }
    };
    match result {
        Ok(_) => see_other(&format!("/matches/{id}?done={step}")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => {
                let ctx = Ctx { path: format!("/matches/{id}"), ..ctx };
                match detail_page(&state, &ctx, id, errors, None).await {
                    Ok(page) => render_status(StatusCode::CONFLICT, &page),
                    Err(e) => fail(&ctx, e),
                }
            }
            None => fail(&ctx, e),
        },
    }
}
