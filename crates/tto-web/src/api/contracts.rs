//! `/api/v1/contracts`: technical contracts, their registration and payments.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_domain::Violation;
use tto_domain::contract::{ContractCategory, ContractDraft};
use tto_store::contracts::{Contract, ContractFilter, ContractRow};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Decimalish, Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::{date, rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct ContractRowDto {
    pub id: i64,
    pub deal_id: Option<i64>,
    /// `development`, `transfer`, `licence`, `consulting`, `service`.
    pub category: String,
    pub title: String,
    pub buyer: String,
    pub amount: String,
    pub signed_on: String,
    pub registered: bool,
    pub received: String,
}

impl From<&ContractRow> for ContractRowDto {
    fn from(r: &ContractRow) -> Self {
        ContractRowDto {
            id: r.id,
            deal_id: r.deal_id,
            category: r.category.code().into(),
            title: r.title.clone(),
            buyer: r.buyer_name.clone(),
            amount: r.amount.to_plain(),
            signed_on: date(r.signed_on),
            registered: r.registered,
            received: r.received.to_plain(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstallmentDto {
    pub due_on: String,
    pub amount: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationDto {
    pub number: String,
    pub registered_on: String,
    pub certified_amount: String,
    pub authority: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentDto {
    pub id: i64,
    pub amount: String,
    pub received_on: String,
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContractDto {
    pub id: i64,
    pub institution_id: i64,
    pub seller: String,
    pub deal_id: Option<i64>,
    pub category: String,
    pub title: String,
    pub buyer_id: i64,
    pub buyer: String,
    pub amount: String,
    pub signed_on: String,
    pub schedule: Vec<InstallmentDto>,
    pub registration: Option<RegistrationDto>,
    pub payments: Vec<PaymentDto>,
    pub received: String,
    pub outstanding: String,
    pub version: i64,
    pub updated_at: String,
}

pub fn dto(c: &Contract) -> ContractDto {
    let t = &c.terms;
    ContractDto {
        id: c.id,
        institution_id: c.institution_id.0,
        seller: c.institution_name.clone(),
        deal_id: c.deal_id,
        category: t.category.code().into(),
        title: t.title.clone(),
        buyer_id: t.buyer.0,
        buyer: c.buyer_name.clone(),
        amount: t.amount.to_plain(),
        signed_on: date(t.signed_on),
        schedule: t
            .schedule
            .iter()
            .map(|i| InstallmentDto { due_on: date(i.due_on), amount: i.amount.to_plain() })
            .collect(),
        registration: c.registration.as_ref().map(|r| RegistrationDto {
            number: r.number.clone(),
            registered_on: date(r.registered_on),
            certified_amount: r.certified_amount.to_plain(),
            authority: r.authority.clone(),
        }),
        payments: c
            .payments
            .iter()
            .map(|p| PaymentDto {
                id: p.id,
                amount: p.amount.to_plain(),
                received_on: date(p.received_on),
                reference: p.reference.clone(),
            })
            .collect(),
        received: c.received().to_plain(),
        outstanding: t.amount.checked_sub(c.received()).unwrap_or_default().to_plain(),
        version: c.version,
        updated_at: rfc3339(c.updated_at),
    }
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    category: Option<String>,
    deal_id: Option<i64>,
    registered: Option<bool>,
}

#[utoipa::path(
    get, path = "/api/v1/contracts", tag = "contracts", params(ListParams),
    responses((status = 200, body = [ContractRowDto]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<ContractRowDto>>, ApiError> {
    let bad = |f: &str, v: Violation| ApiError::bad_field(ctx.lang, f, &v);
    let filter = ContractFilter {
        category: param(&pairs, "category")
            .map(ContractCategory::from_code)
            .transpose()
            .map_err(|v| bad("category", v))?,
        deal: match param(&pairs, "deal_id") {
            Some(v) => {
                Some(v.parse().map_err(|_| bad("deal_id", Violation::InvalidFormat { expected: "positive_integer" }))?)
            }
            None => None,
        },
        registered: match param(&pairs, "registered") {
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(bad("registered", Violation::InvalidFormat { expected: "true_false" })),
            None => None,
        },
    };
    let rows = state.app.contracts(&ctx.actor, &filter).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(ContractRowDto::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallmentInput {
    pub due_on: String,
    #[schema(value_type = String)]
    pub amount: Decimalish,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    pub deal_id: Option<i64>,
    pub category: String,
    pub title: String,
    pub buyer_id: Option<i64>,
    #[schema(value_type = String)]
    pub amount: Decimalish,
    pub signed_on: String,
    /// Instalments; they must add up to the amount.
    pub schedule: Vec<InstallmentInput>,
}

/// Record a technical contract.
#[utoipa::path(
    post, path = "/api/v1/contracts", tag = "contracts", request_body = ContractInput,
    responses((status = 201, body = ContractDto), (status = 422, description = "Schedule does not add up to the amount …", body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<ContractInput>,
) -> Result<(StatusCode, Json<ContractDto>), ApiError> {
    let draft = ContractDraft {
        category: input.category,
        title: input.title,
        buyer: input.buyer_id,
        amount: input.amount.text(),
        signed_on: input.signed_on,
        schedule: input.schedule.iter().map(|i| (i.due_on.clone(), i.amount.text())).collect(),
    };
    let c = state.app.create_contract(&ctx.actor, input.deal_id, &draft).await.map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(dto(&c))))
}

#[utoipa::path(
    get, path = "/api/v1/contracts/{id}", tag = "contracts", params(("id" = i64, Path)),
    responses((status = 200, body = ContractDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ContractDto>, ApiError> {
    let (c, _) = state.app.contract(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(dto(&c)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationInput {
    pub version: i64,
    pub number: String,
    pub registered_on: String,
    /// The technology-transaction amount certified (at most the contract amount).
    #[schema(value_type = String)]
    pub certified_amount: Decimalish,
    pub authority: String,
}

/// Record the contract's registration (认定登记).
#[utoipa::path(
    post, path = "/api/v1/contracts/{id}/registration", tag = "contracts", params(("id" = i64, Path)), request_body = RegistrationInput,
    responses((status = 200, body = ContractDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<RegistrationInput>,
) -> Result<Json<ContractDto>, ApiError> {
    let c = state
        .app
        .register_contract(
            &ctx.actor,
            id,
            input.version,
            &input.number,
            &input.registered_on,
            &input.certified_amount.text(),
            &input.authority,
        )
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok(Json(dto(&c)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub version: i64,
    #[schema(value_type = String)]
    pub amount: Decimalish,
    pub received_on: String,
    #[serde(default)]
    pub reference: String,
}

/// Record a payment received (the payments may not exceed the contract amount).
#[utoipa::path(
    post, path = "/api/v1/contracts/{id}/payments", tag = "contracts", params(("id" = i64, Path)), request_body = PaymentInput,
    responses((status = 201, body = ContractDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn payment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<PaymentInput>,
) -> Result<(StatusCode, Json<ContractDto>), ApiError> {
    let c = state
        .app
        .record_payment(&ctx.actor, id, input.version, &input.amount.text(), &input.received_on, &input.reference)
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(dto(&c))))
}
