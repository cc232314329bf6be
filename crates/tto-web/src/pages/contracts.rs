//! Pages of technical contracts (技术合同): the list and its export, the form with its payment
//! schedule, and the contract page with the registration (认定登记), the payments received and
//! the timeline.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::{AppError, Permission};
use tto_domain::contract::{ContractCategory, ContractDraft};
use tto_domain::{InstitutionKind, Money};
use tto_store::contracts::{Contract, ContractFilter};

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, rename_fields, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx, FormData};
use crate::format::date;
use crate::i18n::T;
use crate::xlsx::{Cell, download, workbook};

/// Rows of the schedule table on the form (blank rows are ignored by the domain).
const SCHEDULE_ROWS: usize = 4;

pub struct ContractRowView {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub buyer: String,
    pub amount: String,
    pub signed_on: String,
    pub registered: bool,
    pub received: String,
    pub deal_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "contracts/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ContractRowView>,
    categories: Vec<Choice>,
    registered: Vec<Choice>,
    can_create: bool,
    filtered: bool,
    count: String,
    export_href: String,
}

fn filter_from(pairs: &[(String, String)]) -> ContractFilter {
    let get = |k: &str| pairs.iter().find(|(key, v)| key == k && !v.is_empty()).map(|(_, v)| v.as_str());
    ContractFilter {
        category: get("category").and_then(|v| ContractCategory::from_code(v).ok()),
        deal: get("deal_id").and_then(|v| v.parse().ok()),
        registered: match get("registered") {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
    }
}

fn category_choices(t: T, selected: Option<ContractCategory>, any: bool) -> Vec<Choice> {
    let mut v = Vec::new();
    if any {
        v.push(Choice { value: String::new(), label: t.s("filter.any").to_string(), selected: selected.is_none() });
    }
    v.extend(ContractCategory::ALL.iter().map(|c| Choice {
        value: c.code().into(),
        label: t.code("contract.category", c.code()),
        selected: selected == Some(*c),
    }));
    v
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let filter = filter_from(&pairs);
    let rows = match state.app.contracts(&ctx.actor, &filter).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let query = pairs
        .iter()
        .filter(|(k, _)| k != "lang")
        .map(|(k, v)| format!("{k}={}", crate::filters::encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let registered = [
        ("", "filter.any", None),
        ("true", "contract.registered_yes", Some(true)),
        ("false", "contract.registered_no", Some(false)),
    ]
    .iter()
    .map(|(value, key, flag)| Choice {
        value: (*value).to_string(),
        label: t.s(key).to_string(),
        selected: filter.registered == *flag,
    })
    .collect();
    render(&ListPage {
        layout: Layout::new(&ctx, t.s("contract.title")).crumb(t.s("contract.title"), "/contracts"),
        rows: rows
            .iter()
            .map(|r| ContractRowView {
                id: r.id,
                title: r.title.clone(),
                category: t.code("contract.category", r.category.code()),
                buyer: r.buyer_name.clone(),
                amount: r.amount.to_string(),
                signed_on: date(r.signed_on),
                registered: r.registered,
                received: r.received.to_string(),
                deal_id: r.deal_id,
            })
            .collect(),
        categories: category_choices(t, filter.category, true),
        registered,
        can_create: ctx.actor.can(Permission::ContractManage),
        filtered: filter != ContractFilter::default(),
        count: t.f("contract.count", &[("n", rows.len().to_string())]),
        export_href: if query.is_empty() {
            "/contracts/export.xlsx".into()
        } else {
            format!("/contracts/export.xlsx?{query}")
        },
    })
}

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let rows = match state.app.contracts(&ctx.actor, &filter_from(&pairs)).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let yes_no = |b: bool| t.s(if b { "common.yes" } else { "common.no" }).to_string();
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.id),
                Cell::Text(r.title.clone()),
                Cell::Text(t.code("contract.category", r.category.code())),
                Cell::Text(r.buyer_name.clone()),
                Cell::Text(r.amount.to_plain()),
                Cell::Text(date(r.signed_on)),
                Cell::Text(yes_no(r.registered)),
                Cell::Text(r.received.to_plain()),
                Cell::Text(r.deal_id.map(|d| d.to_string()).unwrap_or_default()),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "contract.number",
        "contract.title_label",
        "contract.category_label",
        "contract.buyer",
        "contract.amount_yuan",
        "contract.signed_on",
        "contract.registered",
        "contract.received_yuan",
        "contract.deal",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("contracts.xlsx", workbook(t.s("contract.title"), &headers, &cells))
}

pub struct InstallmentInput {
    pub index: usize,
    pub due_on: String,
    pub amount: String,
    pub due_error: String,
    pub amount_error: String,
}

/// The deal a new contract is recorded for.
pub struct DealRef {
    pub id: i64,
    pub title: String,
    pub institution: String,
    pub price: String,
}

#[derive(Template)]
#[template(path = "contracts/form.html")]
struct FormPage {
    layout: Layout,
    deal: Option<DealRef>,
    categories: Vec<Choice>,
    title: String,
    buyers: Vec<Choice>,
    amount: String,
    signed_on: String,
    schedule: Vec<InstallmentInput>,
    errors: FormErrors,
}

fn draft_from(form: &FormData) -> ContractDraft {
    let due = form.all("due_on");
    let amounts = form.all("installment_amount");
    ContractDraft {
        category: form.text("category"),
        title: form.text("title"),
        buyer: form.get("buyer").and_then(|v| v.trim().parse().ok()),
        amount: form.text("amount"),
        signed_on: form.text("signed_on"),
        schedule: due.into_iter().zip(amounts).collect(),
    }
}

async fn deal_ref(state: &AppState, ctx: &Ctx, deal: Option<i64>) -> Result<Option<(DealRef, Option<i64>)>, AppError> {
    let Some(id) = deal else { return Ok(None) };
    let v = state.app.deal(&ctx.actor, id).await?;
    if !v.can_manage {
        return Err(AppError::Forbidden);
    }
    let d = &v.deal;
    Ok(Some((
        DealRef {
            id: d.id,
            title: d.terms.title.clone(),
            institution: d.institution_name.clone(),
            price: d.final_price.unwrap_or(d.terms.price).to_string(),
        },
        d.terms.counterparty.map(|c| c.0),
    )))
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    deal: Option<DealRef>,
    draft: &ContractDraft,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let t = ctx.t();
    let own = ctx.actor.institution_id();
    let institutions = state.app.institutions().await?;
    let mut buyers =
        vec![Choice { value: String::new(), label: t.s("form.choose").to_string(), selected: draft.buyer.is_none() }];
    buyers.extend(
        institutions.iter().filter(|i| Some(i.id) != own && !matches!(i.kind(), InstitutionKind::Regulator)).map(|i| {
            Choice { value: i.id.0.to_string(), label: i.name().to_string(), selected: draft.buyer == Some(i.id.0) }
        }),
    );
    // The domain numbers the rows that were filled in (`schedule[0]` is the first non-blank
    // row): show those first, so row n on the page is row n in the error summary.
    let mut filled: Vec<(String, String)> =
        draft.schedule.iter().filter(|(d, a)| !(d.trim().is_empty() && a.trim().is_empty())).cloned().collect();
    filled.resize(filled.len().max(SCHEDULE_ROWS), Default::default());
    let schedule = filled
        .into_iter()
        .enumerate()
        .map(|(i, (due_on, amount))| InstallmentInput {
            index: i,
            due_error: errors.of(&format!("schedule[{i}].due_on")),
            amount_error: errors.of(&format!("schedule[{i}].amount")),
            due_on,
            amount,
        })
        .collect();
    let heading = t.s("contract.new");
    let href = match &deal {
        Some(d) => format!("/contracts/new?deal={}", d.id),
        None => "/contracts/new".to_string(),
    };
    let mut layout = Layout::new(ctx, heading).crumb(t.s("contract.title"), "/contracts");
    if let Some(d) = &deal {
        layout = layout.crumb(format!("{} #{}", t.s("deal.deal"), d.id), format!("/deals/{}", d.id));
    }
    Ok(FormPage {
        layout: layout.crumb(heading, href),
        deal,
        categories: category_choices(t, ContractCategory::from_code(&draft.category).ok(), false),
        title: draft.title.clone(),
        buyers,
        amount: draft.amount.clone(),
        signed_on: draft.signed_on.clone(),
        schedule,
        errors,
    })
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    if let Err(e) = ctx.actor.require(Permission::ContractManage) {
        return fail(&ctx, e);
    }
    let deal = pairs.iter().find(|(k, v)| k == "deal" && !v.is_empty()).and_then(|(_, v)| v.parse::<i64>().ok());
    let (deal, counterparty) = match deal_ref(&state, &ctx, deal).await {
        Ok(Some((d, c))) => (Some(d), c),
        Ok(None) => (None, None),
        Err(e) => return fail(&ctx, e),
    };
    let draft = ContractDraft {
        category: ContractCategory::Transfer.code().into(),
        title: deal.as_ref().map(|d| d.title.clone()).unwrap_or_default(),
        buyer: counterparty,
        signed_on: date(state.app.today()),
        ..Default::default()
    };
    match form_page(&state, &ctx, deal, &draft, FormErrors::default()).await {
        Ok(p) => render(&p),
        Err(e) => fail(&ctx, e),
    }
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let deal = form.get("deal_id").filter(|v| !v.trim().is_empty()).and_then(|v| v.trim().parse::<i64>().ok());
    let path = match deal {
        Some(d) => format!("/contracts/new?deal={d}"),
        None => "/contracts/new".to_string(),
    };
    let ctx = Ctx { path, ..ctx };
    let draft = draft_from(&form);
    match state.app.create_contract(&ctx.actor, deal, &draft).await {
        Ok(c) => see_other(&format!("/contracts/{}?done=created", c.id)),
        Err(e) => {
            let e = rename_fields(e, &[("title", "contract_title")]);
            match FormErrors::from_app(ctx.t(), &e) {
                Some(errors) => {
                    let deal = match deal_ref(&state, &ctx, deal).await {
                        Ok(d) => d.map(|(d, _)| d),
                        // The deal itself is what is wrong: show the form without it.
                        Err(_) => None,
                    };
                    match form_page(&state, &ctx, deal, &draft, errors).await {
                        Ok(p) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &p),
                        Err(e) => fail(&ctx, e),
                    }
                }
                None => fail(&ctx, e),
            }
        }
    }
}

pub struct InstallmentRow {
    pub due_on: String,
    pub amount: String,
    pub cumulative: String,
    /// `paid`, `overdue` or `open`.
    pub state: &'static str,
}

pub struct PaymentRow {
    pub received_on: String,
    pub amount: String,
    pub reference: String,
}

pub struct RegistrationView {
    pub number: String,
    pub registered_on: String,
    pub certified_amount: String,
    pub authority: String,
}

/// What the registration and payment forms show: defaults, or what the user typed.
pub struct Typed {
    pub registration_number: String,
    pub registered_on: String,
    pub certified_amount: String,
    pub authority: String,
    pub payment_amount: String,
    pub received_on: String,
    pub payment_reference: String,
}

impl Typed {
    fn new(c: &Contract, today: time::Date, form: Option<&FormData>) -> Typed {
        let outstanding = c.terms.amount.checked_sub(c.received()).unwrap_or(Money::ZERO);
        let value = |name: &str, default: String| match form {
            Some(f) => f.get(name).map(str::to_string).unwrap_or(default),
            None => default,
        };
        // The next instalment not yet covered by what was received (what remains of it).
        let mut due = Money::ZERO;
        let next_due = c
            .terms
            .schedule
            .iter()
            .find_map(|i| {
                due = due.checked_add(i.amount).unwrap_or(due);
                (due > c.received()).then(|| due.checked_sub(c.received()).unwrap_or(i.amount))
            })
            .unwrap_or(outstanding);
        Typed {
            registration_number: value("registration_number", String::new()),
            registered_on: value("registered_on", date(today)),
            certified_amount: value("certified_amount", c.terms.amount.to_plain()),
            authority: value("authority", String::new()),
            payment_amount: value("amount", next_due.to_plain()),
            received_on: value("received_on", date(today)),
            payment_reference: value("reference", String::new()),
        }
    }
}

#[derive(Template)]
#[template(path = "contracts/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    title: String,
    seller: String,
    buyer: String,
    category: String,
    amount: String,
    signed_on: String,
    deal_id: Option<i64>,
    schedule: Vec<InstallmentRow>,
    registration: Option<RegistrationView>,
    payments: Vec<PaymentRow>,
    received: String,
    outstanding: String,
    fully_paid: bool,
    can_manage: bool,
    today: String,
    typed: Typed,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
}

fn detail_page(
    ctx: &Ctx,
    c: &Contract,
    can_manage: bool,
    typed: Typed,
    timeline: Vec<(String, String, String)>,
    today: time::Date,
    errors: FormErrors,
) -> DetailPage {
    let t = ctx.t();
    let heading = format!("{} #{}", t.s("contract.contract"), c.id);
    let layout = Layout::new(ctx, heading.clone())
        .crumb(t.s("contract.title"), "/contracts")
        .crumb(heading, format!("/contracts/{}", c.id));
    let received = c.received();
    let outstanding = c.terms.amount.checked_sub(received).unwrap_or(Money::ZERO);
    let mut cumulative = Money::ZERO;
    let schedule = c
        .terms
        .schedule
        .iter()
        .map(|i| {
            cumulative = cumulative.checked_add(i.amount).unwrap_or(cumulative);
            InstallmentRow {
                due_on: date(i.due_on),
                amount: i.amount.to_string(),
                cumulative: cumulative.to_string(),
                state: if received >= cumulative {
                    "paid"
                } else if i.due_on < today {
                    "overdue"
                } else {
                    "open"
                },
            }
        })
        .collect();
    DetailPage {
        layout,
        id: c.id,
        version: c.version,
        title: c.terms.title.clone(),
        seller: c.institution_name.clone(),
        buyer: c.buyer_name.clone(),
        category: t.code("contract.category", c.terms.category.code()),
        amount: c.terms.amount.to_string(),
        signed_on: date(c.terms.signed_on),
        deal_id: c.deal_id,
        schedule,
        registration: c.registration.as_ref().map(|r| RegistrationView {
            number: r.number.clone(),
            registered_on: date(r.registered_on),
            certified_amount: r.certified_amount.to_string(),
            authority: r.authority.clone(),
        }),
        payments: c
            .payments
            .iter()
            .map(|p| PaymentRow {
                received_on: date(p.received_on),
                amount: p.amount.to_string(),
                reference: p.reference.clone(),
            })
            .collect(),
        received: received.to_string(),
        outstanding: outstanding.to_string(),
        fully_paid: outstanding.is_zero(),
        can_manage,
        today: date(today),
        typed,
        timeline,
        errors,
    }
}

async fn timeline(state: &AppState, ctx: &Ctx, id: i64) -> Vec<(String, String, String)> {
    let events = state.app.contract_events(&ctx.actor, id).await.unwrap_or_default();
    super::deals::timeline_rows(ctx.t(), &events)
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: Option<&FormData>,
    errors: FormErrors,
    notice: Option<String>,
) -> Response {
    let (contract, can_manage) = match state.app.contract(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(ctx, e),
    };
    let today = state.app.today();
    let tl = timeline(state, ctx, id).await;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let typed = Typed::new(&contract, today, form);
    let mut page = detail_page(ctx, &contract, can_manage, typed, tl, today, errors);
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
    let notice = super::done_notice(t, &pairs, "contract.done");
    show(&state, &ctx, id, None, FormErrors::default(), notice).await
}

/// After a form post: back to the contract page, or the page again with the errors inline and
/// what the user typed.
async fn after(
    state: &AppState,
    ctx: Ctx,
    id: i64,
    done: &str,
    form: &FormData,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => see_other(&format!("/contracts/{id}?done={done}")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => {
                let ctx = Ctx { path: format!("/contracts/{id}"), ..ctx };
                show(state, &ctx, id, Some(form), errors, None).await
            }
            None => fail(&ctx, e),
        },
    }
}

fn version_of(form: &FormData) -> i64 {
    form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0)
}

pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let result = state
        .app
        .register_contract(
            &ctx.actor,
            id,
            version_of(&form),
            &form.text("registration_number"),
            &form.text("registered_on"),
            &form.text("certified_amount"),
            &form.text("authority"),
        )
        .await
        .map(|_| ());
    after(&state, ctx, id, "registered", &form, result).await
}

pub async fn record_payment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let result = state
        .app
        .record_payment(
            &ctx.actor,
            id,
            version_of(&form),
            &form.text("amount"),
            &form.text("received_on"),
            &form.text("reference"),
        )
        .await
        .map(|_| ())
        .map_err(|e| rename_fields(e, &[("amount", "payment_amount"), ("reference", "payment_reference")]));
    after(&state, ctx, id, "payment", &form, result).await
}
