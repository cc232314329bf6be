//! Pages of the separate ledger (单列管理台账).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::ledger::LedgerView;
use tto_domain::ledger::{AssessmentDraft, ConversionDraft, ConversionMode, Recognition, Stage};
use tto_domain::{AchievementId, FundingSource};
use tto_store::ledger::{LedgerRow, Reconciliation};

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::api::ledger::ledger_filter;
use crate::context::{CsrfForm, Ctx};
use crate::format::date;
use crate::xlsx::{Cell, download, workbook};

pub struct Row {
    pub achievement_id: i64,
    pub code: String,
    pub title: String,
    pub funding: String,
    pub stage: String,
    pub measurable: String,
    pub recognition: String,
    pub recognition_badge: &'static str,
    pub book_value: String,
    pub bookings: i64,
}

fn recognition_badge(r: Recognition) -> &'static str {
    match r {
        Recognition::NotRecognised => "grey",
        Recognition::RecognisedAtCost => "blue",
        Recognition::Booked => "green",
    }
}

pub struct Finding {
    pub label: String,
    pub items: Vec<(i64, String, String)>,
}

#[derive(Template)]
#[template(path = "ledger/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    total: usize,
    stages: Vec<Choice>,
    recognitions: Vec<Choice>,
    measurables: Vec<Choice>,
    fundings: Vec<Choice>,
    findings: Vec<Finding>,
    missing: usize,
    can_manage: bool,
    export_href: String,
    error: String,
    rule: String,
}

fn choice_list(t: crate::i18n::T, prefix: &str, codes: &[&'static str], selected: Option<&str>) -> Vec<Choice> {
    let mut v = vec![Choice { value: String::new(), label: t.s("filter.any").into(), selected: selected.is_none() }];
    v.extend(codes.iter().map(|c| Choice {
        value: (*c).into(),
        label: t.code(prefix, c),
        selected: selected == Some(*c),
    }));
    v
}

fn row(t: crate::i18n::T, r: &LedgerRow) -> Row {
    let a = &r.entry.assessment;
    Row {
        achievement_id: r.entry.achievement_id.0,
        code: r.code.clone(),
        title: r.title.clone(),
        funding: t.code("achievement.funding", r.funding_source.code()),
        stage: t.code("ledger.stage", a.stage.code()),
        measurable: t.s(if a.cost_measurable && a.value_measurable { "common.yes" } else { "common.no" }).to_string(),
        recognition: t.code("ledger.recognition", a.recognition.code()),
        recognition_badge: recognition_badge(a.recognition),
        book_value: a.book_value.map(|m| m.to_string()).unwrap_or_else(|| "—".into()),
        bookings: r.bookings,
    }
}

fn findings(t: crate::i18n::T, r: &Reconciliation) -> Vec<Finding> {
    let conv =
        |v: &[(AchievementId, String, String)]| v.iter().map(|(id, c, ti)| (id.0, c.clone(), ti.clone())).collect();
    vec![
        Finding { label: t.s("ledger.finding.missing").into(), items: conv(&r.missing) },
        Finding { label: t.s("ledger.finding.not_job_related").into(), items: conv(&r.not_job_related) },
        Finding { label: t.s("ledger.finding.unbooked").into(), items: conv(&r.unbooked) },
        Finding { label: t.s("ledger.finding.booked_twice").into(), items: conv(&r.booked_twice) },
    ]
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let (filter, error) = match ledger_filter(&pairs) {
        Ok(f) => (f, String::new()),
        Err((field, v)) => (Default::default(), format!("{}：{}", t.code("field", &field), t.violation(&v))),
    };
    let rows = match state.app.ledger(&ctx.actor, &filter).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let reconciliation = match state.app.reconcile_ledger(&ctx.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let query = pairs.iter().map(|(k, v)| format!("{k}={}", crate::filters::encode(v))).collect::<Vec<_>>().join("&");
    let rule = ledger_rule_text(&state);
    render(&ListPage {
        layout: Layout::new(&ctx, t.s("ledger.title")).crumb(t.s("ledger.title"), "/ledger"),
        total: rows.len(),
        rows: rows.iter().take(500).map(|r| row(t, r)).collect(),
        stages: choice_list(t, "ledger.stage", &["research", "development"], filter.stage.map(Stage::code)),
        recognitions: choice_list(
            t,
            "ledger.recognition",
            &["not_recognised", "recognised_at_cost", "booked"],
            filter.recognition.map(Recognition::code),
        ),
        measurables: {
            let sel = filter.measurable.map(|m| if m { "true" } else { "false" });
            let mut v = vec![Choice { value: String::new(), label: t.s("filter.any").into(), selected: sel.is_none() }];
            v.push(Choice { value: "true".into(), label: t.s("common.yes").into(), selected: sel == Some("true") });
            v.push(Choice { value: "false".into(), label: t.s("common.no").into(), selected: sel == Some("false") });
            v
        },
        fundings: choice_list(
            t,
            "achievement.funding",
            &["fiscal", "non_fiscal"],
            filter.funding_source.map(FundingSource::code),
        ),
        missing: reconciliation.missing.len(),
        findings: findings(t, &reconciliation),
        can_manage: ctx.actor.user().is_some() && ctx.actor.can(tto_app::Permission::LedgerManage),
        export_href: format!("/ledger/export.xlsx?{query}"),
        error,
        rule,
    })
}

fn ledger_rule_text(state: &AppState) -> String {
    let day = state.app.today();
    state
        .app
        .profile_on(day)
        .and_then(|p| {
            state.app.policy().resolve(&p.id, tto_domain::policy::ParamKey::LedgerUnmeasurableNotRecognised, day).ok()
        })
        .map(|r| tto_app::empowerment::citation_of(r.parameter))
        .unwrap_or_default()
}

/// The ledger report for the asset office.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let filter = ledger_filter(&pairs).unwrap_or_default();
    let rows = match state.app.ledger(&ctx.actor, &filter).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            let a = &r.entry.assessment;
            vec![
                Cell::Text(r.code.clone()),
                Cell::Text(r.title.clone()),
                Cell::Text(t.code("achievement.funding", r.funding_source.code())),
                Cell::Text(t.code("achievement.status", r.status.code())),
                Cell::Text(t.code("ledger.stage", a.stage.code())),
                Cell::Text(t.s(if a.cost_measurable { "common.yes" } else { "common.no" }).into()),
                Cell::Text(t.s(if a.value_measurable { "common.yes" } else { "common.no" }).into()),
                Cell::Text(t.code("ledger.recognition", a.recognition.code())),
                Cell::Text(a.book_value.map(|m| m.to_plain()).unwrap_or_default()),
                Cell::Int(r.bookings),
                Cell::Text(r.booked_value.to_plain()),
                Cell::Text(a.notes.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "field.code",
        "field.title",
        "field.funding_source",
        "field.status",
        "ledger.stage_label",
        "ledger.cost_measurable",
        "ledger.value_measurable",
        "ledger.recognition_label",
        "ledger.book_value",
        "ledger.bookings",
        "ledger.booked_value",
        "ledger.notes",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("separate-ledger.xlsx", workbook(t.s("ledger.title"), &headers, &cells))
}

pub struct ConversionRow {
    pub id: i64,
    pub mode: String,
    pub value: String,
    pub occurred_on: String,
    pub counterparty: String,
    pub reference: String,
    pub booked_on: String,
}

#[derive(Template)]
#[template(path = "ledger/detail.html")]
struct DetailPage {
    layout: Layout,
    achievement_id: i64,
    code: String,
    title: String,
    job_related: bool,
    has_entry: bool,
    version: i64,
    stages: Vec<Choice>,
    recognitions: Vec<Choice>,
    cost_measurable: bool,
    value_measurable: bool,
    recognition: String,
    recognition_badge: &'static str,
    booked: bool,
    book_value: String,
    book_value_display: String,
    notes: String,
    conversions: Vec<ConversionRow>,
    modes: Vec<Choice>,
    can_manage: bool,
    rule: String,
    today: String,
    conv: ConversionDraft,
    errors: FormErrors,
}

fn detail_page(
    ctx: &Ctx,
    v: &LedgerView,
    rule: String,
    today: time::Date,
    errors: FormErrors,
    conv: ConversionDraft,
    notice: Option<String>,
) -> DetailPage {
    let t = ctx.t();
    let a = &v.achievement;
    let mut layout = Layout::new(ctx, format!("{} · {}", t.s("ledger.entry"), a.code))
        .crumb(t.s("ledger.title"), "/ledger")
        .crumb(a.code.clone(), format!("/ledger/{}", a.id));
    layout.notice = notice;
    let assessment = v.entry.as_ref().map(|e| e.assessment.clone());
    let stage = assessment.as_ref().map(|s| s.stage.code()).unwrap_or("research");
    let recognition = assessment.as_ref().map(|s| s.recognition).unwrap_or(Recognition::NotRecognised);
    DetailPage {
        layout,
        achievement_id: a.id.0,
        code: a.code.clone(),
        title: a.fields.title.clone(),
        job_related: a.fields.job_related,
        has_entry: v.entry.is_some(),
        version: v.entry.as_ref().map(|e| e.version).unwrap_or(0),
        stages: ["research", "development"]
            .iter()
            .map(|s| Choice { value: (*s).into(), label: t.code("ledger.stage", s), selected: *s == stage })
            .collect(),
        recognitions: ["not_recognised", "recognised_at_cost"]
            .iter()
            .map(|s| Choice {
                value: (*s).into(),
                label: t.code("ledger.recognition", s),
                selected: *s == recognition.code(),
            })
            .collect(),
        cost_measurable: assessment.as_ref().is_some_and(|s| s.cost_measurable),
        value_measurable: assessment.as_ref().is_some_and(|s| s.value_measurable),
        recognition: t.code("ledger.recognition", recognition.code()),
        recognition_badge: recognition_badge(recognition),
        booked: recognition == Recognition::Booked,
        book_value: assessment.as_ref().and_then(|s| s.book_value).map(|m| m.to_plain()).unwrap_or_default(),
        book_value_display: assessment.as_ref().and_then(|s| s.book_value).map(|m| m.to_string()).unwrap_or_default(),
        notes: assessment.as_ref().and_then(|s| s.notes.clone()).unwrap_or_default(),
        conversions: v
            .conversions
            .iter()
            .map(|c| ConversionRow {
                id: c.id,
                mode: t.code("ledger.mode", c.conversion.mode.code()),
                value: c.conversion.value.to_string(),
                occurred_on: date(c.conversion.occurred_on),
                counterparty: c.conversion.counterparty.clone(),
                reference: c.conversion.reference.clone(),
                booked_on: c.booked_on.map(date).unwrap_or_default(),
            })
            .collect(),
        modes: ConversionMode::ALL
            .iter()
            .map(|m| Choice {
                value: m.code().into(),
                label: t.code("ledger.mode", m.code()),
                selected: conv.mode == m.code(),
            })
            .collect(),
        can_manage: v.can_manage,
        rule,
        today: date(today),
        conv,
        errors,
    }
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let t = ctx.t();
    match state.app.ledger_view(&ctx.actor, AchievementId(id)).await {
        Ok(v) => {
            let notice = super::done_notice(t, &pairs, "ledger.notice");
            let conv =
                ConversionDraft { mode: "licence".into(), occurred_on: date(state.app.today()), ..Default::default() };
            render(&detail_page(
                &ctx,
                &v,
                ledger_rule_text(&state),
                state.app.today(),
                FormErrors::default(),
                conv,
                notice,
            ))
        }
        Err(e) => fail(&ctx, e),
    }
}

async fn redisplay(state: &AppState, ctx: &Ctx, id: i64, errors: FormErrors, conv: ConversionDraft) -> Response {
    match state.app.ledger_view(&ctx.actor, AchievementId(id)).await {
        Ok(v) => {
            let ctx = Ctx { path: format!("/ledger/{id}"), ..ctx.clone() };
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &detail_page(&ctx, &v, ledger_rule_text(state), state.app.today(), errors, conv, None),
            )
        }
        Err(e) => fail(ctx, e),
    }
}

pub async fn assess(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let draft = AssessmentDraft {
        stage: form.text("stage"),
        cost_measurable: form.checked("cost_measurable"),
        value_measurable: form.checked("value_measurable"),
        recognition: form.text("recognition"),
        book_value: form.get("book_value").map(str::to_string),
        notes: form.get("notes").map(str::to_string),
    };
    match state.app.assess_ledger(&ctx.actor, AchievementId(id), version, &draft).await {
        Ok(_) => see_other(&format!("/ledger/{id}?done=assessed")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => redisplay(&state, &ctx, id, errors, ConversionDraft::default()).await,
            None => fail(&ctx, e),
        },
    }
}

pub async fn record_conversion(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let draft = ConversionDraft {
        mode: form.text("mode"),
        value: form.text("value"),
        occurred_on: form.text("occurred_on"),
        counterparty: form.text("counterparty"),
        reference: form.text("reference"),
    };
    match state.app.record_conversion(&ctx.actor, AchievementId(id), &draft).await {
        Ok(_) => see_other(&format!("/ledger/{id}?done=recorded")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => redisplay(&state, &ctx, id, errors, draft).await,
            None => fail(&ctx, e),
        },
    }
}

pub async fn book(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, conversion)): Path<(i64, i64)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    match state.app.book_conversion(&ctx.actor, conversion, &form.text("booked_on")).await {
        Ok(_) => see_other(&format!("/ledger/{id}?done=booked")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => redisplay(&state, &ctx, id, errors, ConversionDraft::default()).await,
            None => fail(&ctx, e),
        },
    }
}

pub async fn open_missing(State(state): State<AppState>, ctx: Ctx, CsrfForm(_): CsrfForm) -> Response {
    match state.app.open_missing_ledger_entries(&ctx.actor).await {
        Ok(_) => see_other("/ledger"),
        Err(e) => fail(&ctx, e),
    }
}
