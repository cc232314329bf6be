//! Pages of ownership empowerment (赋权协议).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::empowerment::{AgreementView, EmpowermentFilter};
use tto_app::{AppError, Permission};
use tto_domain::empowerment::{AgreementAction, AgreementStatus, EmpowermentKind, TermsDraft};
use tto_domain::{Achievement, AchievementId, Violation};

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx, FormData};
use crate::format::date;
use crate::xlsx::{Cell, download, workbook};

pub struct AgreementRowView {
    pub id: i64,
    pub achievement_id: i64,
    pub code: String,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub status_badge: &'static str,
    pub income_share: String,
    pub effective: String,
}

fn badge(s: AgreementStatus) -> &'static str {
    match s {
        AgreementStatus::Draft => "grey",
        AgreementStatus::Approved | AgreementStatus::Noticing => "amber",
        AgreementStatus::Effective => "green",
        AgreementStatus::Cancelled => "red",
    }
}

#[derive(Template)]
#[template(path = "empowerment/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<AgreementRowView>,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    export_href: String,
}

fn filter_from(pairs: &[(String, String)]) -> EmpowermentFilter {
    let get = |k: &str| pairs.iter().find(|(key, v)| key == k && !v.is_empty()).map(|(_, v)| v.as_str());
    EmpowermentFilter {
        achievement: get("achievement_id").and_then(|v| v.parse().ok()).map(AchievementId),
        kind: get("kind").and_then(|v| EmpowermentKind::from_code(v).ok()),
        status: get("status").and_then(|v| AgreementStatus::from_code(v).ok()),
    }
}

fn with_any(t: crate::i18n::T, items: Vec<Choice>, none: bool) -> Vec<Choice> {
    let mut v = vec![Choice { value: String::new(), label: t.s("filter.any").to_string(), selected: none }];
    v.extend(items);
    v
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let filter = filter_from(&pairs);
    let rows = match state.app.empowerment_agreements(&ctx.actor, &filter).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let query = pairs.iter().map(|(k, v)| format!("{k}={}", crate::filters::encode(v))).collect::<Vec<_>>().join("&");
    render(&ListPage {
        layout: Layout::new(&ctx, t.s("empowerment.title")).crumb(t.s("empowerment.title"), "/empowerment"),
        rows: rows
            .iter()
            .map(|r| AgreementRowView {
                id: r.id,
                achievement_id: r.achievement_id.0,
                code: r.achievement_code.clone(),
                title: r.achievement_title.clone(),
                kind: t.code("empowerment.kind", r.kind.code()),
                status: t.code("empowerment.status", r.status.code()),
                status_badge: badge(r.status),
                income_share: r.income_share.to_string(),
                effective: match (r.effective_from, r.effective_until) {
                    (Some(f), Some(u)) => format!("{} – {}", date(f), date(u)),
                    (Some(f), None) => date(f),
                    _ => "—".into(),
                },
            })
            .collect(),
        kinds: with_any(
            t,
            EmpowermentKind::ALL
                .iter()
                .map(|k| Choice {
                    value: k.code().into(),
                    label: t.code("empowerment.kind", k.code()),
                    selected: filter.kind == Some(*k),
                })
                .collect(),
            filter.kind.is_none(),
        ),
        statuses: with_any(
            t,
            AgreementStatus::ALL
                .iter()
                .map(|s| Choice {
                    value: s.code().into(),
                    label: t.code("empowerment.status", s.code()),
                    selected: filter.status == Some(*s),
                })
                .collect(),
            filter.status.is_none(),
        ),
        export_href: format!("/empowerment/export.xlsx?{query}"),
    })
}

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let rows = match state.app.empowerment_agreements(&ctx.actor, &filter_from(&pairs)).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.id),
                Cell::Text(r.achievement_code.clone()),
                Cell::Text(r.achievement_title.clone()),
                Cell::Text(t.code("empowerment.kind", r.kind.code())),
                Cell::Text(t.code("empowerment.status", r.status.code())),
                Cell::Text(r.income_share.value().normalize().to_string()),
                Cell::Text(r.effective_from.map(date).unwrap_or_default()),
                Cell::Text(r.effective_until.map(date).unwrap_or_default()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "empowerment.number",
        "field.code",
        "field.title",
        "empowerment.kind_label",
        "field.status",
        "empowerment.income_share",
        "empowerment.effective_from",
        "empowerment.effective_until",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("empowerment.xlsx", workbook(t.s("empowerment.title"), &headers, &cells))
}

pub struct PartyInput {
    pub index: usize,
    pub name: String,
    pub share: String,
    pub contribution: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "empowerment/form.html")]
struct FormPage {
    layout: Layout,
    achievement_id: i64,
    achievement_title: String,
    achievement_code: String,
    kinds: Vec<Choice>,
    parties: Vec<PartyInput>,
    income_share: String,
    cost_share: String,
    maintenance_share: String,
    decision_rules: String,
    term_years: String,
    deal_reference: String,
    term_help: String,
    current_ownership: String,
    errors: FormErrors,
}

fn form_page(
    ctx: &Ctx,
    a: &Achievement,
    draft: &TermsDraft,
    rules: (u32, String),
    errors: FormErrors,
    today: time::Date,
) -> FormPage {
    let t = ctx.t();
    let layout = Layout::new(ctx, t.s("empowerment.new"))
        .crumb(t.s("empowerment.title"), "/empowerment")
        .crumb(t.s("empowerment.new"), format!("/empowerment/new?achievement={}", a.id));
    let parties = a
        .fields
        .contributors
        .iter()
        .enumerate()
        .map(|(i, c)| PartyInput {
            index: i,
            name: c.name.clone(),
            share: draft.parties.iter().find(|(n, _)| *n == c.name).map(|(_, s)| s.clone()).unwrap_or_default(),
            contribution: c.share.to_string(),
            error: String::new(),
        })
        .collect::<Vec<_>>();
    // Party rows are numbered among the rows with a share, as the use case sees them.
    let mut parties = parties;
    let mut n = 0;
    for p in parties.iter_mut() {
        if !p.share.trim().is_empty() {
            p.error = errors.under(&format!("parties[{n}]"));
            n += 1;
        }
    }
    let current = a
        .owners_on(today)
        .map(|p| p.holders.iter().map(|h| format!("{} {}", h.name, h.share)).collect::<Vec<_>>().join("、"))
        .unwrap_or_default();
    FormPage {
        layout,
        achievement_id: a.id.0,
        achievement_title: a.fields.title.clone(),
        achievement_code: a.code.clone(),
        kinds: EmpowermentKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.code().into(),
                label: t.code("empowerment.kind", k.code()),
                selected: draft.kind == k.code(),
            })
            .collect(),
        parties,
        income_share: draft.income_share.clone(),
        cost_share: draft.cost_share.clone(),
        maintenance_share: draft.maintenance_share.clone(),
        decision_rules: draft.decision_rules.clone(),
        term_years: draft.term_years.clone().unwrap_or_default(),
        deal_reference: draft.deal_reference.clone().unwrap_or_default(),
        term_help: t.f("empowerment.term_help", &[("n", rules.0.to_string()), ("source", rules.1)]),
        current_ownership: current,
        errors,
    }
}

fn use_right_rule(state: &AppState) -> (u32, String) {
    let day = state.app.today();
    state
        .app
        .profile_on(day)
        .and_then(|p| {
            state.app.policy().count(&p.id, tto_domain::policy::ParamKey::EmpowermentUseRightMinTerm, day).ok()
        })
        .map(|(n, r)| (n, tto_app::empowerment::citation_of(r.parameter)))
        .unwrap_or((10, String::new()))
}

fn draft_from(form: &FormData) -> TermsDraft {
    let names = form.all("party_name");
    let shares = form.all("party_share");
    TermsDraft {
        kind: form.text("kind"),
        parties: names.into_iter().zip(shares).filter(|(_, s)| !s.trim().is_empty()).collect(),
        income_share: form.text("income_share"),
        cost_share: form.text("cost_share"),
        maintenance_share: form.text("maintenance_share"),
        decision_rules: form.text("decision_rules"),
        term_years: form.get("term_years").map(str::to_string),
        deal_reference: form.get("deal_reference").map(str::to_string),
    }
}

async fn achievement_for_form(state: &AppState, ctx: &Ctx, id: i64) -> Result<Achievement, AppError> {
    let view = state.app.achievement(&ctx.actor, AchievementId(id)).await?;
    if view.redacted {
        return Err(AppError::NotFound { entity: "achievement" });
    }
    ctx.actor.require_for(Permission::EmpowermentManage, view.achievement.institution_id)?;
    Ok(view.achievement)
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let Some(id) = pairs.iter().find(|(k, _)| k == "achievement").and_then(|(_, v)| v.parse::<i64>().ok()) else {
        return fail(&ctx, AppError::field("achievement", Violation::Required));
    };
    let a = match achievement_for_form(&state, &ctx, id).await {
        Ok(a) => a,
        Err(e) => return fail(&ctx, e),
    };
    let draft = TermsDraft {
        kind: EmpowermentKind::PartOwnership.code().into(),
        income_share: "70".into(),
        cost_share: "0".into(),
        maintenance_share: "0".into(),
        ..Default::default()
    };
    render(&form_page(&ctx, &a, &draft, use_right_rule(&state), FormErrors::default(), state.app.today()))
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let ctx = Ctx { path: "/empowerment/new".into(), ..ctx };
    let id = form.get("achievement_id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let draft = draft_from(&form);
    match state.app.create_empowerment(&ctx.actor, AchievementId(id), &draft).await {
        Ok(a) => see_other(&format!("/empowerment/{}?done=created", a.id)),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => match achievement_for_form(&state, &ctx, id).await {
                Ok(a) => render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &form_page(&ctx, &a, &draft, use_right_rule(&state), errors, state.app.today()),
                ),
                Err(e) => fail(&ctx, e),
            },
            None => fail(&ctx, e),
        },
    }
}

pub struct RuleRow {
    pub label: String,
    pub value: String,
    pub source: String,
    pub grade: String,
}

#[derive(Template)]
#[template(path = "empowerment/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    kind: String,
    kind_code: &'static str,
    status: String,
    status_badge: &'static str,
    achievement_id: i64,
    achievement_code: String,
    achievement_title: String,
    parties: Vec<(String, String)>,
    income_share: String,
    cost_share: String,
    maintenance_share: String,
    decision_rules: String,
    term_years: String,
    deal_reference: String,
    approved: String,
    notice: String,
    effective: String,
    cancel_reason: String,
    policy_profile: String,
    actions: Vec<&'static str>,
    rules: Vec<RuleRow>,
    today: String,
    notice_help: String,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
}

fn detail_page(
    ctx: &Ctx,
    v: &AgreementView,
    timeline: Vec<(String, String, String)>,
    today: time::Date,
    errors: FormErrors,
    notice: Option<String>,
) -> DetailPage {
    let t = ctx.t();
    let a = &v.agreement;
    let title = format!("{} #{}", t.s("empowerment.agreement"), a.id);
    let mut layout = Layout::new(ctx, title.clone())
        .crumb(t.s("empowerment.title"), "/empowerment")
        .crumb(title, format!("/empowerment/{}", a.id));
    layout.notice = notice;
    let dash = || "—".to_string();
    DetailPage {
        layout,
        id: a.id,
        version: a.version,
        kind: t.code("empowerment.kind", a.terms.kind.code()),
        kind_code: a.terms.kind.code(),
        status: t.code("empowerment.status", a.status.code()),
        status_badge: badge(a.status),
        achievement_id: a.achievement_id.0,
        achievement_code: v.achievement.code.clone(),
        achievement_title: v.achievement.fields.title.clone(),
        parties: a.terms.parties.iter().map(|p| (p.name.clone(), p.share.to_string())).collect(),
        income_share: a.terms.income_share.to_string(),
        cost_share: a.terms.cost_share.to_string(),
        maintenance_share: a.terms.maintenance_share.to_string(),
        decision_rules: a.terms.decision_rules.clone(),
        term_years: a.terms.term_years.map(|y| t.f("unit.years", &[("n", y.to_string())])).unwrap_or_else(dash),
        deal_reference: a.terms.deal_reference.clone().unwrap_or_else(dash),
        approved: match (&a.approved_on, &a.approval_ref) {
            (Some(d), Some(r)) => format!("{} · {r}", date(*d)),
            _ => dash(),
        },
        notice: match (a.notice_starts_on, a.notice_ends_on) {
            (Some(s), Some(e)) => format!("{} – {}", date(s), date(e)),
            _ => dash(),
        },
        effective: match (a.effective_from, a.effective_until) {
            (Some(f), Some(u)) => format!("{} – {}", date(f), date(u)),
            (Some(f), None) => date(f),
            _ => dash(),
        },
        cancel_reason: a.cancel_reason.clone().unwrap_or_default(),
        policy_profile: a.policy_profile.clone(),
        actions: v.actions.iter().map(|a| a.code()).collect(),
        rules: v
            .rules
            .iter()
            .map(|p| RuleRow {
                label: t.code("policy.key", p.key.code()),
                value: super::policy::value_lines(t, &p.value).join("；"),
                source: tto_app::empowerment::citation_of(p),
                grade: p.grade.code().to_string(),
            })
            .collect(),
        today: date(today),
        notice_help: t.f("empowerment.notice_help", &[("n", v.notice_min_days.to_string())]),
        timeline,
        errors,
    }
}

async fn timeline(state: &AppState, ctx: &Ctx, id: i64) -> Vec<(String, String, String)> {
    super::record_history(state, ctx, "empowerment_agreement", id).await
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let view = match state.app.empowerment_agreement(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let notice = super::done_notice(t, &pairs, "empowerment.notice");
    let tl = timeline(&state, &ctx, id).await;
    render(&detail_page(&ctx, &view, tl, state.app.today(), FormErrors::default(), notice))
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let app = &state.app;
    let result = match AgreementAction::from_code(&step) {
        Ok(AgreementAction::Approve) => {
            app.approve_empowerment(&ctx.actor, id, version, &form.text("approved_on"), &form.text("approval_ref"))
                .await
        }
        Ok(AgreementAction::StartNotice) => {
            app.start_empowerment_notice(
                &ctx.actor,
                id,
                version,
                &form.text("notice_starts_on"),
                &form.text("notice_ends_on"),
            )
            .await
        }
        Ok(AgreementAction::TakeEffect) => {
            app.empowerment_take_effect(&ctx.actor, id, version, &form.text("effective_from")).await
        }
        Ok(AgreementAction::Cancel) => {
            app.cancel_empowerment(&ctx.actor, id, version, &form.text("cancel_reason")).await
        }
        Err(v) => Err(AppError::field("step", v)),
    };
    match result {
        Ok(_) => see_other(&format!("/empowerment/{id}?done={step}")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => match state.app.empowerment_agreement(&ctx.actor, id).await {
                Ok(view) => {
                    let tl = timeline(&state, &ctx, id).await;
                    let ctx = Ctx { path: format!("/empowerment/{id}"), ..ctx };
                    render_status(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &detail_page(&ctx, &view, tl, state.app.today(), errors, None),
                    )
                }
                Err(e) => fail(&ctx, e),
            },
            None => fail(&ctx, e),
        },
    }
}
