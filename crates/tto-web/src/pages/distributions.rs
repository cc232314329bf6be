//! Pages of income distribution (收益分配): the register and its export, the form that
//! previews a case before it is saved, the distribution page with its lines, reasoning, tax
//! view, public notice and workflow, and a person's statement across distributions.
//!
//! The university's rules, income and expenses and the enterprise-tax calculator are in
//! [`super::finance`].

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::distributions::{DistributionDraft, DistributionView, Preview};
use tto_app::{AppError, Permission};
use tto_domain::Violation;
use tto_domain::distribution::{
    AgreementDraft, CaseDraft, Distribution, DistributionMode, LineKind, RecipientDraft, RewardForm, Unit,
};
use tto_domain::notice::NoticeStatus;
use tto_store::audit::AuditEvent;
use tto_store::distributions::{DistributionStatus, RuleRecord, StatementLine};

use super::achievements::Choice;
use super::deals::{NoticeRow, ObjectionView, RuleRow};
use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::api::distributions::{condition_text, line_recipient, shown_amount, step_text};
use crate::context::{CsrfForm, Ctx, FormData};
use crate::filters::encode;
use crate::format::{date, datetime};
use crate::i18n::T;
use crate::xlsx::{Cell, download, workbook};

/// Rows of the deductions table on the form (blank rows are ignored).
const DEDUCTION_ROWS: usize = 4;
/// Blank rows under the recipients from the template.
const SPARE_RECIPIENTS: usize = 2;
/// Rows of the profit table (self-implementation).
const PROFIT_ROWS: usize = 5;

pub fn badge(s: DistributionStatus) -> &'static str {
    match s {
        DistributionStatus::Draft => "grey",
        DistributionStatus::Approved | DistributionStatus::Noticed => "blue",
        DistributionStatus::Noticing => "amber",
        DistributionStatus::Paid => "green",
        DistributionStatus::Cancelled => "red",
    }
}

fn dash() -> String {
    "—".to_string()
}

/// A rule as shown: the engine names its own default in plain words, which are translated here.
fn rule_text(t: T, rule: &str) -> String {
    if rule.starts_with("tto default") {
        t.s("distribution.default_position_rule").to_string()
    } else {
        rule.to_string()
    }
}

fn statement_href(name: &str) -> String {
    format!("/distributions/statement?recipient={}", encode(name))
}

/// Field names of the domain that the shared labels name differently on this page.
pub(crate) fn rename_with(e: AppError, rename: impl Fn(&str) -> Option<String>) -> AppError {
    match e {
        AppError::Validation(mut v) => {
            for fe in v.errors.iter_mut() {
                if let Some(to) = rename(&fe.field) {
                    fe.field = to;
                }
            }
            AppError::Validation(v)
        }
        AppError::Conflict { field, violation } => {
            AppError::Conflict { field: rename(&field).unwrap_or(field), violation }
        }
        other => other,
    }
}

/// `title` is an achievement's title in the shared labels; a deduction's `category` is not a
/// contract's category.
fn rename_case_fields(e: AppError) -> AppError {
    rename_with(e, |f| {
        if f == "title" {
            Some("distribution_title".into())
        } else if f.starts_with("deductions[") && f.ends_with("].category") {
            Some(f.replace("].category", "].deduction_category"))
        } else {
            None
        }
    })
}

// ---------------------------------------------------------------------------------------
// The register
// ---------------------------------------------------------------------------------------

pub struct RowView {
    pub id: i64,
    pub title: String,
    pub mode: String,
    pub status: String,
    pub status_badge: &'static str,
    pub gross: String,
    pub pool: String,
    pub tto: String,
    pub date: String,
    pub paid_on: String,
}

#[derive(Template)]
#[template(path = "distributions/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<RowView>,
    statuses: Vec<Choice>,
    can_create: bool,
    filtered: bool,
    count: String,
    export_href: String,
}

fn status_filter(pairs: &[(String, String)]) -> Option<DistributionStatus> {
    pairs.iter().find(|(k, v)| k == "status" && !v.is_empty()).and_then(|(_, v)| DistributionStatus::from_code(v).ok())
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let status = status_filter(&pairs);
    let rows = match state.app.distributions(&ctx.actor, status).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let mut statuses =
        vec![Choice { value: String::new(), label: t.s("filter.any").to_string(), selected: status.is_none() }];
    statuses.extend(DistributionStatus::ALL.iter().map(|s| Choice {
        value: s.code().into(),
        label: t.code("distribution.status", s.code()),
        selected: status == Some(*s),
    }));
    render(&ListPage {
        layout: Layout::new(&ctx, t.s("distribution.title")).crumb(t.s("distribution.title"), "/distributions"),
        rows: rows
            .iter()
            .map(|r| RowView {
                id: r.id,
                title: r.title.clone(),
                mode: t.code("distribution.mode", r.mode.code()),
                status: t.code("distribution.status", r.status.code()),
                status_badge: badge(r.status),
                gross: shown_amount(t, r.unit, r.gross),
                pool: shown_amount(t, r.unit, r.pool),
                tto: shown_amount(t, r.unit, r.tto),
                date: date(r.case_date),
                paid_on: r.paid_on.map(date).unwrap_or_else(dash),
            })
            .collect(),
        statuses,
        can_create: ctx.actor.can(Permission::DistributionManage),
        filtered: status.is_some(),
        count: t.f("distribution.count", &[("n", rows.len().to_string())]),
        export_href: match status {
            Some(s) => format!("/distributions/export.xlsx?status={}", s.code()),
            None => "/distributions/export.xlsx".into(),
        },
    })
}

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let rows = match state.app.distributions(&ctx.actor, status_filter(&pairs)).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.id),
                Cell::Text(r.title.clone()),
                Cell::Text(t.code("distribution.mode", r.mode.code())),
                Cell::Text(t.code("distribution.status", r.status.code())),
                Cell::Text(t.code("distribution.unit", r.unit.code())),
                Cell::Text(crate::api::distributions::wire_amount(r.unit, r.gross)),
                Cell::Text(crate::api::distributions::wire_amount(r.unit, r.pool)),
                Cell::Text(crate::api::distributions::wire_amount(r.unit, r.tto)),
                Cell::Text(date(r.case_date)),
                Cell::Text(r.paid_on.map(date).unwrap_or_default()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "distribution.number",
        "distribution.title_label",
        "distribution.mode_label",
        "field.status",
        "distribution.unit_label",
        "distribution.gross",
        "distribution.pool",
        "distribution.tto",
        "distribution.date",
        "distribution.paid_on",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("distributions.xlsx", workbook(t.s("distribution.title"), &headers, &cells))
}

// ---------------------------------------------------------------------------------------
// The computed result: lines and reasoning (form preview and distribution page)
// ---------------------------------------------------------------------------------------

pub struct LineRow {
    pub kind: String,
    pub kind_code: &'static str,
    pub recipient: String,
    /// The person's statement (contributors of a saved distribution).
    pub href: String,
    pub year: String,
    pub form: String,
    pub amount: String,
    pub main: bool,
    pub leader: bool,
    pub rule: String,
    pub grade: String,
}

pub struct StepRow {
    pub text: String,
    pub rule: String,
    pub grade: String,
}

pub struct ResultView {
    pub gross: String,
    pub net: String,
    pub reward_share: String,
    pub share_source: String,
    pub pool: String,
    pub tto: String,
    pub institution: String,
    pub notice_required: bool,
    pub has_years: bool,
    pub lines: Vec<LineRow>,
    pub total: String,
    pub total_matches: bool,
    pub trail: Vec<StepRow>,
}

fn result_view(t: T, d: &Distribution, link_names: bool) -> ResultView {
    let amount =
        |kind: LineKind, n: i64| shown_amount(t, if kind == LineKind::ServiceFee { Unit::Fen } else { d.unit }, n);
    let total: i64 = d.lines.iter().map(|l| l.amount).sum();
    ResultView {
        gross: shown_amount(t, d.unit, d.gross),
        net: shown_amount(t, d.unit, d.net),
        reward_share: d.reward_share.to_string(),
        share_source: t.code("distribution.source", d.share_source.code()),
        pool: shown_amount(t, d.unit, d.pool),
        tto: shown_amount(t, d.unit, d.tto),
        institution: shown_amount(t, d.unit, d.institution),
        notice_required: d.notice_required,
        has_years: d.lines.iter().any(|l| l.year.is_some()),
        lines: d
            .lines
            .iter()
            .map(|l| LineRow {
                kind: t.code("distribution.kind", l.kind.code()),
                kind_code: l.kind.code(),
                recipient: line_recipient(t, l.kind, &l.recipient, l.category.as_deref()),
                href: if link_names && l.kind == LineKind::Contributor {
                    statement_href(&l.recipient)
                } else {
                    String::new()
                },
                year: l.year.map(|y| y.to_string()).unwrap_or_default(),
                form: l.form.map(|f| t.code("distribution.form", f.code())).unwrap_or_default(),
                amount: amount(l.kind, l.amount),
                main: l.main,
                leader: l.leader,
                rule: rule_text(t, &l.basis.rule),
                grade: l.basis.grade.map(|g| g.code().to_string()).unwrap_or_default(),
            })
            .collect(),
        total: shown_amount(t, d.unit, total),
        total_matches: total == d.gross,
        trail: d
            .trail
            .iter()
            .map(|s| StepRow {
                text: step_text(t, d.unit, s),
                rule: rule_text(t, &s.basis.rule),
                grade: s.basis.grade.map(|g| g.code().to_string()).unwrap_or_default(),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------
// The form: prefilled from a contract or an achievement, previewed, saved
// ---------------------------------------------------------------------------------------

pub struct DeductionRow {
    pub index: usize,
    pub categories: Vec<Choice>,
    pub amount: String,
    pub category_error: String,
    pub amount_error: String,
}

pub struct RecipientRow {
    pub index: usize,
    pub name: String,
    pub share: String,
    pub main: bool,
    pub leader: bool,
    pub name_error: String,
    pub share_error: String,
    pub form_error: String,
}

pub struct ProfitRow {
    pub index: usize,
    pub year: String,
    pub profit: String,
    pub year_error: String,
    pub profit_error: String,
}

#[derive(Template)]
#[template(path = "distributions/form.html")]
struct FormPage {
    layout: Layout,
    contract_id: Option<i64>,
    deal_id: Option<i64>,
    achievement_id: Option<i64>,
    title: String,
    date: String,
    income_received_on: String,
    modes: Vec<Choice>,
    gross: String,
    contract_amount: String,
    deductions: Vec<DeductionRow>,
    tto: String,
    tto_rate_value: String,
    tto_fee_value: String,
    tto_help: String,
    recipients: Vec<RecipientRow>,
    /// The form of the rewards, which follows the mode (shares on the equity path, else cash).
    reward_form: String,
    agreement_reference: String,
    agreement_share: String,
    agreement_tto_rate: String,
    agreement_tto_amount: String,
    agreement_help: String,
    years: String,
    years_help: String,
    profits: Vec<ProfitRow>,
    state_run: bool,
    floor_help: String,
    unit_rule: String,
    finance_href: String,
    preview: Option<ResultView>,
    preview_profile: String,
    errors: FormErrors,
}

/// The rows of a table that were filled in (blank rows are room to add more).
fn filled<T: Clone>(rows: &[T], blank: impl Fn(&T) -> bool) -> Vec<T> {
    rows.iter().filter(|r| !blank(r)).cloned().collect()
}

fn id_of(form: &FormData, name: &str) -> Option<i64> {
    form.get(name).and_then(|v| v.trim().parse().ok())
}

fn draft_from(form: &FormData) -> DistributionDraft {
    let pairs = |a: &str, b: &str| -> Vec<(String, String)> {
        let (xs, ys) = (form.all(a), form.all(b));
        let rows: Vec<(String, String)> =
            xs.into_iter().enumerate().map(|(i, x)| (x, ys.get(i).cloned().unwrap_or_default())).collect();
        filled(&rows, |(x, y)| x.trim().is_empty() && y.trim().is_empty())
    };
    let (names, shares, forms) = (form.all("recipient_name"), form.all("recipient_share"), form.all("recipient_form"));
    let (mains, leaders) = (form.all("recipient_main"), form.all("recipient_leader"));
    let recipients = names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let share = shares.get(i).cloned().unwrap_or_default();
            if name.trim().is_empty() && share.trim().is_empty() {
                return None;
            }
            Some(RecipientDraft {
                name: name.clone(),
                share,
                main: mains.contains(&i.to_string()),
                leader: leaders.contains(&i.to_string()),
                form: forms.get(i).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let agreement = AgreementDraft {
        reference: form.text("agreement_reference"),
        reward_share: form.text("agreement_share"),
        tto_rate: form.text("agreement_tto_rate"),
        tto_amount: form.text("agreement_tto_amount"),
    };
    let agreement_blank = [&agreement.reference, &agreement.reward_share, &agreement.tto_rate, &agreement.tto_amount]
        .iter()
        .all(|v| v.trim().is_empty());
    let tto = match form.text("tto").as_str() {
        "" => "none".to_string(),
        other => other.to_string(),
    };
    let tto_value = match tto.as_str() {
        "rate" => form.text("tto_rate_value"),
        "service_fee" => form.text("tto_fee_value"),
        _ => String::new(),
    };
    DistributionDraft {
        title: form.text("title"),
        deal_id: id_of(form, "deal_id"),
        contract_id: id_of(form, "contract_id"),
        achievement_id: id_of(form, "achievement_id"),
        date: form.text("date"),
        income_received_on: form.text("income_received_on"),
        case: CaseDraft {
            mode: form.text("mode"),
            state_run: false,
            gross: form.text("gross"),
            deductions: pairs("deduction_category", "deduction_amount"),
            contract_amount: form.text("contract_amount"),
            recipients,
            agreement: (!agreement_blank).then_some(agreement),
            unit_rule: None,
            tto,
            tto_value,
            profits: pairs("profit_year", "profit_amount"),
            years: form.text("years"),
        },
    }
}

/// The university's rule in force on `day` (the latest published on or before it).
fn rule_on(rules: &[RuleRecord], day: time::Date) -> Option<&RuleRecord> {
    rules.iter().find(|r| r.published_on <= day)
}

fn case_day(state: &AppState, raw: &str) -> Result<time::Date, AppError> {
    if raw.trim().is_empty() {
        return Ok(state.app.today());
    }
    tto_domain::period::parse_date(raw).map_err(|v| AppError::field("date", v))
}

/// Computes the case as saving it would: the institution's type and the rule in force apply.
async fn preview(state: &AppState, ctx: &Ctx, draft: &DistributionDraft) -> Result<Preview, AppError> {
    ctx.actor.require(Permission::DistributionManage)?;
    let institution = ctx.actor.institution_id().ok_or(AppError::Forbidden)?;
    let day = case_day(state, &draft.date)?;
    let mut case = draft.case.clone();
    case.state_run = state.app.institution(institution).await?.fields.state_run;
    let rules = state.app.unit_rules(&ctx.actor).await?;
    if let Ok(mode) = DistributionMode::from_code(&case.mode)
        && let Some(rule) = rule_on(&rules, day)
    {
        case.unit_rule = Some(rule.draft(mode));
    }
    state.app.preview_distribution(&case, &day.to_string())
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    draft: &DistributionDraft,
    preview: Option<&Preview>,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let t = ctx.t();
    let institution = ctx.actor.institution_id().ok_or(AppError::Forbidden)?;
    let state_run = state.app.institution(institution).await?.fields.state_run;
    let today = state.app.today();
    let day = case_day(state, &draft.date).unwrap_or(today);
    let mode = DistributionMode::from_code(&draft.case.mode).unwrap_or(DistributionMode::TransferLicence);
    let rules = state.app.case_rules(mode, day).or_else(|_| state.app.case_rules(mode, today)).ok();
    let unit_rules = state.app.unit_rules(&ctx.actor).await?;
    let case = &draft.case;

    let deductible: Vec<String> = rules.as_ref().map(|r| r.distribution.deductible.clone()).unwrap_or_default();
    let mut deduction_rows = case.deductions.clone();
    deduction_rows.resize(deduction_rows.len().max(DEDUCTION_ROWS), Default::default());
    let deductions = deduction_rows
        .into_iter()
        .enumerate()
        .map(|(i, (category, amount))| {
            let mut categories = vec![Choice {
                value: String::new(),
                label: t.s("form.choose").to_string(),
                selected: category.is_empty(),
            }];
            categories.extend(deductible.iter().map(|c| Choice {
                value: c.clone(),
                label: t.code("net_income.category", c),
                selected: *c == category,
            }));
            if !category.is_empty() && !deductible.contains(&category) {
                // Keep what was chosen (a category no longer deductible) so the error is visible.
                categories.push(Choice {
                    value: category.clone(),
                    label: t.code("net_income.category", &category),
                    selected: true,
                });
            }
            DeductionRow {
                index: i,
                categories,
                amount,
                category_error: errors.of(&format!("deductions[{i}].deduction_category")),
                amount_error: errors.of(&format!("deductions[{i}].amount")),
            }
        })
        .collect();
    let mut recipient_rows = case.recipients.clone();
    recipient_rows.resize(recipient_rows.len() + SPARE_RECIPIENTS, Default::default());
    let recipients = recipient_rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| RecipientRow {
            index: i,
            name_error: errors.of(&format!("recipients[{i}].name")),
            share_error: errors.of(&format!("recipients[{i}].share")),
            form_error: errors.of(&format!("recipients[{i}].form")),
            name: r.name,
            share: r.share,
            main: r.main,
            leader: r.leader,
        })
        .collect();
    let mut profit_rows = case.profits.clone();
    profit_rows.resize(profit_rows.len().max(PROFIT_ROWS), Default::default());
    let profits = profit_rows
        .into_iter()
        .enumerate()
        .map(|(i, (year, profit))| ProfitRow {
            index: i,
            year_error: errors.of(&format!("profits[{i}].year")),
            profit_error: errors.of(&format!("profits[{i}].profit")),
            year,
            profit,
        })
        .collect();
    let agreement = case.agreement.clone().unwrap_or_default();
    let (tto_help, years_help, floor_help) = match &rules {
        Some(r) => {
            let d = &r.distribution;
            (
                t.f(
                    "distribution.tto_help",
                    &[
                        ("min", d.tto_band.0.to_string()),
                        ("max", d.tto_band.1.to_string()),
                        ("rule", d.tto_basis.rule.clone()),
                    ],
                ),
                t.f(
                    "distribution.years_help",
                    &[
                        ("min", d.years.0.to_string()),
                        ("max", d.years.1.to_string()),
                        ("rule", d.years_basis.rule.clone()),
                    ],
                ),
                t.f(
                    if state_run { "distribution.floor_help_state_run" } else { "distribution.floor_help" },
                    &[("floor", d.floor.to_string()), ("rule", d.floor_basis.rule.clone())],
                ),
            )
        }
        None => (String::new(), String::new(), String::new()),
    };
    let unit_rule = match rule_on(&unit_rules, day) {
        Some(r) => {
            t.f("distribution.unit_rule_in_force", &[("document", r.document.clone()), ("date", date(r.published_on))])
        }
        None => t.s("distribution.no_unit_rule").to_string(),
    };
    let heading = t.s("distribution.new");
    let href = match (draft.contract_id, draft.achievement_id) {
        (Some(c), _) => format!("/distributions/new?contract={c}"),
        (None, Some(a)) => format!("/distributions/new?achievement={a}"),
        _ => "/distributions/new".into(),
    };
    let finance_href = match (draft.contract_id, draft.achievement_id) {
        (Some(c), _) => format!("/finance?contract_id={c}"),
        (None, Some(a)) => format!("/finance?achievement_id={a}"),
        _ => "/finance".into(),
    };
    Ok(FormPage {
        layout: Layout::new(ctx, heading).crumb(t.s("distribution.title"), "/distributions").crumb(heading, href),
        contract_id: draft.contract_id,
        deal_id: draft.deal_id,
        achievement_id: draft.achievement_id,
        title: draft.title.clone(),
        date: draft.date.clone(),
        income_received_on: draft.income_received_on.clone(),
        modes: DistributionMode::ALL
            .iter()
            .map(|m| Choice {
                value: m.code().into(),
                label: t.code("distribution.mode", m.code()),
                selected: case.mode == m.code(),
            })
            .collect(),
        gross: case.gross.clone(),
        contract_amount: case.contract_amount.clone(),
        deductions,
        tto: if case.tto.is_empty() { "none".into() } else { case.tto.clone() },
        tto_rate_value: if case.tto == "rate" { case.tto_value.clone() } else { String::new() },
        tto_fee_value: if case.tto == "service_fee" { case.tto_value.clone() } else { String::new() },
        tto_help,
        recipients,
        reward_form: t.code(
            "distribution.form",
            if mode == DistributionMode::Equity { RewardForm::Equity.code() } else { RewardForm::Cash.code() },
        ),
        agreement_reference: agreement.reference,
        agreement_share: agreement.reward_share,
        agreement_tto_rate: agreement.tto_rate,
        agreement_tto_amount: agreement.tto_amount,
        agreement_help: t.s("distribution.agreement_help").to_string(),
        years: case.years.clone(),
        years_help,
        profits,
        state_run,
        floor_help,
        unit_rule,
        finance_href,
        preview: preview.map(|p| result_view(t, &p.result, false)),
        preview_profile: preview.map(|p| format!("{} · {}", p.rules.profile, date(p.day))).unwrap_or_default(),
        errors,
    })
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let id = |k: &str| pairs.iter().find(|(key, v)| key == k && !v.is_empty()).and_then(|(_, v)| v.trim().parse().ok());
    let draft = match state.app.distribution_template(&ctx.actor, id("contract"), id("achievement")).await {
        Ok(d) => d,
        Err(e) => return fail(&ctx, e),
    };
    match form_page(&state, &ctx, &draft, None, FormErrors::default()).await {
        Ok(p) => render(&p),
        Err(e) => fail(&ctx, e),
    }
}

fn form_path(draft: &DistributionDraft) -> String {
    match (draft.contract_id, draft.achievement_id) {
        (Some(c), _) => format!("/distributions/new?contract={c}"),
        (None, Some(a)) => format!("/distributions/new?achievement={a}"),
        _ => "/distributions/new".into(),
    }
}

/// The form again with the errors inline and what was typed.
async fn form_again(state: &AppState, ctx: &Ctx, draft: &DistributionDraft, e: AppError) -> Response {
    let e = rename_case_fields(e);
    match FormErrors::from_app(ctx.t(), &e) {
        Some(errors) => match form_page(state, ctx, draft, None, errors).await {
            Ok(p) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &p),
            Err(e) => fail(ctx, e),
        },
        None => fail(ctx, e),
    }
}

pub async fn preview_form(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let draft = draft_from(&form);
    let ctx = Ctx { path: form_path(&draft), ..ctx };
    match preview(&state, &ctx, &draft).await {
        Ok(p) => match form_page(&state, &ctx, &draft, Some(&p), FormErrors::default()).await {
            Ok(page) => render(&page),
            Err(e) => fail(&ctx, e),
        },
        Err(e) => form_again(&state, &ctx, &draft, e).await,
    }
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let draft = draft_from(&form);
    let ctx = Ctx { path: form_path(&draft), ..ctx };
    match state.app.create_distribution(&ctx.actor, &draft).await {
        Ok(d) => see_other(&format!("/distributions/{}?done=created", d.id)),
        Err(e) => form_again(&state, &ctx, &draft, e).await,
    }
}

// ---------------------------------------------------------------------------------------
// The distribution page
// ---------------------------------------------------------------------------------------

pub struct ConditionRow {
    pub met: bool,
    pub text: String,
    pub rule: String,
    pub grade: String,
}

pub struct TaxPerson {
    pub recipient: String,
    pub href: String,
    pub year: String,
    pub form: String,
    pub amount: String,
    pub taxable: String,
    pub qualifies: bool,
}

/// Contributor lines whose treatment hangs on the same conditions (the facts are the
/// distribution's; only the form of the reward differs), shown with the conditions once.
pub struct TaxGroup {
    pub people: Vec<TaxPerson>,
    pub equity: bool,
    pub has_years: bool,
    pub conditions: Vec<ConditionRow>,
}

#[derive(Template)]
#[template(path = "distributions/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    title: String,
    institution: String,
    status: String,
    status_badge: &'static str,
    mode: String,
    date: String,
    income_received_on: String,
    approved_on: String,
    paid_on: String,
    state_run: bool,
    policy_profile: String,
    cancel_reason: String,
    contract_id: Option<i64>,
    deal_id: Option<i64>,
    achievement_id: Option<i64>,
    res: ResultView,
    taxes: Vec<TaxGroup>,
    tax_help: String,
    notices: Vec<NoticeRow>,
    can_manage: bool,
    show_approve: bool,
    show_notice: bool,
    show_pay: bool,
    show_cancel: bool,
    notice_start_value: String,
    notice_end_value: String,
    paid_value: String,
    cancel_value: String,
    notice_help: String,
    today: String,
    rules: Vec<RuleRow>,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
}

fn detail_page(
    ctx: &Ctx,
    v: &DistributionView,
    events: &[AuditEvent],
    today: time::Date,
    errors: FormErrors,
    typed: Option<&FormData>,
) -> DetailPage {
    let keep = |name: &str, default: String| typed.and_then(|f| f.get(name)).map(str::to_string).unwrap_or(default);
    let t = ctx.t();
    let d = &v.record;
    let heading = format!("{} #{}", t.s("distribution.distribution"), d.id);
    let layout = Layout::new(ctx, heading.clone())
        .crumb(t.s("distribution.title"), "/distributions")
        .crumb(heading, format!("/distributions/{}", d.id));
    let status = d.status;
    let mut taxes: Vec<(&[tto_domain::tax::Condition], TaxGroup)> = Vec::new();
    for x in &v.taxes {
        let Some(line) = d.result.lines.get(x.position) else { continue };
        let person = TaxPerson {
            recipient: line.recipient.clone(),
            href: statement_href(&line.recipient),
            year: line.year.map(|y| y.to_string()).unwrap_or_default(),
            form: t.code("distribution.form", x.tax.form.code()),
            amount: shown_amount(t, d.result.unit, x.tax.amount),
            taxable: shown_amount(t, Unit::Fen, x.tax.taxable),
            qualifies: x.tax.qualifies,
        };
        match taxes.iter_mut().find(|(c, _)| *c == x.tax.conditions.as_slice()) {
            Some((_, g)) => {
                g.has_years |= !person.year.is_empty();
                g.people.push(person);
            }
            None => taxes.push((
                &x.tax.conditions,
                TaxGroup {
                    has_years: !person.year.is_empty(),
                    people: vec![person],
                    equity: x.tax.form == RewardForm::Equity,
                    conditions: x
                        .tax
                        .conditions
                        .iter()
                        .map(|c| ConditionRow {
                            met: c.met,
                            text: condition_text(t, c),
                            rule: c.basis.rule.clone(),
                            grade: c.basis.grade.map(|g| g.code().to_string()).unwrap_or_default(),
                        })
                        .collect(),
                },
            )),
        }
    }
    let taxes = taxes.into_iter().map(|(_, g)| g).collect();
    let notices = v
        .notices
        .iter()
        .map(|(n, objections)| NoticeRow {
            id: n.id,
            period: format!("{} – {}", date(n.starts_on), date(n.ends_on)),
            status: t.code("notice.status", n.status.code()),
            status_code: n.status.code(),
            closable: n.status == NoticeStatus::Open && today > n.ends_on,
            objections: objections
                .iter()
                .map(|o| ObjectionView {
                    id: o.id,
                    version: o.version,
                    name: o.input.name.clone(),
                    contact: o.input.contact.clone(),
                    content: o.input.content.clone(),
                    status: t.code("objection.status", o.status.code()),
                    status_code: o.status.code(),
                    response: o.response.clone().unwrap_or_default(),
                    at: datetime(o.created_at),
                    error: errors.of(&format!("response_{}", o.id)),
                })
                .collect(),
        })
        .collect();
    let min_days = v.rules.as_ref().map(|r| r.notice_min_days).unwrap_or(15);
    let notice_rule = v
        .rules
        .as_ref()
        .and_then(|r| r.parameters.iter().find(|p| p.key == tto_domain::policy::ParamKey::NoticeMinDays))
        .map(tto_app::empowerment::citation_of)
        .unwrap_or_default();
    let rules = v
        .rules
        .as_ref()
        .map(|r| {
            r.parameters
                .iter()
                .map(|p| RuleRow {
                    label: t.code("policy.key", p.key.code()),
                    value: super::policy::value_lines(t, &p.value).join("；"),
                    source: tto_app::empowerment::citation_of(p),
                    grade: p.grade.code().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let open = !matches!(status, DistributionStatus::Paid | DistributionStatus::Cancelled);
    DetailPage {
        layout,
        id: d.id,
        version: d.version,
        title: d.head.title.clone(),
        institution: d.institution_name.clone(),
        status: t.code("distribution.status", status.code()),
        status_badge: badge(status),
        mode: t.code("distribution.mode", d.result.mode.code()),
        date: date(d.head.case_date),
        income_received_on: d.head.income_received_on.map(date).unwrap_or_else(dash),
        approved_on: d.approved_on.map(date).unwrap_or_else(dash),
        paid_on: d.paid_on.map(date).unwrap_or_else(dash),
        state_run: d.head.state_run,
        policy_profile: d.policy_profile.clone(),
        cancel_reason: d.cancel_reason.clone().unwrap_or_default(),
        contract_id: d.head.contract_id,
        deal_id: d.head.deal_id,
        achievement_id: d.head.achievement_id.map(|a| a.0),
        res: result_view(t, &d.result, true),
        taxes,
        tax_help: match status {
            DistributionStatus::Paid => t.s("distribution.tax_help_paid").to_string(),
            _ => t.f("distribution.tax_help", &[("date", date(today))]),
        },
        notices,
        can_manage: v.can_manage,
        show_approve: v.can_approve && status == DistributionStatus::Draft,
        show_notice: v.can_manage && status == DistributionStatus::Approved,
        show_pay: v.can_manage && status == DistributionStatus::Noticed,
        show_cancel: v.can_manage && open,
        notice_start_value: keep("starts_on", date(today)),
        notice_end_value: keep("ends_on", date(today + time::Duration::days(i64::from(min_days.max(1)) - 1))),
        paid_value: keep("paid_on", date(today)),
        cancel_value: keep("cancel_reason", String::new()),
        notice_help: t.f("distribution.notice_help", &[("n", min_days.to_string()), ("source", notice_rule)]),
        today: date(today),
        rules,
        timeline: super::deals::timeline_rows(t, events),
        errors,
    }
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: FormErrors,
    notice: Option<String>,
    typed: Option<&FormData>,
) -> Response {
    let view = match state.app.distribution(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(ctx, e),
    };
    let events = state.app.distribution_events(&ctx.actor, id).await.unwrap_or_default();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut page = detail_page(ctx, &view, &events, state.app.today(), errors, typed);
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
    let notice = super::done_notice(t, &pairs, "distribution.done");
    show(&state, &ctx, id, FormErrors::default(), notice, None).await
}

/// After a workflow form: back to the page, or the page again with the errors inline.
async fn after(
    state: &AppState,
    ctx: Ctx,
    id: i64,
    done: &str,
    typed: Option<&FormData>,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => see_other(&format!("/distributions/{id}?done={done}")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(mut errors) => {
                // A response box is named per objection; the summary calls it what it is.
                if errors.summary.len() == errors.by_field.len() {
                    let t = ctx.t();
                    for (line, (field, message)) in errors.summary.iter_mut().zip(&errors.by_field) {
                        if field.starts_with("response_") {
                            *line = format!("{}{}{message}", t.s("field.response"), t.s("distribution.colon"));
                        }
                    }
                }
                let ctx = Ctx { path: format!("/distributions/{id}"), ..ctx };
                show(state, &ctx, id, errors, None, typed).await
            }
            None => fail(&ctx, e),
        },
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
    let result = match step.as_str() {
        "approve" => app.approve_distribution(&ctx.actor, id, version).await.map(|_| ()),
        "start_notice" => app
            .start_distribution_notice(&ctx.actor, id, version, &form.text("starts_on"), &form.text("ends_on"))
            .await
            .map(|_| ()),
        "pay" => app.pay_distribution(&ctx.actor, id, version, &form.text("paid_on")).await.map(|_| ()),
        "cancel" => app.cancel_distribution(&ctx.actor, id, version, &form.text("cancel_reason")).await.map(|_| ()),
        other => Err(AppError::field("step", Violation::UnknownChoice { value: other.to_string() })),
    };
    after(&state, ctx, id, &step, Some(&form), result).await
}

pub async fn close_notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, notice)): Path<(i64, i64)>,
    CsrfForm(_): CsrfForm,
) -> Response {
    // Only a notice of this distribution is closed from its page.
    let result = match state.app.distribution(&ctx.actor, id).await {
        Ok(v) if v.notices.iter().any(|(n, _)| n.id == notice) => {
            state.app.close_notice(&ctx.actor, notice).await.map(|_| ())
        }
        Ok(_) => Err(AppError::NotFound { entity: "notice" }),
        Err(e) => Err(e),
    };
    after(&state, ctx, id, "close_notice", None, result).await
}

pub async fn decide_objection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, objection, decision)): Path<(i64, i64, String)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let response_field = format!("response_{objection}");
    // Only an objection to a notice of this distribution is decided from its page.
    let ours = match state.app.distribution(&ctx.actor, id).await {
        Ok(v) if v.notices.iter().any(|(_, os)| os.iter().any(|o| o.id == objection)) => Ok(()),
        Ok(_) => Err(AppError::NotFound { entity: "objection" }),
        Err(e) => Err(e),
    };
    let result = match (ours, decision.as_str()) {
        (Err(e), _) => Err(e),
        (Ok(()), "uphold" | "reject") => state
            .app
            .decide_objection(&ctx.actor, objection, version, decision == "uphold", &form.text(&response_field))
            .await
            .map(|_| ())
            .map_err(|e| super::rename_fields(e, &[("response", &response_field)])),
        (Ok(()), other) => Err(AppError::field("decision", Violation::UnknownChoice { value: other.to_string() })),
    };
    after(&state, ctx, id, &format!("objection_{decision}"), Some(&form), result).await
}

/// The lines of one distribution as a workbook.
pub async fn export_lines(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let t = ctx.t();
    let v = match state.app.distribution(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let d = &v.record.result;
    let wire = crate::api::distributions::wire_amount;
    let yes_no = |b: bool| t.s(if b { "common.yes" } else { "common.no" }).to_string();
    let cells: Vec<Vec<Cell>> = d
        .lines
        .iter()
        .map(|l| {
            let unit = if l.kind == LineKind::ServiceFee { Unit::Fen } else { d.unit };
            vec![
                Cell::Text(t.code("distribution.kind", l.kind.code())),
                Cell::Text(line_recipient(t, l.kind, &l.recipient, l.category.as_deref())),
                Cell::Text(l.year.map(|y| y.to_string()).unwrap_or_default()),
                Cell::Text(l.form.map(|f| t.code("distribution.form", f.code())).unwrap_or_default()),
                Cell::Text(yes_no(l.main)),
                Cell::Text(yes_no(l.leader)),
                Cell::Text(t.code("distribution.unit", unit.code())),
                Cell::Text(wire(unit, l.amount)),
                Cell::Text(l.basis.rule.clone()),
                Cell::Text(l.basis.grade.map(|g| g.code().to_string()).unwrap_or_default()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "distribution.kind_label",
        "distribution.recipient_label",
        "distribution.year",
        "distribution.form_label",
        "distribution.main",
        "distribution.leader",
        "distribution.unit_label",
        "distribution.amount",
        "policy.source",
        "policy.grade",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download(&format!("distribution-{id}.xlsx"), workbook(t.s("distribution.lines"), &headers, &cells))
}

// ---------------------------------------------------------------------------------------
// A person's statement
// ---------------------------------------------------------------------------------------

pub struct StatementRow {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub status_badge: &'static str,
    pub mode: String,
    pub year: String,
    pub amount: String,
    pub form: String,
    pub leader: bool,
    pub date: String,
    pub paid_on: String,
}

#[derive(Template)]
#[template(path = "distributions/statement.html")]
struct StatementPage {
    layout: Layout,
    recipient: String,
    rows: Vec<StatementRow>,
    totals: Vec<(String, String)>,
    export_href: String,
    errors: FormErrors,
}

fn recipient_of(pairs: &[(String, String)]) -> String {
    pairs.iter().find(|(k, _)| k == "recipient").map(|(_, v)| v.trim().to_string()).unwrap_or_default()
}

/// Totals per unit (cash and shares), of what was not cancelled; and of what was paid.
fn totals(t: T, lines: &[StatementLine]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, paid_only) in [("distribution.total_all", false), ("distribution.total_paid", true)] {
        for unit in Unit::ALL {
            let sum: i64 = lines
                .iter()
                .filter(|l| l.unit == *unit && l.status != DistributionStatus::Cancelled)
                .filter(|l| !paid_only || l.status == DistributionStatus::Paid)
                .map(|l| l.amount)
                .sum();
            let any = lines.iter().any(|l| l.unit == *unit);
            if any || (*unit == Unit::Fen && !paid_only) {
                out.push((
                    t.f(key, &[("unit", t.code("distribution.unit", unit.code()))]),
                    shown_amount(t, *unit, sum),
                ));
            }
        }
    }
    out
}

pub async fn statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let t = ctx.t();
    let recipient = recipient_of(&pairs);
    let heading = t.s("distribution.statement");
    let layout =
        Layout::new(&ctx, heading).crumb(t.s("distribution.title"), "/distributions").crumb(heading, ctx.path.clone());
    let (lines, errors) = if recipient.is_empty() {
        if let Err(e) = ctx.actor.internal_scope(Permission::DistributionRead) {
            return fail(&ctx, e);
        }
        (Vec::new(), FormErrors::default())
    } else {
        match state.app.statement(&ctx.actor, &recipient).await {
            Ok(l) => (l, FormErrors::default()),
            Err(e) => match FormErrors::from_app(t, &e) {
                Some(errors) => (Vec::new(), errors),
                None => return fail(&ctx, e),
            },
        }
    };
    render(&StatementPage {
        layout,
        rows: lines
            .iter()
            .map(|l| StatementRow {
                id: l.distribution_id,
                title: l.title.clone(),
                status: t.code("distribution.status", l.status.code()),
                status_badge: badge(l.status),
                mode: t.code("distribution.mode", l.mode.code()),
                year: l.year.map(|y| y.to_string()).unwrap_or_else(dash),
                amount: shown_amount(t, l.unit, l.amount),
                form: l.form.map(|f| t.code("distribution.form", f.code())).unwrap_or_else(dash),
                leader: l.leader,
                date: date(l.case_date),
                paid_on: l.paid_on.map(date).unwrap_or_else(dash),
            })
            .collect(),
        totals: if recipient.is_empty() { Vec::new() } else { totals(t, &lines) },
        export_href: format!("/distributions/statement.xlsx?recipient={}", encode(&recipient)),
        recipient,
        errors,
    })
}

pub async fn statement_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let t = ctx.t();
    let recipient = recipient_of(&pairs);
    let lines = match state.app.statement(&ctx.actor, &recipient).await {
        Ok(l) => l,
        Err(e) => return fail(&ctx, e),
    };
    let yes_no = |b: bool| t.s(if b { "common.yes" } else { "common.no" }).to_string();
    let cells: Vec<Vec<Cell>> = lines
        .iter()
        .map(|l| {
            vec![
                Cell::Int(l.distribution_id),
                Cell::Text(l.title.clone()),
                Cell::Text(t.code("distribution.status", l.status.code())),
                Cell::Text(t.code("distribution.mode", l.mode.code())),
                Cell::Text(l.year.map(|y| y.to_string()).unwrap_or_default()),
                Cell::Text(t.code("distribution.unit", l.unit.code())),
                Cell::Text(crate::api::distributions::wire_amount(l.unit, l.amount)),
                Cell::Text(l.form.map(|f| t.code("distribution.form", f.code())).unwrap_or_default()),
                Cell::Text(yes_no(l.leader)),
                Cell::Text(date(l.case_date)),
                Cell::Text(l.paid_on.map(date).unwrap_or_default()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "distribution.number",
        "distribution.title_label",
        "field.status",
        "distribution.mode_label",
        "distribution.year",
        "distribution.unit_label",
        "distribution.amount",
        "distribution.form_label",
        "distribution.leader",
        "distribution.date",
        "distribution.paid_on",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("statement.xlsx", workbook(t.s("distribution.statement"), &headers, &cells))
}
