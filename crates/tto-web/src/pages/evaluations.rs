//! Pages of pre-filing patent evaluations (专利申请前评估, measure 六): the TTO starts an
//! evaluation of an achievement with reviewers, each reviewer scores the profile's weighted
//! criteria once (or declares a conflict of interest), and the TTO records its
//! recommendation. A printable report and Excel exports go with it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::achievements::{AchievementFilter, AchievementPage, AchievementSort};
use tto_app::reviews::{EVALUATION, EvaluationView};
use tto_app::{AppError, Permission};
use tto_domain::evaluation::{Recommendation, Template as Scoring};
use tto_domain::{AchievementStatus, Violation};
use tto_store::reviews::{Evaluation, EvaluationStatus};

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx, FormData};
use crate::format::{date, datetime, opt_date};
use crate::i18n::T;
use crate::xlsx::{Cell, download, workbook};

pub fn badge(s: EvaluationStatus) -> &'static str {
    match s {
        EvaluationStatus::Open => "amber",
        EvaluationStatus::Decided => "green",
    }
}

pub fn recommendation_badge(r: Recommendation) -> &'static str {
    match r {
        Recommendation::FilePatent => "green",
        Recommendation::TechnicalSecret => "purple",
        Recommendation::DontFile => "red",
        Recommendation::Defer => "grey",
    }
}

/// The spread between reviewers' weighted totals that calls for a discussion: a quarter of
/// the scale's range (1 point on a 1–5 scale).
fn spread_is_large(template: &Scoring, spread: &impl ToString) -> bool {
    // Exact totals have two decimals; comparing them as text-read numbers is exact enough here.
    let spread = spread.to_string().parse::<f64>().unwrap_or(0.0);
    let range = f64::from(template.scale.1.saturating_sub(template.scale.0));
    spread > 0.0 && spread * 4.0 >= range
}

fn criterion_label(t: T, code: &str) -> String {
    t.code("evaluation.criterion", code)
}

/// The anchored descriptions of a criterion at the low, middle and high end of the scale.
fn anchors(t: T, template: &Scoring, code: &str) -> Vec<(u32, String)> {
    let (lo, hi) = template.scale;
    let mid = lo + (hi - lo) / 2;
    [(lo, "1"), (mid, "3"), (hi, "5")]
        .iter()
        .filter_map(|(n, key)| {
            let text = t.code(&format!("evaluation.anchor.{code}"), key);
            (text != *key).then_some((*n, text))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// List and export
// ---------------------------------------------------------------------------------------

pub struct EvaluationRow {
    pub id: i64,
    pub achievement_id: i64,
    pub code: String,
    pub title: String,
    pub status: String,
    pub status_badge: &'static str,
    pub recommendation: String,
    pub recommendation_badge: &'static str,
    pub reviewers: String,
    pub score: String,
    pub to_score: bool,
    pub created: String,
    pub decided_on: String,
}

pub struct StatusTab {
    pub label: String,
    pub href: String,
    pub count: usize,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "evaluations/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<EvaluationRow>,
    tabs: Vec<StatusTab>,
    total: usize,
    office: bool,
    can_create: bool,
    to_score: usize,
    export_href: String,
}

fn status_filter(pairs: &[(String, String)]) -> Option<EvaluationStatus> {
    pairs.iter().find(|(k, v)| k == "status" && !v.is_empty()).and_then(|(_, v)| EvaluationStatus::from_code(v).ok())
}

/// The evaluations the actor sees, each with its view (reviewers, results, may the actor score).
async fn rows_with_views(
    state: &AppState,
    ctx: &Ctx,
    status: Option<EvaluationStatus>,
) -> Result<(Vec<Evaluation>, Vec<(Evaluation, Option<EvaluationView>)>), AppError> {
    let all = state.app.evaluations(&ctx.actor, None).await?;
    let mut out = Vec::new();
    for e in all.iter().filter(|e| status.is_none_or(|s| e.status == s)) {
        out.push((e.clone(), state.app.evaluation(&ctx.actor, e.id).await.ok()));
    }
    Ok((all, out))
}

/// Results are hidden from a reviewer who has still to score (independence).
fn results_visible(ctx: &Ctx, v: &EvaluationView) -> bool {
    ctx.actor.require_for(Permission::EvaluationRead, v.evaluation.institution_id).is_ok() || !v.may_score
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let status = status_filter(&pairs);
    let (all, rows) = match rows_with_views(&state, &ctx, status).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let mut tabs = vec![StatusTab {
        label: t.s("filter.any").to_string(),
        href: "/evaluations".into(),
        count: all.len(),
        current: status.is_none(),
    }];
    tabs.extend(EvaluationStatus::ALL.iter().map(|s| StatusTab {
        label: t.code("evaluation.status", s.code()),
        href: format!("/evaluations?status={}", s.code()),
        count: all.iter().filter(|e| e.status == *s).count(),
        current: status == Some(*s),
    }));
    let rows: Vec<EvaluationRow> = rows
        .iter()
        .map(|(e, v)| {
            let (reviewers, score, to_score) = match v {
                Some(v) => {
                    let active = v.reviewers.iter().filter(|r| !r.conflict).count();
                    let scored = v.aggregate.as_ref().map(|a| a.reviewers).unwrap_or(0);
                    let score = match (&v.aggregate, results_visible(&ctx, v)) {
                        (Some(a), true) => a.score.to_string(),
                        _ => "—".into(),
                    };
                    (format!("{scored} / {active}"), score, v.may_score)
                }
                None => ("—".into(), "—".into(), false),
            };
            EvaluationRow {
                id: e.id,
                achievement_id: e.achievement_id.0,
                code: e.achievement_code.clone(),
                title: e.achievement_title.clone(),
                status: t.code("evaluation.status", e.status.code()),
                status_badge: badge(e.status),
                recommendation: e
                    .recommendation
                    .map(|r| t.code("evaluation.recommendation", r.code()))
                    .unwrap_or_default(),
                recommendation_badge: e.recommendation.map(recommendation_badge).unwrap_or("grey"),
                reviewers,
                score,
                to_score,
                created: date(e.created_at.date()),
                decided_on: opt_date(e.decided_on),
            }
        })
        .collect();
    let title = t.s("evaluation.title");
    render(&ListPage {
        layout: Layout::new(&ctx, title).crumb(title, "/evaluations"),
        total: all.len(),
        to_score: rows.iter().filter(|r| r.to_score).count(),
        rows,
        tabs,
        office: ctx.actor.can(Permission::EvaluationRead),
        can_create: ctx.actor.can(Permission::EvaluationManage),
        export_href: match status {
            Some(s) => format!("/evaluations/export.xlsx?status={}", s.code()),
            None => "/evaluations/export.xlsx".into(),
        },
    })
}

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let (_, rows) = match rows_with_views(&state, &ctx, status_filter(&pairs)).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|(e, v)| {
            let visible = v.as_ref().filter(|v| results_visible(&ctx, v));
            let agg = visible.and_then(|v| v.aggregate.as_ref());
            vec![
                Cell::Int(e.id),
                Cell::Text(e.achievement_code.clone()),
                Cell::Text(e.achievement_title.clone()),
                Cell::Text(t.code("evaluation.status", e.status.code())),
                Cell::Text(e.recommendation.map(|r| t.code("evaluation.recommendation", r.code())).unwrap_or_default()),
                Cell::Text(
                    v.as_ref()
                        .map(|v| v.reviewers.iter().map(|r| r.name.clone()).collect::<Vec<_>>().join("、"))
                        .unwrap_or_default(),
                ),
                Cell::Int(agg.map(|a| a.reviewers as i64).unwrap_or(0)),
                Cell::Text(agg.map(|a| a.total.to_string()).unwrap_or_default()),
                Cell::Text(agg.map(|a| a.score.to_string()).unwrap_or_default()),
                Cell::Text(agg.map(|a| a.spread.to_string()).unwrap_or_default()),
                Cell::Text(date(e.created_at.date())),
                Cell::Text(opt_date(e.decided_on)),
                Cell::Text(e.policy_profile.clone()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "evaluation.number",
        "field.code",
        "field.title",
        "field.status",
        "field.recommendation",
        "field.reviewers",
        "evaluation.scored",
        "evaluation.total",
        "evaluation.score",
        "evaluation.spread",
        "field.created_at",
        "evaluation.decided_on",
        "policy.profile",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("evaluations.xlsx", workbook(t.s("evaluation.title"), &headers, &cells))
}

// ---------------------------------------------------------------------------------------
// Starting an evaluation
// ---------------------------------------------------------------------------------------

pub struct CriterionPreview {
    pub label: String,
    pub weight: String,
}

pub struct RuleRow {
    pub label: String,
    pub value: String,
    pub source: String,
    pub grade: String,
}

fn rule_rows(t: T, rules: &[tto_domain::policy::Parameter]) -> Vec<RuleRow> {
    rules
        .iter()
        .map(|p| RuleRow {
            label: t.code("policy.key", p.key.code()),
            value: super::policy::value_lines(t, &p.value).join("；"),
            source: tto_app::empowerment::citation_of(p),
            grade: p.grade.code().to_string(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "evaluations/form.html")]
struct FormPage {
    layout: Layout,
    achievements: Vec<Choice>,
    reviewers: Vec<Choice>,
    criteria: Vec<CriterionPreview>,
    scale: String,
    rules: Vec<RuleRow>,
    errors: FormErrors,
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    achievement: Option<i64>,
    chosen: &[i64],
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let t = ctx.t();
    ctx.actor.require(Permission::EvaluationManage)?;
    let candidates = state.app.reviewer_candidates(&ctx.actor).await?;
    let filter = AchievementFilter { institution: ctx.actor.institution_id(), ..Default::default() };
    let listing = state
        .app
        .list_achievements(
            &ctx.actor,
            &filter,
            AchievementSort::default(),
            AchievementPage::Offset { offset: 0, limit: 200 },
        )
        .await?;
    let mut achievements =
        vec![Choice { value: String::new(), label: t.s("form.choose").to_string(), selected: achievement.is_none() }];
    achievements.extend(listing.rows.iter().filter(|r| !matches!(r.status, AchievementStatus::Withdrawn)).map(|r| {
        Choice {
            value: r.id.0.to_string(),
            label: format!("{} · {}", r.code, r.title),
            selected: achievement == Some(r.id.0),
        }
    }));
    // An achievement outside the first page (chosen from its own page) is still offered.
    if let Some(id) = achievement
        && !achievements.iter().any(|c| c.selected)
        && let Ok(v) = state.app.achievement(&ctx.actor, tto_domain::AchievementId(id)).await
    {
        achievements.push(Choice {
            value: id.to_string(),
            label: format!("{} · {}", v.achievement.code, v.achievement.fields.title),
            selected: true,
        });
    }
    let (template, rules) = state.app.prefiling_template(state.app.today())?;
    let layout = Layout::new(ctx, t.s("evaluation.new"))
        .crumb(t.s("evaluation.title"), "/evaluations")
        .crumb(t.s("evaluation.new"), "/evaluations/new");
    Ok(FormPage {
        layout,
        achievements,
        reviewers: candidates
            .iter()
            .map(|(id, name, institution)| Choice {
                value: id.to_string(),
                label: format!("{name}（{institution}）"),
                selected: chosen.contains(id),
            })
            .collect(),
        criteria: template
            .criteria
            .iter()
            .map(|c| CriterionPreview { label: criterion_label(t, &c.code), weight: c.weight.to_string() })
            .collect(),
        scale: format!("{}–{}", template.scale.0, template.scale.1),
        rules: rule_rows(t, &rules),
        errors,
    })
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let achievement = pairs.iter().find(|(k, _)| k == "achievement_id").and_then(|(_, v)| v.parse::<i64>().ok());
    match form_page(&state, &ctx, achievement, &[], FormErrors::default()).await {
        Ok(page) => render(&page),
        Err(e) => fail(&ctx, e),
    }
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let ctx = Ctx { path: "/evaluations/new".into(), ..ctx };
    let achievement = form.get("achievement_id").and_then(|v| v.trim().parse::<i64>().ok());
    let reviewers: Vec<i64> = form.all("reviewers").iter().filter_map(|v| v.parse().ok()).collect();
    let result = match achievement {
        Some(a) => state.app.start_evaluation(&ctx.actor, a, &reviewers).await,
        None => Err(AppError::field("achievement_id", Violation::Required)),
    };
    match result {
        Ok(e) => see_other(&format!("/evaluations/{}?done=created", e.id)),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => match form_page(&state, &ctx, achievement, &reviewers, errors).await {
                Ok(page) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &page),
                Err(e) => fail(&ctx, e),
            },
            None => fail(&ctx, e),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Detail and report
// ---------------------------------------------------------------------------------------

pub struct CriterionView {
    pub code: String,
    pub label: String,
    pub weight: String,
    pub anchors: Vec<(u32, String)>,
    /// Radio choices of the scoring form: (value, checked).
    pub choices: Vec<(u32, bool)>,
    pub error: String,
}

pub struct ResultRow {
    pub label: String,
    pub weight: String,
    pub mean: String,
    pub range: String,
    /// Reviewers disagree by half the scale or more on this criterion.
    pub disagree: bool,
}

pub struct SheetRow {
    pub reviewer: String,
    pub scores: Vec<u32>,
    pub total: String,
    pub comment: String,
    pub scored_at: String,
}

pub struct ReviewerRow {
    pub name: String,
    pub state: String,
    pub state_badge: &'static str,
    pub note: String,
}

pub struct Results {
    pub rows: Vec<ResultRow>,
    pub total: String,
    pub score: String,
    pub spread: String,
    pub spread_large: bool,
    pub spread_help: String,
    pub reviewers: usize,
}

#[derive(Template)]
#[template(path = "evaluations/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    achievement_id: i64,
    achievement_code: String,
    achievement_title: String,
    institution: String,
    status: String,
    status_code: &'static str,
    status_badge: &'static str,
    recommendation: String,
    recommendation_code: String,
    recommendation_badge: &'static str,
    reasons: String,
    decided_on: String,
    created: String,
    policy_profile: String,
    scale: String,
    criteria: Vec<CriterionView>,
    reviewers: Vec<ReviewerRow>,
    sheets: Vec<SheetRow>,
    results: Option<Results>,
    results_hidden: bool,
    may_score: bool,
    can_manage: bool,
    recommendations: Vec<Choice>,
    reasons_typed: String,
    comment_typed: String,
    conflict_typed: String,
    rules: Vec<RuleRow>,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
}

/// What a person typed into the forms of the page (kept when shown again with errors).
#[derive(Default)]
struct Typed {
    scores: Vec<(String, String)>,
    comment: String,
    conflict: String,
    recommendation: String,
    reasons: String,
}

fn results_of(t: T, v: &EvaluationView) -> Option<Results> {
    let template = &v.evaluation.template;
    v.aggregate.as_ref().map(|a| {
        let spread_large = spread_is_large(template, &a.spread);
        let range = template.scale.1.saturating_sub(template.scale.0);
        Results {
            rows: a
                .criteria
                .iter()
                .map(|c| ResultRow {
                    label: criterion_label(t, &c.code),
                    weight: c.weight.to_string(),
                    mean: format!("{:.2}", c.mean),
                    range: format!("{}–{}", c.min, c.max),
                    disagree: range > 0 && (c.max - c.min) * 2 >= range,
                })
                .collect(),
            total: a.total.to_string(),
            score: a.score.to_string(),
            spread: a.spread.to_string(),
            spread_large,
            spread_help: if spread_large {
                t.f("evaluation.spread_large", &[("spread", a.spread.to_string())])
            } else {
                t.s("evaluation.spread_small").to_string()
            },
            reviewers: a.reviewers,
        }
    })
}

fn sheet_rows(v: &EvaluationView) -> Vec<SheetRow> {
    let totals = v.aggregate.as_ref().map(|a| a.totals.clone()).unwrap_or_default();
    v.sheets
        .iter()
        .enumerate()
        .map(|(i, s)| SheetRow {
            reviewer: s.sheet.reviewer.clone(),
            scores: v
                .evaluation
                .template
                .criteria
                .iter()
                .map(|c| s.sheet.scores.iter().find(|(code, _)| *code == c.code).map(|(_, n)| *n).unwrap_or(0))
                .collect(),
            total: totals.get(i).map(|(_, d)| d.to_string()).unwrap_or_default(),
            comment: s.comment.clone().unwrap_or_default(),
            scored_at: datetime(s.scored_at),
        })
        .collect()
}

fn reviewer_rows(t: T, v: &EvaluationView, visible: bool) -> Vec<ReviewerRow> {
    v.reviewers
        .iter()
        .map(|r| {
            let scored = v.sheets.iter().any(|s| s.user_id == r.user_id);
            let (state, badge) = if r.conflict {
                ("conflict", "red")
            } else if scored {
                ("scored", "green")
            } else if visible {
                ("waiting", "amber")
            } else {
                ("hidden", "grey")
            };
            ReviewerRow {
                name: r.name.clone(),
                state: t.code("evaluation.reviewer_state", state),
                state_badge: badge,
                note: r.conflict_note.clone().unwrap_or_default(),
            }
        })
        .collect()
}

fn detail_page(
    ctx: &Ctx,
    v: &EvaluationView,
    institution: String,
    timeline: Vec<(String, String, String)>,
    typed: Typed,
    errors: FormErrors,
    notice: Option<String>,
) -> DetailPage {
    let t = ctx.t();
    let e = &v.evaluation;
    let title = format!("{} #{}", t.s("evaluation.evaluation"), e.id);
    let mut layout = Layout::new(ctx, title.clone())
        .crumb(t.s("evaluation.title"), "/evaluations")
        .crumb(title, format!("/evaluations/{}", e.id));
    layout.notice = notice;
    let visible = results_visible(ctx, v);
    let template = &e.template;
    DetailPage {
        layout,
        id: e.id,
        version: e.version,
        achievement_id: e.achievement_id.0,
        achievement_code: e.achievement_code.clone(),
        achievement_title: e.achievement_title.clone(),
        institution,
        status: t.code("evaluation.status", e.status.code()),
        status_code: e.status.code(),
        status_badge: badge(e.status),
        recommendation: e.recommendation.map(|r| t.code("evaluation.recommendation", r.code())).unwrap_or_default(),
        recommendation_code: e.recommendation.map(|r| r.code().to_string()).unwrap_or_default(),
        recommendation_badge: e.recommendation.map(recommendation_badge).unwrap_or("grey"),
        reasons: e.reasons.clone().unwrap_or_default(),
        decided_on: opt_date(e.decided_on),
        created: datetime(e.created_at),
        policy_profile: e.policy_profile.clone(),
        scale: format!("{}–{}", template.scale.0, template.scale.1),
        criteria: template
            .criteria
            .iter()
            .map(|c| {
                let typed_score = typed.scores.iter().find(|(code, _)| *code == c.code).map(|(_, s)| s.as_str());
                CriterionView {
                    code: c.code.clone(),
                    label: criterion_label(t, &c.code),
                    weight: c.weight.to_string(),
                    anchors: anchors(t, template, &c.code),
                    choices: (template.scale.0..=template.scale.1)
                        .map(|n| (n, typed_score == Some(n.to_string().as_str())))
                        .collect(),
                    error: errors.of(&format!("scores.{}", c.code)),
                }
            })
            .collect(),
        reviewers: reviewer_rows(t, v, visible),
        sheets: if visible { sheet_rows(v) } else { Vec::new() },
        results: if visible { results_of(t, v) } else { None },
        results_hidden: !visible,
        may_score: v.may_score,
        can_manage: v.can_manage,
        recommendations: Recommendation::ALL
            .iter()
            .map(|r| Choice {
                value: r.code().into(),
                label: t.code("evaluation.recommendation", r.code()),
                selected: typed.recommendation == r.code(),
            })
            .collect(),
        reasons_typed: typed.reasons,
        comment_typed: typed.comment,
        conflict_typed: typed.conflict,
        rules: rule_rows(t, &v.rules),
        timeline,
        errors,
    }
}

async fn timeline(state: &AppState, ctx: &Ctx, id: i64) -> Vec<(String, String, String)> {
    super::record_history(state, ctx, EVALUATION, id).await
}

async fn institution_of(state: &AppState, ctx: &Ctx, e: &Evaluation) -> String {
    state.app.achievement(&ctx.actor, e.achievement_id).await.map(|v| v.institution_name).unwrap_or_default()
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let view = match state.app.evaluation(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let notice = super::done_notice(t, &pairs, "evaluation.done");
    let tl = timeline(&state, &ctx, id).await;
    let institution = institution_of(&state, &ctx, &view.evaluation).await;
    render(&detail_page(&ctx, &view, institution, tl, Typed::default(), FormErrors::default(), notice))
}

async fn detail_with_errors(state: &AppState, ctx: Ctx, id: i64, typed: Typed, e: AppError) -> Response {
    let ctx = Ctx { path: format!("/evaluations/{id}"), ..ctx };
    match FormErrors::from_app(ctx.t(), &e) {
        Some(errors) => match state.app.evaluation(&ctx.actor, id).await {
            Ok(view) => {
                let tl = timeline(state, &ctx, id).await;
                let institution = institution_of(state, &ctx, &view.evaluation).await;
                render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &detail_page(&ctx, &view, institution, tl, typed, errors, None),
                )
            }
            Err(e) => fail(&ctx, e),
        },
        None => fail(&ctx, e),
    }
}

fn typed_scores(form: &FormData) -> Vec<(String, String)> {
    form.0.iter().filter_map(|(k, v)| k.strip_prefix("score_").map(|code| (code.to_string(), v.clone()))).collect()
}

pub async fn score(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, CsrfForm(form): CsrfForm) -> Response {
    let view = match state.app.evaluation(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let typed = typed_scores(&form);
    // Every criterion of the template is sent, so a missing choice is "required", not absent.
    let mut scores: Vec<(String, String)> = view
        .evaluation
        .template
        .criteria
        .iter()
        .map(|c| {
            let v = typed.iter().find(|(code, _)| *code == c.code).map(|(_, s)| s.clone()).unwrap_or_default();
            (c.code.clone(), v)
        })
        .collect();
    let unknown: Vec<(String, String)> =
        typed.iter().filter(|(code, _)| !scores.iter().any(|(c, _)| c == code)).cloned().collect();
    scores.extend(unknown);
    let comment = form.text("comment");
    match state.app.score_evaluation(&ctx.actor, id, &scores, &comment).await {
        Ok(()) => see_other(&format!("/evaluations/{id}?done=scored")),
        Err(e) => {
            let typed = Typed { scores: typed, comment, ..Default::default() };
            detail_with_errors(&state, ctx, id, typed, e).await
        }
    }
}

pub async fn conflict(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let note = form.text("conflict_note");
    match state.app.declare_conflict(&ctx.actor, EVALUATION, id, &note).await {
        Ok(()) => see_other(&format!("/evaluations/{id}?done=conflict")),
        Err(e) => detail_with_errors(&state, ctx, id, Typed { conflict: note, ..Default::default() }, e).await,
    }
}

pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let recommendation = form.text("recommendation");
    let reasons = form.text("reasons");
    match state.app.decide_evaluation(&ctx.actor, id, version, &recommendation, &reasons).await {
        Ok(_) => see_other(&format!("/evaluations/{id}?done=decided")),
        Err(e) => {
            let typed = Typed { recommendation, reasons, ..Default::default() };
            detail_with_errors(&state, ctx, id, typed, e).await
        }
    }
}

#[derive(Template)]
#[template(path = "evaluations/report.html")]
struct ReportPage {
    t: T,
    lang: &'static str,
    page: DetailPage,
    printed: String,
    source_note: String,
}

pub async fn report(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let view = match state.app.evaluation(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let institution = institution_of(&state, &ctx, &view.evaluation).await;
    let tl = timeline(&state, &ctx, id).await;
    let page = detail_page(&ctx, &view, institution, tl, Typed::default(), FormErrors::default(), None);
    render(&ReportPage {
        t,
        lang: t.lang_code(),
        source_note: t.f("evaluation.report_source", &[("profile", page.policy_profile.clone())]),
        page,
        printed: datetime(state.app.now()),
    })
}

/// One evaluation's score sheets as a workbook: a row per reviewer, then mean, lowest, highest.
pub async fn export_sheets(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let view = match state.app.evaluation(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let template = &view.evaluation.template;
    let mut headers = vec![t.s("field.reviewer").to_string()];
    headers.extend(template.criteria.iter().map(|c| format!("{} ({})", criterion_label(t, &c.code), c.weight)));
    headers.push(t.s("evaluation.weighted_total").to_string());
    headers.push(t.s("evaluation.comment").to_string());
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    if results_visible(&ctx, &view) {
        for s in sheet_rows(&view) {
            let mut row = vec![Cell::Text(s.reviewer)];
            row.extend(s.scores.iter().map(|n| Cell::Int(i64::from(*n))));
            row.push(Cell::Text(s.total));
            row.push(Cell::Text(s.comment));
            rows.push(row);
        }
        if let Some(a) = &view.aggregate {
            let mut mean = vec![Cell::Text(t.s("evaluation.mean").to_string())];
            mean.extend(a.criteria.iter().map(|c| Cell::Text(format!("{:.2}", c.mean))));
            mean.push(Cell::Text(a.total.to_string()));
            rows.push(mean);
            let mut low = vec![Cell::Text(t.s("evaluation.min").to_string())];
            low.extend(a.criteria.iter().map(|c| Cell::Int(i64::from(c.min))));
            rows.push(low);
            let mut high = vec![Cell::Text(t.s("evaluation.max").to_string())];
            high.extend(a.criteria.iter().map(|c| Cell::Int(i64::from(c.max))));
            rows.push(high);
            rows.push(vec![Cell::Text(t.s("evaluation.score").to_string()), Cell::Text(a.score.to_string())]);
            rows.push(vec![Cell::Text(t.s("evaluation.spread").to_string()), Cell::Text(a.spread.to_string())]);
        }
    }
    for r in view.reviewers.iter().filter(|r| r.conflict) {
        rows.push(vec![
            Cell::Text(r.name.clone()),
            Cell::Text(format!("{}：{}", t.s("evaluation.conflict"), r.conflict_note.clone().unwrap_or_default())),
        ]);
    }
    download(&format!("evaluation-{id}.xlsx"), workbook(t.s("evaluation.evaluation"), &headers, &rows))
}
