//! Pages around income distribution: the university's published rules (学校收益分配规定),
//! income and expenses (收支记录) and the public enterprise-income-tax calculator.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::{AppError, Permission};
use tto_domain::Violation;
use tto_domain::distribution::{DistributionMode, TtoPosition, Unit, UnitRuleDraft};
use tto_domain::tax::EnterpriseTax;
use tto_store::distributions::{FinanceEntry, FinanceFilter, FinanceKind, RuleRecord};

use super::achievements::Choice;
use super::distributions::rename_with;
use super::{FormErrors, Layout, fail, render_status, see_other};
use crate::AppState;
use crate::api::distributions::{condition_text, shown_amount};
use crate::context::{CsrfForm, Ctx, FormData};
use crate::format::date;
use crate::i18n::T;
use crate::xlsx::{Cell, download, workbook};

fn dash() -> String {
    "—".to_string()
}

fn pct(p: Option<tto_domain::Percent>) -> String {
    p.map(|p| p.to_string()).unwrap_or_else(dash)
}

// ---------------------------------------------------------------------------------------
// The university's rules
// ---------------------------------------------------------------------------------------

pub struct RuleView {
    pub id: i64,
    pub document: String,
    pub published_on: String,
    pub share_transfer: String,
    pub share_equity: String,
    pub share_self: String,
    pub self_years: String,
    pub tto_rate: String,
    pub tto_position: String,
    pub in_force: bool,
}

/// What the publish form shows: blank, or what was typed.
#[derive(Default)]
pub struct RuleInput {
    pub document: String,
    pub published_on: String,
    pub share_transfer: String,
    pub share_equity: String,
    pub share_self: String,
    pub years: String,
    pub tto_rate: String,
    pub tto_position: String,
}

#[derive(Template)]
#[template(path = "distributions/rules.html")]
struct RulesPage {
    layout: Layout,
    rules: Vec<RuleView>,
    can_publish: bool,
    input: RuleInput,
    positions: Vec<Choice>,
    floors: Vec<(String, String, String)>,
    band_help: String,
    years_help: String,
    errors: FormErrors,
}

fn rule_input(form: &FormData) -> RuleInput {
    RuleInput {
        document: form.text("document"),
        published_on: form.text("published_on"),
        share_transfer: form.text("share_transfer"),
        share_equity: form.text("share_equity"),
        share_self: form.text("share_self"),
        years: form.text("years"),
        tto_rate: form.text("tto_rate"),
        tto_position: form.text("tto_position"),
    }
}

fn rule_views(t: T, rules: &[RuleRecord], today: time::Date) -> Vec<RuleView> {
    let in_force = rules.iter().find(|r| r.published_on <= today).map(|r| r.id);
    rules
        .iter()
        .map(|r| RuleView {
            id: r.id,
            document: r.document.clone(),
            published_on: date(r.published_on),
            share_transfer: pct(r.share_transfer),
            share_equity: pct(r.share_equity),
            share_self: pct(r.share_self),
            self_years: r.self_years.map(|y| t.f("unit.years", &[("n", y.to_string())])).unwrap_or_else(dash),
            tto_rate: pct(r.tto_rate),
            tto_position: t.code("distribution.tto_position", r.tto_position.code()),
            in_force: Some(r.id) == in_force,
        })
        .collect()
}

async fn rules_page(
    state: &AppState,
    ctx: &Ctx,
    input: RuleInput,
    errors: FormErrors,
    notice: Option<String>,
) -> Response {
    let t = ctx.t();
    let rules = match state.app.unit_rules(&ctx.actor).await {
        Ok(r) => r,
        Err(e) => return fail(ctx, e),
    };
    let today = state.app.today();
    let mut floors = Vec::new();
    let (mut band_help, mut years_help) = (String::new(), String::new());
    for mode in DistributionMode::ALL {
        if let Ok(r) = state.app.case_rules(*mode, today) {
            let d = r.distribution;
            floors.push((t.code("distribution.mode", mode.code()), d.floor.to_string(), d.floor_basis.rule.clone()));
            band_help = t.f(
                "distribution.rule_band_help",
                &[("min", d.tto_band.0.to_string()), ("max", d.tto_band.1.to_string()), ("rule", d.tto_basis.rule)],
            );
            years_help = t.f(
                "distribution.years_help",
                &[("min", d.years.0.to_string()), ("max", d.years.1.to_string()), ("rule", d.years_basis.rule)],
            );
        }
    }
    let position = if input.tto_position.is_empty() {
        TtoPosition::FromUniversityShare.code().to_string()
    } else {
        input.tto_position.clone()
    };
    let mut layout = Layout::new(ctx, t.s("distribution.rules_title"))
        .crumb(t.s("distribution.title"), "/distributions")
        .crumb(t.s("distribution.rules_title"), "/distribution-rules");
    layout.notice = notice;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &RulesPage {
            layout,
            rules: rule_views(t, &rules, today),
            can_publish: ctx.actor.can(Permission::DistributionApprove),
            positions: TtoPosition::ALL
                .iter()
                .map(|p| Choice {
                    value: p.code().into(),
                    label: t.code("distribution.tto_position", p.code()),
                    selected: position == p.code(),
                })
                .collect(),
            input: RuleInput {
                published_on: if input.published_on.is_empty() && errors.is_empty() {
                    date(today)
                } else {
                    input.published_on.clone()
                },
                ..input
            },
            floors,
            band_help,
            years_help,
            errors,
        },
    )
}

pub async fn rules(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let notice = pairs
        .iter()
        .any(|(k, v)| k == "done" && v == "published")
        .then(|| t.s("distribution.rule_published").to_string());
    rules_page(&state, &ctx, RuleInput::default(), FormErrors::default(), notice).await
}

pub async fn publish_rule(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let ctx = Ctx { path: "/distribution-rules".into(), ..ctx };
    let input = rule_input(&form);
    let draft = UnitRuleDraft {
        document: input.document.clone(),
        reward_share: String::new(),
        tto_rate: input.tto_rate.clone(),
        tto_position: input.tto_position.clone(),
        years: input.years.clone(),
    };
    let shares = [input.share_transfer.as_str(), input.share_equity.as_str(), input.share_self.as_str()];
    match state.app.publish_unit_rule(&ctx.actor, &draft, shares, &input.published_on).await {
        Ok(_) => see_other("/distribution-rules?done=published"),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => rules_page(&state, &ctx, input, errors, None).await,
            None => fail(&ctx, e),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Income and expenses
// ---------------------------------------------------------------------------------------

pub struct EntryRow {
    pub date: String,
    pub kind: String,
    pub kind_code: &'static str,
    pub category: String,
    pub amount: String,
    pub links: Vec<(String, String)>,
    pub note: String,
}

#[derive(Default)]
pub struct EntryInput {
    pub kind: String,
    pub category: String,
    pub amount: String,
    pub occurred_on: String,
    pub achievement_id: String,
    pub contract_id: String,
    pub deal_id: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "distributions/finance.html")]
struct FinancePage {
    layout: Layout,
    rows: Vec<EntryRow>,
    filter_achievement: String,
    filter_contract: String,
    filter_deal: String,
    filtered: bool,
    count: String,
    export_href: String,
    can_record: bool,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    input: EntryInput,
    today: String,
    errors: FormErrors,
}

fn filter_of(pairs: &[(String, String)]) -> FinanceFilter {
    let id = |k: &str| pairs.iter().find(|(key, _)| key == k).and_then(|(_, v)| v.trim().parse::<i64>().ok());
    FinanceFilter {
        deal: id("deal_id"),
        contract: id("contract_id"),
        achievement: id("achievement_id").map(tto_domain::AchievementId),
    }
}

fn query_of(f: &FinanceFilter) -> String {
    let mut q = Vec::new();
    if let Some(a) = f.achievement {
        q.push(format!("achievement_id={}", a.0));
    }
    if let Some(c) = f.contract {
        q.push(format!("contract_id={c}"));
    }
    if let Some(d) = f.deal {
        q.push(format!("deal_id={d}"));
    }
    q.join("&")
}

fn entry_amount(t: T, e: &FinanceEntry) -> String {
    shown_amount(t, if e.kind == FinanceKind::Equity { Unit::Shares } else { Unit::Fen }, e.amount)
}

fn entry_category(t: T, e: &FinanceEntry) -> String {
    match e.kind {
        FinanceKind::Cost => t.code("net_income.category", &e.category),
        _ => dash(),
    }
}

async fn finance_page(
    state: &AppState,
    ctx: &Ctx,
    filter: &FinanceFilter,
    input: Option<EntryInput>,
    errors: FormErrors,
    notice: Option<String>,
) -> Response {
    let t = ctx.t();
    let entries = match state.app.finance_entries(&ctx.actor, filter).await {
        Ok(e) => e,
        Err(e) => return fail(ctx, e),
    };
    let today = state.app.today();
    let input = input.unwrap_or_else(|| EntryInput {
        kind: FinanceKind::Cost.code().into(),
        occurred_on: date(today),
        achievement_id: filter.achievement.map(|a| a.0.to_string()).unwrap_or_default(),
        contract_id: filter.contract.map(|c| c.to_string()).unwrap_or_default(),
        deal_id: filter.deal.map(|d| d.to_string()).unwrap_or_default(),
        ..Default::default()
    });
    let deductible = state
        .app
        .case_rules(DistributionMode::TransferLicence, today)
        .map(|r| r.distribution.deductible)
        .unwrap_or_default();
    let mut categories = vec![Choice {
        value: String::new(),
        label: t.s("form.choose").to_string(),
        selected: input.category.is_empty(),
    }];
    categories.extend(deductible.iter().map(|c| Choice {
        value: c.clone(),
        label: t.code("net_income.category", c),
        selected: *c == input.category,
    }));
    let query = query_of(filter);
    let mut layout = Layout::new(ctx, t.s("finance.title"))
        .crumb(t.s("distribution.title"), "/distributions")
        .crumb(t.s("finance.title"), "/finance");
    layout.notice = notice;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &FinancePage {
            layout,
            rows: entries
                .iter()
                .map(|e| {
                    let mut links = Vec::new();
                    if let Some(a) = e.achievement_id {
                        links
                            .push((format!("/achievements/{}", a.0), format!("{} #{}", t.s("field.achievement"), a.0)));
                    }
                    if let Some(c) = e.contract_id {
                        links.push((format!("/contracts/{c}"), format!("{} #{c}", t.s("contract.contract"))));
                    }
                    if let Some(d) = e.deal_id {
                        links.push((format!("/deals/{d}"), format!("{} #{d}", t.s("deal.deal"))));
                    }
                    EntryRow {
                        date: date(e.occurred_on),
                        kind: t.code("finance.kind", e.kind.code()),
                        kind_code: e.kind.code(),
                        category: entry_category(t, e),
                        amount: entry_amount(t, e),
                        links,
                        note: e.note.clone(),
                    }
                })
                .collect(),
            filter_achievement: filter.achievement.map(|a| a.0.to_string()).unwrap_or_default(),
            filter_contract: filter.contract.map(|c| c.to_string()).unwrap_or_default(),
            filter_deal: filter.deal.map(|d| d.to_string()).unwrap_or_default(),
            filtered: *filter != FinanceFilter::default(),
            count: t.f("finance.count", &[("n", entries.len().to_string())]),
            export_href: if query.is_empty() {
                "/finance/export.xlsx".into()
            } else {
                format!("/finance/export.xlsx?{query}")
            },
            can_record: ctx.actor.can(Permission::DistributionManage),
            kinds: FinanceKind::ALL
                .iter()
                .map(|k| Choice {
                    value: k.code().into(),
                    label: t.code("finance.kind", k.code()),
                    selected: input.kind == k.code(),
                })
                .collect(),
            categories,
            input,
            today: date(today),
            errors,
        },
    )
}

pub async fn finance(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let notice = pairs.iter().any(|(k, v)| k == "done" && v == "recorded").then(|| t.s("finance.recorded").to_string());
    finance_page(&state, &ctx, &filter_of(&pairs), None, FormErrors::default(), notice).await
}

/// A typed id: blank is none, anything else must be a whole number.
fn typed_id(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or_else(|| AppError::field(field, Violation::InvalidFormat { expected: "positive_integer" }))
}

pub async fn record_entry(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let input = EntryInput {
        kind: form.text("kind"),
        category: form.text("category"),
        amount: form.text("amount"),
        occurred_on: form.text("occurred_on"),
        achievement_id: form.text("achievement_id"),
        contract_id: form.text("contract_id"),
        deal_id: form.text("deal_id"),
        note: form.text("note"),
    };
    let links = (|| {
        Ok::<_, AppError>((
            typed_id("deal_id", &input.deal_id)?,
            typed_id("contract_id", &input.contract_id)?,
            typed_id("achievement_id", &input.achievement_id)?,
        ))
    })();
    let result = match links {
        Ok(links) => state
            .app
            .record_finance_entry(
                &ctx.actor,
                &input.kind,
                &input.category,
                &input.amount,
                &input.occurred_on,
                links,
                &input.note,
            )
            .await
            .map(|_| links),
        Err(e) => Err(e),
    };
    match result {
        Ok((deal, contract, achievement)) => {
            let filter = FinanceFilter { deal, contract, achievement: achievement.map(tto_domain::AchievementId) };
            let query = query_of(&filter);
            see_other(&if query.is_empty() {
                "/finance?done=recorded".to_string()
            } else {
                format!("/finance?{query}&done=recorded")
            })
        }
        Err(e) => {
            // A cost without a category: say it is required rather than that "" is no choice.
            let e = match e {
                AppError::Validation(mut v) => {
                    for fe in v.errors.iter_mut() {
                        if fe.field == "category"
                            && matches!(&fe.violation, Violation::UnknownChoice { value } if value.is_empty())
                        {
                            fe.violation = Violation::Required;
                        }
                    }
                    AppError::Validation(v)
                }
                other => other,
            };
            // `kind`, `category` and `occurred_on` mean other things in the shared labels.
            let e = rename_with(e, |f| match f {
                "kind" => Some("finance_kind".into()),
                "category" => Some("finance_category".into()),
                "occurred_on" => Some("finance_date".into()),
                _ => None,
            });
            match FormErrors::from_app(ctx.t(), &e) {
                Some(errors) => {
                    let ctx = Ctx { path: "/finance".into(), ..ctx };
                    finance_page(&state, &ctx, &FinanceFilter::default(), Some(input), errors, None).await
                }
                None => fail(&ctx, e),
            }
        }
    }
}

pub async fn finance_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let t = ctx.t();
    let entries = match state.app.finance_entries(&ctx.actor, &filter_of(&pairs)).await {
        Ok(e) => e,
        Err(e) => return fail(&ctx, e),
    };
    let id = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let cells: Vec<Vec<Cell>> = entries
        .iter()
        .map(|e| {
            vec![
                Cell::Text(date(e.occurred_on)),
                Cell::Text(t.code("finance.kind", e.kind.code())),
                Cell::Text(entry_category(t, e)),
                Cell::Text(t.code(
                    "distribution.unit",
                    if e.kind == FinanceKind::Equity { Unit::Shares.code() } else { Unit::Fen.code() },
                )),
                Cell::Text(crate::api::distributions::wire_amount(
                    if e.kind == FinanceKind::Equity { Unit::Shares } else { Unit::Fen },
                    e.amount,
                )),
                Cell::Text(id(e.achievement_id.map(|a| a.0))),
                Cell::Text(id(e.contract_id)),
                Cell::Text(id(e.deal_id)),
                Cell::Text(e.note.clone()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "finance.date",
        "finance.kind_label",
        "finance.category",
        "distribution.unit_label",
        "distribution.amount",
        "finance.achievement_id",
        "finance.contract_id",
        "finance.deal_id",
        "field.note",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("finance.xlsx", workbook(t.s("finance.title"), &headers, &cells))
}

// ---------------------------------------------------------------------------------------
// The enterprise-income-tax calculator (public)
// ---------------------------------------------------------------------------------------

pub struct TaxCondition {
    pub met: bool,
    pub text: String,
    pub rule: String,
    pub grade: String,
}

pub struct TaxResult {
    pub income: String,
    pub exempt: String,
    pub excess: String,
    pub taxable: String,
    pub tax: String,
    pub qualifies: bool,
    pub conditions: Vec<TaxCondition>,
}

#[derive(Template)]
#[template(path = "tax/enterprise.html")]
struct TaxPage {
    layout: Layout,
    income: String,
    licence_years: String,
    wholly_related: bool,
    result: Option<TaxResult>,
    basis: Vec<(String, String, String, String)>,
    errors: FormErrors,
}

fn tax_result(t: T, e: &EnterpriseTax) -> TaxResult {
    TaxResult {
        income: e.income.to_string(),
        exempt: e.exempt.to_string(),
        excess: e.excess.to_string(),
        taxable: e.taxable.to_string(),
        tax: e.tax.to_string(),
        qualifies: e.qualifies,
        conditions: e
            .conditions
            .iter()
            .map(|c| TaxCondition {
                met: c.met,
                text: condition_text(t, c),
                rule: c.basis.rule.clone(),
                grade: c.basis.grade.map(|g| g.code().to_string()).unwrap_or_default(),
            })
            .collect(),
    }
}

pub async fn enterprise_tax(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let t = ctx.t();
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let income = get("income");
    let licence_years = get("licence_years").unwrap_or_default();
    let wholly_related = get("wholly_related").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let (result, errors) = match &income {
        None => (None, FormErrors::default()),
        Some(income) => match state.app.enterprise_tax(income, &licence_years, wholly_related, "") {
            Ok(e) => (Some(tax_result(t, &e)), FormErrors::default()),
            Err(e) => match FormErrors::from_app(t, &e) {
                Some(errors) => (None, errors),
                None => return fail(&ctx, e),
            },
        },
    };
    let basis = match state.app.case_rules(DistributionMode::TransferLicence, state.app.today()) {
        Ok(r) => {
            let x = r.tax;
            let grade = |b: &tto_domain::distribution::Basis| b.grade.map(|g| g.code().to_string()).unwrap_or_default();
            vec![
                (
                    t.s("tax.eit_threshold").to_string(),
                    x.eit_threshold.to_string(),
                    x.eit_threshold_basis.rule.clone(),
                    grade(&x.eit_threshold_basis),
                ),
                (
                    t.s("tax.eit_excess_share").to_string(),
                    x.eit_excess_share.to_string(),
                    x.eit_excess_basis.rule.clone(),
                    grade(&x.eit_excess_basis),
                ),
                (
                    t.s("tax.eit_rate").to_string(),
                    x.eit_rate.to_string(),
                    x.eit_rate_basis.rule.clone(),
                    grade(&x.eit_rate_basis),
                ),
                (
                    t.s("tax.licence_min_years").to_string(),
                    t.f("unit.years", &[("n", x.licence_min_years.to_string())]),
                    x.licence_basis.rule.clone(),
                    grade(&x.licence_basis),
                ),
            ]
        }
        Err(_) => Vec::new(),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &TaxPage {
            layout: Layout::new(&ctx, t.s("tax.title")).crumb(t.s("tax.title"), "/tax/enterprise"),
            income: income.unwrap_or_default(),
            licence_years,
            wholly_related,
            result,
            basis,
            errors,
        },
    )
}
