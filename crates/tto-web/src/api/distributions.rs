//! `/api/v1/distributions`, `/api/v1/distribution-rules`, `/api/v1/finance-entries`,
//! `/api/v1/tax/enterprise`: income distribution, the university's rule, income and expenses,
//! and the calculators (the preview needs no record and no sign-in).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_app::distributions::{DistributionDraft, DistributionView, Preview};
use tto_domain::Violation;
use tto_domain::distribution::{
    AgreementDraft, Arg, CaseDraft, Distribution, LineKind, RecipientDraft, Step, Unit, UnitRuleDraft,
};
use tto_domain::tax::{Condition, EnterpriseTax, RewardTax};
use tto_store::distributions::{
    DistributionRecord, DistributionRow, DistributionStatus, FinanceEntry, FinanceFilter, RuleRecord, StatementLine,
};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Decimalish, Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::{date, rfc3339};
use crate::i18n::T;

/// An amount in the distribution's unit for the wire: yuan with two decimals, or whole shares.
pub fn wire_amount(unit: Unit, n: i64) -> String {
    match unit {
        Unit::Fen => tto_domain::Money::from_fen(n).to_plain(),
        Unit::Shares => n.to_string(),
    }
}

/// An amount for people: `1,234.56 元`, or `1,000 股` / `1,000 shares`.
pub fn shown_amount(t: T, unit: Unit, n: i64) -> String {
    match unit {
        Unit::Fen => tto_domain::Money::from_fen(n).to_string(),
        Unit::Shares => {
            let grouped = tto_domain::Money::from_fen(n * 100).to_grouped();
            t.f("distribution.shares", &[("n", grouped.trim_end_matches(".00").to_string())])
        }
    }
}

/// A trail step in words.
pub fn step_text(t: T, unit: Unit, s: &Step) -> String {
    let mut args: Vec<(&str, String)> = s
        .args
        .iter()
        .map(|(k, a)| {
            let v = match a {
                Arg::Amount(n) => {
                    shown_amount(t, if *k == "amount" && s.code == "tto_service_fee" { Unit::Fen } else { unit }, *n)
                }
                Arg::Percent(p) => p.to_string(),
                Arg::Text(x) if *k == "year" => format!(" · {x}"),
                Arg::Text(x) => x.clone(),
            };
            (*k, v)
        })
        .collect();
    if !args.iter().any(|(k, _)| *k == "year") {
        args.push(("year", String::new()));
    }
    t.f(&format!("distribution.step.{}", s.code), &args)
}

/// Who a line is for, in words.
pub fn line_recipient(t: T, kind: LineKind, recipient: &str, category: Option<&str>) -> String {
    match kind {
        LineKind::Deduction => t.code("net_income.category", category.unwrap_or(recipient)),
        LineKind::TtoReward => t.s("distribution.recipient.tto").to_string(),
        LineKind::ServiceFee => t.s("distribution.recipient.service_fee").to_string(),
        LineKind::Institution => t.s("distribution.recipient.institution").to_string(),
        LineKind::Contributor => recipient.to_string(),
    }
}

pub fn condition_text(t: T, c: &Condition) -> String {
    t.f(&format!("tax.condition.{}", c.code), &c.args.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineDto {
    /// `deduction`, `tto_reward`, `service_fee`, `contributor`, `institution`.
    pub kind: String,
    /// The contributor's name; for other lines who it is for, in words.
    pub recipient: String,
    /// Yuan (two decimals), or whole shares on the equity path.
    pub amount: String,
    pub year: Option<i32>,
    pub category: Option<String>,
    pub main: bool,
    pub leader: bool,
    /// `cash` or `equity` (contributors).
    pub form: Option<String>,
    /// The rule behind the line, with its source.
    pub rule: String,
    /// A, B, C, U for rules of the policy profile; none for agreements and university rules.
    pub grade: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepDto {
    pub code: String,
    pub text: String,
    pub rule: String,
    pub grade: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultDto {
    pub mode: String,
    /// `fen` (amounts in yuan) or `shares`.
    pub unit: String,
    pub gross: String,
    pub net: String,
    /// The contributors' share of the base, percent.
    pub reward_share: String,
    /// `agreement`, `unit_rule`, `statute`.
    pub share_source: String,
    pub pool: String,
    pub tto: String,
    pub institution: String,
    /// A leader is rewarded: the rewards must be noticed first.
    pub notice_required: bool,
    /// They add up to `gross`, to the fen (or share).
    pub lines: Vec<LineDto>,
    pub trail: Vec<StepDto>,
}

pub fn result_dto(t: T, d: &Distribution) -> ResultDto {
    let a = |n: i64| wire_amount(d.unit, n);
    ResultDto {
        mode: d.mode.code().into(),
        unit: d.unit.code().into(),
        gross: a(d.gross),
        net: a(d.net),
        reward_share: d.reward_share.value().normalize().to_string(),
        share_source: d.share_source.code().into(),
        pool: a(d.pool),
        tto: if d.unit == Unit::Shares { d.tto.to_string() } else { a(d.tto) },
        institution: a(d.institution),
        notice_required: d.notice_required,
        lines: d
            .lines
            .iter()
            .map(|l| LineDto {
                kind: l.kind.code().into(),
                recipient: line_recipient(t, l.kind, &l.recipient, l.category.as_deref()),
                amount: if l.kind == LineKind::ServiceFee { wire_amount(Unit::Fen, l.amount) } else { a(l.amount) },
                year: l.year,
                category: l.category.clone(),
                main: l.main,
                leader: l.leader,
                form: l.form.map(|f| f.code().to_string()),
                rule: l.basis.rule.clone(),
                grade: l.basis.grade.map(|g| g.code().to_string()),
            })
            .collect(),
        trail: d
            .trail
            .iter()
            .map(|s| StepDto {
                code: s.code.into(),
                text: step_text(t, d.unit, s),
                rule: s.basis.rule.clone(),
                grade: s.basis.grade.map(|g| g.code().to_string()),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewDto {
    /// The policy profile applied (for the case's date).
    pub profile: String,
    pub date: String,
    pub result: ResultDto,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeductionInput {
    /// A category of the profile's `net_income.deductible_categories`.
    pub category: String,
    #[schema(value_type = String)]
    pub amount: Decimalish,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientInput {
    pub name: String,
    /// Share within the team, percent; all shares total 100.
    #[schema(value_type = String)]
    pub share: Decimalish,
    #[serde(default)]
    pub main: bool,
    #[serde(default)]
    pub leader: bool,
    /// `equity` on the equity path, `cash` otherwise (the default follows the mode).
    #[serde(default)]
    pub form: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    pub reference: String,
    /// The contributors' share of net income (or of the shares, or of each year's profit).
    #[schema(value_type = String)]
    pub reward_share: Decimalish,
    /// The TTO reward agreed as a rate of the contract amount …
    #[schema(value_type = Option<String>)]
    pub tto_rate: Option<Decimalish>,
    /// … or as an amount (yuan; whole shares on the equity path).
    #[schema(value_type = Option<String>)]
    pub tto_amount: Option<Decimalish>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitRuleInput {
    pub document: String,
    #[schema(value_type = Option<String>)]
    pub reward_share: Option<Decimalish>,
    #[schema(value_type = Option<String>)]
    pub tto_rate: Option<Decimalish>,
    /// `from_university_share` (default) or `before_net_income`.
    pub tto_position: Option<String>,
    pub years: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TtoInput {
    /// `none`, `rate` (percent of the contract amount, within the band) or `service_fee` (yuan).
    pub kind: String,
    #[schema(value_type = Option<String>)]
    pub value: Option<Decimalish>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfitInput {
    pub year: i32,
    #[schema(value_type = String)]
    pub profit: Decimalish,
}

/// A case: what the engine needs (no record is read or written).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    /// The day whose rules apply (default today).
    pub date: Option<String>,
    /// `transfer_licence`, `equity`, `self_implementation`.
    pub mode: String,
    /// A state-run university (the statutory floors bind its rules and agreements).
    #[serde(default)]
    pub state_run: bool,
    /// Income received (yuan), or shares received (equity). Not used for self-implementation.
    #[schema(value_type = Option<String>)]
    pub gross: Option<Decimalish>,
    #[serde(default)]
    pub deductions: Vec<DeductionInput>,
    /// The technical-contract amount: the base of the TTO rate.
    #[schema(value_type = Option<String>)]
    pub contract_amount: Option<Decimalish>,
    pub recipients: Vec<RecipientInput>,
    pub agreement: Option<AgreementInput>,
    pub unit_rule: Option<UnitRuleInput>,
    pub tto: Option<TtoInput>,
    #[serde(default)]
    pub profits: Vec<ProfitInput>,
    /// Self-implementation: the reward period (3–5 years).
    pub years: Option<u32>,
}

fn text(d: &Option<Decimalish>) -> String {
    d.as_ref().map(Decimalish::text).unwrap_or_default()
}

pub fn case_draft(c: &CaseInput) -> CaseDraft {
    CaseDraft {
        mode: c.mode.clone(),
        state_run: c.state_run,
        gross: text(&c.gross),
        deductions: c.deductions.iter().map(|d| (d.category.clone(), d.amount.text())).collect(),
        contract_amount: text(&c.contract_amount),
        recipients: c
            .recipients
            .iter()
            .map(|r| RecipientDraft {
                name: r.name.clone(),
                share: r.share.text(),
                main: r.main,
                leader: r.leader,
                form: r.form.clone().unwrap_or_default(),
            })
            .collect(),
        agreement: c.agreement.as_ref().map(|a| AgreementDraft {
            reference: a.reference.clone(),
            reward_share: a.reward_share.text(),
            tto_rate: text(&a.tto_rate),
            tto_amount: text(&a.tto_amount),
        }),
        unit_rule: c.unit_rule.as_ref().map(|u| UnitRuleDraft {
            document: u.document.clone(),
            reward_share: text(&u.reward_share),
            tto_rate: text(&u.tto_rate),
            tto_position: u.tto_position.clone().unwrap_or_default(),
            years: u.years.map(|y| y.to_string()).unwrap_or_default(),
        }),
        tto: c.tto.as_ref().map(|t| t.kind.clone()).unwrap_or_default(),
        tto_value: c.tto.as_ref().map(|t| text(&t.value)).unwrap_or_default(),
        profits: c.profits.iter().map(|p| (p.year.to_string(), p.profit.text())).collect(),
        years: c.years.map(|y| y.to_string()).unwrap_or_default(),
    }
}

fn preview_dto(t: T, p: &Preview) -> PreviewDto {
    PreviewDto { profile: p.rules.profile.clone(), date: date(p.day), result: result_dto(t, &p.result) }
}

/// Compute a distribution without recording anything: the lines (adding up to the income)
/// and the reasoning trail with the rule and source of every line. No sign-in needed.
#[utoipa::path(
    post, path = "/api/v1/distributions/preview", tag = "distribution", request_body = CaseInput,
    responses(
        (status = 200, body = PreviewDto),
        (status = 422, description = "Bad amounts, shares not 100 %, a TTO rate outside the band without an agreement, an agreement below the statutory floor, a date outside every profile …", body = ErrorBody),
    )
)]
pub async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<CaseInput>,
) -> Result<Json<PreviewDto>, ApiError> {
    let p = state
        .app
        .preview_distribution(&case_draft(&input), input.date.as_deref().unwrap_or_default())
        .map_err(|e| ctx.api_error(e))?;
    Ok(Json(preview_dto(ctx.t(), &p)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseTaxInput {
    /// Technology-transfer income of the tax year (yuan): income minus the technology's cost and taxes.
    #[schema(value_type = String)]
    pub income: Decimalish,
    /// For a licence: its term in years (a transfer of ownership leaves it out).
    pub licence_years: Option<u32>,
    #[serde(default)]
    pub wholly_related: bool,
    pub date: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionDto {
    pub code: String,
    pub met: bool,
    pub text: String,
    pub rule: String,
    pub grade: Option<String>,
}

pub fn condition_dto(t: T, c: &Condition) -> ConditionDto {
    ConditionDto {
        code: c.code.into(),
        met: c.met,
        text: condition_text(t, c),
        rule: c.basis.rule.clone(),
        grade: c.basis.grade.map(|g| g.code().to_string()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseTaxDto {
    pub income: String,
    pub exempt: String,
    pub excess: String,
    pub taxable: String,
    pub tax: String,
    pub qualifies: bool,
    pub conditions: Vec<ConditionDto>,
}

fn enterprise_dto(t: T, e: &EnterpriseTax) -> EnterpriseTaxDto {
    EnterpriseTaxDto {
        income: e.income.to_plain(),
        exempt: e.exempt.to_plain(),
        excess: e.excess.to_plain(),
        taxable: e.taxable.to_plain(),
        tax: e.tax.to_plain(),
        qualifies: e.qualifies,
        conditions: e.conditions.iter().map(|c| condition_dto(t, c)).collect(),
    }
}

/// The enterprise-side income tax on technology-transfer income (≤ 5,000,000 exempt, the excess halved).
#[utoipa::path(
    post, path = "/api/v1/tax/enterprise", tag = "distribution", request_body = EnterpriseTaxInput,
    responses((status = 200, body = EnterpriseTaxDto), (status = 422, body = ErrorBody))
)]
pub async fn enterprise(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<EnterpriseTaxInput>,
) -> Result<Json<EnterpriseTaxDto>, ApiError> {
    let e = state
        .app
        .enterprise_tax(
            &input.income.text(),
            &input.licence_years.map(|y| y.to_string()).unwrap_or_default(),
            input.wholly_related,
            input.date.as_deref().unwrap_or_default(),
        )
        .map_err(|e| ctx.api_error(e))?;
    Ok(Json(enterprise_dto(ctx.t(), &e)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardTaxDto {
    /// The line's position in `lines`.
    pub line: usize,
    pub form: String,
    pub amount: String,
    /// Cash: the part counted into wages (yuan). Equity: 0 (taxed later, on dividends and sale).
    pub taxable: String,
    pub qualifies: bool,
    pub conditions: Vec<ConditionDto>,
}

fn reward_tax_dto(t: T, unit: Unit, line: usize, r: &RewardTax) -> RewardTaxDto {
    RewardTaxDto {
        line,
        form: r.form.code().into(),
        amount: wire_amount(unit, r.amount),
        taxable: wire_amount(Unit::Fen, r.taxable),
        qualifies: r.qualifies,
        conditions: r.conditions.iter().map(|c| condition_dto(t, c)).collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionDto {
    pub id: i64,
    pub institution: String,
    pub title: String,
    /// `draft`, `approved`, `noticing`, `noticed`, `paid`, `cancelled`.
    pub status: String,
    pub deal_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub date: String,
    pub income_received_on: Option<String>,
    pub state_run: bool,
    pub result: ResultDto,
    pub taxes: Vec<RewardTaxDto>,
    pub notice_ids: Vec<i64>,
    pub approved_on: Option<String>,
    pub paid_on: Option<String>,
    pub cancel_reason: Option<String>,
    pub policy_profile: String,
    pub version: i64,
    pub updated_at: String,
}

pub fn record_dto(t: T, d: &DistributionRecord) -> DistributionDto {
    DistributionDto {
        id: d.id,
        institution: d.institution_name.clone(),
        title: d.head.title.clone(),
        status: d.status.code().into(),
        deal_id: d.head.deal_id,
        contract_id: d.head.contract_id,
        achievement_id: d.head.achievement_id.map(|a| a.0),
        date: date(d.head.case_date),
        income_received_on: d.head.income_received_on.map(date),
        state_run: d.head.state_run,
        result: result_dto(t, &d.result),
        taxes: Vec::new(),
        notice_ids: Vec::new(),
        approved_on: d.approved_on.map(date),
        paid_on: d.paid_on.map(date),
        cancel_reason: d.cancel_reason.clone(),
        policy_profile: d.policy_profile.clone(),
        version: d.version,
        updated_at: rfc3339(d.updated_at),
    }
}

fn view_dto(t: T, v: &DistributionView) -> DistributionDto {
    let mut dto = record_dto(t, &v.record);
    dto.taxes = v.taxes.iter().map(|x| reward_tax_dto(t, v.record.result.unit, x.position, &x.tax)).collect();
    dto.notice_ids = v.notices.iter().map(|(n, _)| n.id).collect();
    dto
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionRowDto {
    pub id: i64,
    pub title: String,
    pub mode: String,
    pub status: String,
    pub unit: String,
    pub gross: String,
    pub pool: String,
    pub tto: String,
    pub date: String,
    pub paid_on: Option<String>,
}

impl From<&DistributionRow> for DistributionRowDto {
    fn from(r: &DistributionRow) -> Self {
        DistributionRowDto {
            id: r.id,
            title: r.title.clone(),
            mode: r.mode.code().into(),
            status: r.status.code().into(),
            unit: r.unit.code().into(),
            gross: wire_amount(r.unit, r.gross),
            pool: wire_amount(r.unit, r.pool),
            tto: wire_amount(r.unit, r.tto),
            date: date(r.case_date),
            paid_on: r.paid_on.map(date),
        }
    }
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    status: Option<String>,
}

/// The university's distribution register.
#[utoipa::path(
    get, path = "/api/v1/distributions", tag = "distribution", params(ListParams),
    responses((status = 200, body = [DistributionRowDto]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<DistributionRowDto>>, ApiError> {
    let status = param(&pairs, "status")
        .map(DistributionStatus::from_code)
        .transpose()
        .map_err(|v| ApiError::bad_field(ctx.lang, "status", &v))?;
    let rows = state.app.distributions(&ctx.actor, status).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(DistributionRowDto::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionInput {
    pub title: String,
    pub deal_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub achievement_id: Option<i64>,
    /// When the income was received (the 36-month window of the tax rule).
    pub income_received_on: Option<String>,
    /// The case; the university's type is the institution's, and its published rule applies
    /// unless the case brings one.
    pub case: CaseInput,
}

/// Compute and record a draft distribution.
#[utoipa::path(
    post, path = "/api/v1/distributions", tag = "distribution", request_body = DistributionInput,
    responses((status = 201, body = DistributionDto), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<DistributionInput>,
) -> Result<(StatusCode, Json<DistributionDto>), ApiError> {
    let draft = DistributionDraft {
        title: input.title,
        deal_id: input.deal_id,
        contract_id: input.contract_id,
        achievement_id: input.achievement_id,
        date: input.case.date.clone().unwrap_or_default(),
        income_received_on: input.income_received_on.unwrap_or_default(),
        case: case_draft(&input.case),
    };
    let d = state.app.create_distribution(&ctx.actor, &draft).await.map_err(|e| ctx.api_error(e))?;
    let v = state.app.distribution(&ctx.actor, d.id).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(view_dto(ctx.t(), &v))))
}

#[utoipa::path(
    get, path = "/api/v1/distributions/{id}", tag = "distribution", params(("id" = i64, Path)),
    responses((status = 200, body = DistributionDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<DistributionDto>, ApiError> {
    let v = state.app.distribution(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(ctx.t(), &v)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub version: i64,
    /// `start_notice`: first and last day of the public notice of the rewards.
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    /// `pay`: the day the rewards were paid.
    pub paid_on: Option<String>,
    /// `cancel`: why.
    pub reason: Option<String>,
}

/// Move a distribution on: `approve` (TTO administrator), `start_notice`, `pay`, `cancel`.
#[utoipa::path(
    post, path = "/api/v1/distributions/{id}/{step}", tag = "distribution",
    params(("id" = i64, Path), ("step" = String, Path, description = "approve | start_notice | pay | cancel")),
    request_body = StepInput,
    responses((status = 200, body = DistributionDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    Body(input): Body<StepInput>,
) -> Result<Json<DistributionDto>, ApiError> {
    let app = &state.app;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let done = match step.as_str() {
        "approve" => app.approve_distribution(&ctx.actor, id, input.version).await.map(|_| ()),
        "start_notice" => app
            .start_distribution_notice(&ctx.actor, id, input.version, &text(&input.starts_on), &text(&input.ends_on))
            .await
            .map(|_| ()),
        "pay" => app.pay_distribution(&ctx.actor, id, input.version, &text(&input.paid_on)).await.map(|_| ()),
        "cancel" => app.cancel_distribution(&ctx.actor, id, input.version, &text(&input.reason)).await.map(|_| ()),
        other => {
            return Err(ApiError::bad_field(ctx.lang, "step", &Violation::UnknownChoice { value: other.to_string() }));
        }
    };
    done.map_err(|e| ctx.api_error(e))?;
    let v = app.distribution(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(ctx.t(), &v)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementLineDto {
    pub distribution_id: i64,
    pub title: String,
    pub status: String,
    pub mode: String,
    pub unit: String,
    pub amount: String,
    pub year: Option<i32>,
    pub form: Option<String>,
    pub leader: bool,
    pub date: String,
    pub paid_on: Option<String>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct StatementParams {
    recipient: String,
}

/// A person's rewards across the university's distributions.
#[utoipa::path(
    get, path = "/api/v1/distributions/statement", tag = "distribution", params(StatementParams),
    responses((status = 200, body = [StatementLineDto]), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<StatementLineDto>>, ApiError> {
    let recipient = param(&pairs, "recipient").unwrap_or_default();
    let lines = state.app.statement(&ctx.actor, recipient).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(lines.iter().map(statement_dto).collect()))
}

fn statement_dto(l: &StatementLine) -> StatementLineDto {
    StatementLineDto {
        distribution_id: l.distribution_id,
        title: l.title.clone(),
        status: l.status.code().into(),
        mode: l.mode.code().into(),
        unit: l.unit.code().into(),
        amount: wire_amount(l.unit, l.amount),
        year: l.year,
        form: l.form.map(|f| f.code().to_string()),
        leader: l.leader,
        date: date(l.case_date),
        paid_on: l.paid_on.map(date),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    pub id: i64,
    pub document: String,
    pub published_on: String,
    pub share_transfer: Option<String>,
    pub share_equity: Option<String>,
    pub share_self: Option<String>,
    pub self_years: Option<u32>,
    pub tto_rate: Option<String>,
    pub tto_position: String,
}

pub fn rule_dto(r: &RuleRecord) -> RuleDto {
    let p = |x: Option<tto_domain::Percent>| x.map(|p| p.value().normalize().to_string());
    RuleDto {
        id: r.id,
        document: r.document.clone(),
        published_on: date(r.published_on),
        share_transfer: p(r.share_transfer),
        share_equity: p(r.share_equity),
        share_self: p(r.share_self),
        self_years: r.self_years,
        tto_rate: p(r.tto_rate),
        tto_position: r.tto_position.code().into(),
    }
}

/// The university's published rules on rewards, newest first.
#[utoipa::path(
    get, path = "/api/v1/distribution-rules", tag = "distribution",
    responses((status = 200, body = [RuleDto]), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn rules(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<RuleDto>>, ApiError> {
    let rules = state.app.unit_rules(&ctx.actor).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rules.iter().map(rule_dto).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub document: String,
    pub published_on: String,
    #[schema(value_type = Option<String>)]
    pub share_transfer: Option<Decimalish>,
    #[schema(value_type = Option<String>)]
    pub share_equity: Option<Decimalish>,
    #[schema(value_type = Option<String>)]
    pub share_self: Option<Decimalish>,
    pub self_years: Option<u32>,
    #[schema(value_type = Option<String>)]
    pub tto_rate: Option<Decimalish>,
    pub tto_position: Option<String>,
}

/// Publish a new version of the university's rule (TTO administrator).
#[utoipa::path(
    post, path = "/api/v1/distribution-rules", tag = "distribution", request_body = RuleInput,
    responses((status = 201, body = RuleDto), (status = 422, description = "Below the statutory floor, TTO rate outside the band …", body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn publish_rule(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<RuleInput>,
) -> Result<(StatusCode, Json<RuleDto>), ApiError> {
    let draft = UnitRuleDraft {
        document: input.document,
        reward_share: String::new(),
        tto_rate: text(&input.tto_rate),
        tto_position: input.tto_position.unwrap_or_default(),
        years: input.self_years.map(|y| y.to_string()).unwrap_or_default(),
    };
    let shares = [text(&input.share_transfer), text(&input.share_equity), text(&input.share_self)];
    let r = state
        .app
        .publish_unit_rule(&ctx.actor, &draft, [&shares[0], &shares[1], &shares[2]], &input.published_on)
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(rule_dto(&r))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FinanceEntryDto {
    pub id: i64,
    /// `cost`, `income`, `equity`.
    pub kind: String,
    pub category: String,
    /// Yuan, or shares for equity.
    pub amount: String,
    pub occurred_on: String,
    pub deal_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub note: String,
}

pub fn entry_dto(e: &FinanceEntry) -> FinanceEntryDto {
    FinanceEntryDto {
        id: e.id,
        kind: e.kind.code().into(),
        category: e.category.clone(),
        amount: match e.kind {
            tto_store::distributions::FinanceKind::Equity => e.amount.to_string(),
            _ => tto_domain::Money::from_fen(e.amount).to_plain(),
        },
        occurred_on: date(e.occurred_on),
        deal_id: e.deal_id,
        contract_id: e.contract_id,
        achievement_id: e.achievement_id.map(|a| a.0),
        note: e.note.clone(),
    }
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EntryParams {
    deal_id: Option<i64>,
    contract_id: Option<i64>,
    achievement_id: Option<i64>,
}

/// Income and expenses recorded besides contract payments.
#[utoipa::path(
    get, path = "/api/v1/finance-entries", tag = "distribution", params(EntryParams),
    responses((status = 200, body = [FinanceEntryDto]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn entries(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<FinanceEntryDto>>, ApiError> {
    let id = |k: &str| -> Result<Option<i64>, ApiError> {
        param(&pairs, k)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::bad_field(ctx.lang, k, &Violation::InvalidFormat { expected: "positive_integer" })
                })
            })
            .transpose()
    };
    let filter = FinanceFilter {
        deal: id("deal_id")?,
        contract: id("contract_id")?,
        achievement: id("achievement_id")?.map(tto_domain::AchievementId),
    };
    let rows = state.app.finance_entries(&ctx.actor, &filter).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(entry_dto).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    /// `cost` (with a category of the profile), `income`, `equity` (shares).
    pub kind: String,
    #[serde(default)]
    pub category: String,
    #[schema(value_type = String)]
    pub amount: Decimalish,
    pub occurred_on: String,
    pub deal_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub achievement_id: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// Record a cost, other income or equity received, for an achievement, deal or contract.
#[utoipa::path(
    post, path = "/api/v1/finance-entries", tag = "distribution", request_body = EntryInput,
    responses((status = 201, body = FinanceEntryDto), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn record_entry(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<EntryInput>,
) -> Result<(StatusCode, Json<FinanceEntryDto>), ApiError> {
    let e = state
        .app
        .record_finance_entry(
            &ctx.actor,
            &input.kind,
            &input.category,
            &input.amount.text(),
            &input.occurred_on,
            (input.deal_id, input.contract_id, input.achievement_id),
            &input.note,
        )
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(entry_dto(&e))))
}
