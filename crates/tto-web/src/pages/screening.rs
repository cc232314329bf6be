//! Pages of screening rounds (遴选): achievements or start-up projects scored by reviewers on
//! weighted criteria, ranked, shortlisted and published.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::reviews::{RoundView, SCREENING};
use tto_app::{AppError, Permission};
use tto_domain::Violation;
use tto_store::reviews::{Round, RoundKind, RoundStatus};

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx, FormData};
use crate::format::{date, opt_date};
use crate::i18n::T;

pub fn status_badge(s: RoundStatus) -> &'static str {
    match s {
        RoundStatus::Draft => "grey",
        RoundStatus::Open => "blue",
        RoundStatus::Closed => "amber",
        RoundStatus::Published => "green",
    }
}

/// Renames error fields for the round's forms: the shared labels of `title`, `kind` and
/// `name` are an achievement's, and a score is named after its criterion.
fn rename(e: AppError) -> AppError {
    let map = |f: &mut String| {
        let renamed = match f.as_str() {
            "title" => Some("round_title".to_string()),
            "kind" => Some("round_kind".to_string()),
            "name" => Some("candidate_name".to_string()),
            "description" => Some("round_description".to_string()),
            other => {
                if let Some(code) = other.strip_prefix("scores.") {
                    Some(code.to_string())
                } else if other.starts_with("criteria[") && other.ends_with("].name") {
                    Some(other.replace("].name", "].criterion_name"))
                } else if other.starts_with("criteria[") && other.ends_with("].weight") {
                    Some(other.replace("].weight", "].criterion_weight"))
                } else {
                    None
                }
            }
        };
        if let Some(r) = renamed {
            *f = r;
        }
    };
    match e {
        AppError::Validation(mut v) => {
            for fe in v.errors.iter_mut() {
                map(&mut fe.field);
            }
            AppError::Validation(v)
        }
        AppError::Conflict { mut field, violation } => {
            map(&mut field);
            AppError::Conflict { field, violation }
        }
        other => other,
    }
}

// ---------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------

pub struct RoundRow {
    pub id: i64,
    pub title: String,
    pub institution: String,
    pub kind: String,
    pub status: String,
    pub badge: &'static str,
    pub scores_due_on: String,
    pub candidates: usize,
    pub shortlist_size: i64,
}

#[derive(Template)]
#[template(path = "screening/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<RoundRow>,
    can_manage: bool,
}

fn row(t: T, r: &Round) -> RoundRow {
    RoundRow {
        id: r.id,
        title: r.title.clone(),
        institution: r.institution_name.clone(),
        kind: t.code("screening.kind", r.kind.code()),
        status: t.code("screening.status", r.status.code()),
        badge: status_badge(r.status),
        scores_due_on: date(r.scores_due_on),
        candidates: r.candidates.len(),
        shortlist_size: r.shortlist_size,
    }
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    let rounds = match state.app.rounds(&ctx.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    render(&ListPage {
        layout: Layout::new(&ctx, t.s("screening.title")).crumb(t.s("screening.title"), "/screening"),
        rows: rounds.iter().map(|r| row(t, r)).collect(),
        can_manage: ctx.actor.user().is_some() && ctx.actor.can(Permission::ScreeningManage),
    })
}

// ---------------------------------------------------------------------------------------
// The new-round form
// ---------------------------------------------------------------------------------------

pub struct CriterionInput {
    pub index: usize,
    pub name: String,
    pub weight: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "screening/form.html")]
struct FormPage {
    layout: Layout,
    title: String,
    kinds: Vec<Choice>,
    description: String,
    criteria: Vec<CriterionInput>,
    scores_due_on: String,
    shortlist_size: String,
    errors: FormErrors,
}

struct RoundDraft {
    title: String,
    kind: String,
    description: String,
    criteria: Vec<(String, String)>,
    scores_due_on: String,
    shortlist_size: String,
}

fn form_page(ctx: &Ctx, d: &RoundDraft, errors: FormErrors) -> FormPage {
    let t = ctx.t();
    let mut rows: Vec<(String, String)> = d.criteria.clone();
    while rows.len() < 6 {
        rows.push((String::new(), String::new()));
    }
    // Errors are numbered among the rows that were filled in, as the use case sees them.
    let mut n = 0;
    let criteria = rows
        .into_iter()
        .enumerate()
        .map(|(i, (name, weight))| {
            let filled = !(name.trim().is_empty() && weight.trim().is_empty());
            let error = if filled {
                let e = errors.under(&format!("criteria[{n}]"));
                n += 1;
                e
            } else {
                String::new()
            };
            CriterionInput { index: i, name, weight, error }
        })
        .collect();
    FormPage {
        layout: Layout::new(ctx, t.s("screening.new"))
            .crumb(t.s("screening.title"), "/screening")
            .crumb(t.s("screening.new"), "/screening/new"),
        title: d.title.clone(),
        kinds: RoundKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.code().into(),
                label: t.code("screening.kind", k.code()),
                selected: d.kind == k.code(),
            })
            .collect(),
        description: d.description.clone(),
        criteria,
        scores_due_on: d.scores_due_on.clone(),
        shortlist_size: d.shortlist_size.clone(),
        errors,
    }
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Err(e) = ctx.actor.require(Permission::ScreeningManage) {
        return fail(&ctx, e);
    }
    let t = ctx.t();
    let due = state.app.today() + time::Duration::days(14);
    let d = RoundDraft {
        title: String::new(),
        kind: RoundKind::Achievement.code().into(),
        description: String::new(),
        criteria: [("novelty", "30"), ("market", "30"), ("maturity", "20"), ("team", "20")]
            .iter()
            .map(|(c, w)| (t.code("screening.criterion", c), (*w).to_string()))
            .collect(),
        scores_due_on: date(due),
        shortlist_size: "3".into(),
    };
    render(&form_page(&ctx, &d, FormErrors::default()))
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let ctx = Ctx { path: "/screening/new".into(), ..ctx };
    let d = RoundDraft {
        title: form.text("title"),
        kind: form.text("kind"),
        description: form.text("description"),
        criteria: form.all("criterion_name").into_iter().zip(form.all("criterion_weight")).collect(),
        scores_due_on: form.text("scores_due_on"),
        shortlist_size: form.text("shortlist_size"),
    };
    match state
        .app
        .create_round(&ctx.actor, &d.title, &d.kind, &d.description, &d.criteria, &d.scores_due_on, &d.shortlist_size)
        .await
    {
        Ok(r) => see_other(&format!("/screening/{}?done=created", r.id)),
        Err(e) => {
            let e = rename(e);
            match FormErrors::from_app(ctx.t(), &e) {
                Some(errors) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&ctx, &d, errors)),
                None => fail(&ctx, e),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The round
// ---------------------------------------------------------------------------------------

pub struct CriterionRow {
    pub name: String,
    pub weight: String,
}

pub struct CandidateRow {
    pub id: i64,
    pub achievement_id: Option<i64>,
    pub name: String,
    pub description: String,
    pub rank: String,
    pub shortlisted: bool,
    pub reviewers: usize,
    pub score: String,
    pub total: String,
    pub spread: String,
    pub means: Vec<String>,
}

pub struct ReviewerRow {
    pub name: String,
    pub conflict: bool,
    pub note: String,
}

pub struct ScoreForm {
    pub candidate: i64,
    pub name: String,
    pub fields: Vec<ScoreField>,
    pub comment: String,
}

pub struct ScoreField {
    pub id: String,
    pub code: String,
    pub value: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "screening/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    title: String,
    institution: String,
    kind: String,
    kind_code: &'static str,
    description: String,
    status: String,
    status_code: &'static str,
    badge: &'static str,
    scores_due_on: String,
    shortlist_size: i64,
    published_on: String,
    scale: String,
    scale_min: u32,
    scale_max: u32,
    criteria: Vec<CriterionRow>,
    candidates: Vec<CandidateRow>,
    show_results: bool,
    reviewers: Vec<ReviewerRow>,
    can_manage: bool,
    is_reviewer: bool,
    my_conflict: bool,
    to_score: Vec<ScoreForm>,
    achievements: Vec<Choice>,
    reviewer_choices: Vec<Choice>,
    candidate_name: String,
    candidate_description: String,
    conflict_note: String,
    errors: FormErrors,
}

/// (candidate, scores by criterion, comment) as typed.
type TypedScores = (i64, Vec<(String, String)>, String);

/// What the user typed in a form that failed, to show it again.
#[derive(Default)]
struct Typed {
    candidate_name: String,
    candidate_description: String,
    conflict_note: String,
    scores: Option<TypedScores>,
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    v: &RoundView,
    errors: FormErrors,
    typed: Typed,
    notice: Option<String>,
) -> DetailPage {
    let t = ctx.t();
    let r = &v.round;
    let mut layout = Layout::new(ctx, r.title.clone())
        .crumb(t.s("screening.title"), "/screening")
        .crumb(r.title.clone(), format!("/screening/{}", r.id));
    layout.notice = notice;
    let me = ctx.actor.user().map(|u| u.user_id.0);
    let mine = v.reviewers.iter().find(|rv| Some(rv.user_id) == me);
    let show_results = v.results.iter().any(|c| c.aggregate.is_some());
    let mut results: Vec<&tto_app::reviews::CandidateResult> = v.results.iter().collect();
    if matches!(r.status, RoundStatus::Closed | RoundStatus::Published) {
        results.sort_by_key(|c| c.candidate.rank.unwrap_or(i64::MAX));
    }
    let candidates = results
        .iter()
        .map(|c| {
            let a = c.aggregate.as_ref();
            CandidateRow {
                id: c.candidate.id,
                achievement_id: c.candidate.achievement_id.map(|a| a.0),
                name: c.candidate.name.clone(),
                description: c.candidate.description.clone(),
                rank: c.candidate.rank.map(|r| r.to_string()).unwrap_or_default(),
                shortlisted: c.candidate.shortlisted,
                reviewers: a.map(|a| a.reviewers).unwrap_or(0),
                score: a.map(|a| a.score.to_string()).unwrap_or_else(|| "—".into()),
                total: a.map(|a| a.total.to_string()).unwrap_or_else(|| "—".into()),
                spread: a.map(|a| a.spread.to_string()).unwrap_or_else(|| "—".into()),
                means: r
                    .template
                    .criteria
                    .iter()
                    .map(|cr| {
                        a.and_then(|a| a.criteria.iter().find(|x| x.code == cr.code))
                            .map(|x| x.mean.to_string())
                            .unwrap_or_else(|| "—".into())
                    })
                    .collect(),
            }
        })
        .collect();
    let to_score = r
        .candidates
        .iter()
        .filter(|c| v.to_score.contains(&c.id))
        .map(|c| {
            let typed_here = typed.scores.as_ref().filter(|(id, ..)| *id == c.id);
            ScoreForm {
                candidate: c.id,
                name: c.name.clone(),
                fields: r
                    .template
                    .criteria
                    .iter()
                    .enumerate()
                    .map(|(i, cr)| ScoreField {
                        id: format!("score-{}-{i}", c.id),
                        code: cr.code.clone(),
                        value: typed_here
                            .and_then(|(_, s, _)| s.iter().find(|(k, _)| *k == cr.code))
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                        error: if typed_here.is_some() { errors.of(&cr.code) } else { String::new() },
                    })
                    .collect(),
                comment: typed_here.map(|(.., c)| c.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let (achievements, reviewer_choices) = if v.can_manage && r.status == RoundStatus::Draft {
        let mut achievements = super::ip::own_achievements(state, ctx, None).await;
        achievements.retain(|c| {
            !r.candidates.iter().any(|x| x.achievement_id.map(|a| a.0.to_string()) == Some(c.value.clone()))
        });
        if let Some(first) = achievements.first_mut() {
            first.label = t.s("screening.choose_achievement").to_string();
        }
        let people = state.app.reviewer_candidates(&ctx.actor).await.unwrap_or_default();
        let reviewer_choices = people
            .into_iter()
            .filter(|(id, ..)| !v.reviewers.iter().any(|rv| rv.user_id == *id))
            .map(|(id, name, institution)| Choice {
                value: id.to_string(),
                label: format!("{name} · {institution}"),
                selected: false,
            })
            .collect();
        (achievements, reviewer_choices)
    } else {
        (Vec::new(), Vec::new())
    };
    DetailPage {
        layout,
        id: r.id,
        version: r.version,
        title: r.title.clone(),
        institution: r.institution_name.clone(),
        kind: t.code("screening.kind", r.kind.code()),
        kind_code: r.kind.code(),
        description: r.description.clone(),
        status: t.code("screening.status", r.status.code()),
        status_code: r.status.code(),
        badge: status_badge(r.status),
        scores_due_on: date(r.scores_due_on),
        shortlist_size: r.shortlist_size,
        published_on: opt_date(r.published_on),
        scale: format!("{} – {}", r.template.scale.0, r.template.scale.1),
        scale_min: r.template.scale.0,
        scale_max: r.template.scale.1,
        criteria: r
            .template
            .criteria
            .iter()
            .map(|c| CriterionRow { name: c.code.clone(), weight: format!("{} %", c.weight.value().normalize()) })
            .collect(),
        candidates,
        show_results,
        reviewers: if v.can_manage {
            v.reviewers
                .iter()
                .map(|rv| ReviewerRow {
                    name: rv.name.clone(),
                    conflict: rv.conflict,
                    note: rv.conflict_note.clone().unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        },
        can_manage: v.can_manage,
        is_reviewer: mine.is_some(),
        my_conflict: mine.is_some_and(|m| m.conflict),
        to_score,
        achievements,
        reviewer_choices,
        candidate_name: typed.candidate_name,
        candidate_description: typed.candidate_description,
        conflict_note: typed.conflict_note,
        errors,
    }
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::extract::Query(pairs): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    let v = match state.app.round(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let notice = super::done_notice(t, &pairs, "screening.done");
    render(&detail_page(&state, &ctx, &v, FormErrors::default(), Typed::default(), notice).await)
}

async fn after(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    done: &str,
    result: Result<(), AppError>,
    typed: Typed,
) -> Response {
    match result {
        Ok(()) => see_other(&format!("/screening/{id}?done={done}")),
        Err(e) => {
            let e = rename(e);
            match FormErrors::from_app(ctx.t(), &e) {
                Some(errors) => match state.app.round(&ctx.actor, id).await {
                    Ok(v) => {
                        let ctx = Ctx { path: format!("/screening/{id}"), ..ctx.clone() };
                        render_status(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            &detail_page(state, &ctx, &v, errors, typed, None).await,
                        )
                    }
                    Err(e) => fail(ctx, e),
                },
                None => fail(ctx, e),
            }
        }
    }
}

pub async fn add_candidate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let achievement = form.get("achievement_id").and_then(|v| v.trim().parse::<i64>().ok());
    let typed = Typed {
        candidate_name: form.text("name"),
        candidate_description: form.text("description"),
        ..Default::default()
    };
    let result =
        state.app.add_candidate(&ctx.actor, id, achievement, &typed.candidate_name, &typed.candidate_description).await;
    after(&state, &ctx, id, "candidate", result, typed).await
}

pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let reviewers: Vec<i64> = form.all("reviewer").iter().filter_map(|v| v.trim().parse().ok()).collect();
    let result = if reviewers.is_empty() {
        Err(AppError::field("reviewers", Violation::Required))
    } else {
        state.app.assign_round_reviewers(&ctx.actor, id, &reviewers).await
    };
    after(&state, &ctx, id, "reviewers", result, Typed::default()).await
}

pub async fn score(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, candidate)): Path<(i64, i64)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let scores = scores_from(&form);
    let comment = form.text("comment");
    let result = state.app.score_candidate(&ctx.actor, id, candidate, &scores, &comment).await;
    after(
        &state,
        &ctx,
        id,
        "scored",
        result,
        Typed { scores: Some((candidate, scores, comment)), ..Default::default() },
    )
    .await
}

/// Scores arrive as `criterion` / `score` pairs (criterion names are free text).
fn scores_from(form: &FormData) -> Vec<(String, String)> {
    form.all("criterion").into_iter().zip(form.all("score")).collect()
}

pub async fn conflict(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let note = form.text("conflict_note");
    let result = state.app.declare_conflict(&ctx.actor, SCREENING, id, &note).await;
    after(&state, &ctx, id, "conflict", result, Typed { conflict_note: note, ..Default::default() }).await
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let app = &state.app;
    let result = match step.as_str() {
        "open" => app.open_round(&ctx.actor, id, version).await.map(|_| ()),
        "close" => app.close_round(&ctx.actor, id, version).await.map(|_| ()),
        "publish" => app.publish_round(&ctx.actor, id, version).await.map(|_| ()),
        other => Err(AppError::field("step", Violation::UnknownChoice { value: other.to_string() })),
    };
    after(&state, &ctx, id, &step, result, Typed::default()).await
}
