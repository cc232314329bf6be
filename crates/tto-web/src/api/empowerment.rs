//! `/api/v1/empowerment-agreements`: ownership empowerment (赋权).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_app::empowerment::EmpowermentFilter;
use tto_domain::empowerment::{AgreementStatus, EmpowermentKind, TermsDraft};
use tto_domain::{AchievementId, Violation};
use tto_store::empowerment::{Agreement, AgreementRow};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Decimalish, Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::{date, rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct PartyDto {
    pub name: String,
    /// Share in percent: of ownership after the agreement (ownership kinds), or within the
    /// team holding the use right.
    pub share: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementDto {
    pub id: i64,
    pub institution_id: i64,
    pub achievement_id: i64,
    /// `part_ownership`, `transfer_retained_share`, `full_ownership`, `long_term_use_right`.
    pub kind: String,
    /// `draft`, `approved`, `noticing`, `effective`, `cancelled`.
    pub status: String,
    pub parties: Vec<PartyDto>,
    /// Contributors' share of conversion income, percent.
    pub income_share: String,
    pub cost_share: String,
    pub maintenance_share: String,
    pub decision_rules: String,
    pub term_years: Option<u32>,
    pub deal_reference: Option<String>,
    pub approved_on: Option<String>,
    pub approval_ref: Option<String>,
    pub notice_starts_on: Option<String>,
    pub notice_ends_on: Option<String>,
    pub effective_from: Option<String>,
    pub effective_until: Option<String>,
    pub cancel_reason: Option<String>,
    pub policy_profile: String,
    pub version: i64,
    pub updated_at: String,
}

pub fn dto(a: &Agreement) -> AgreementDto {
    let t = &a.terms;
    AgreementDto {
        id: a.id,
        institution_id: a.institution_id.0,
        achievement_id: a.achievement_id.0,
        kind: t.kind.code().to_string(),
        status: a.status.code().to_string(),
        parties: t
            .parties
            .iter()
            .map(|p| PartyDto { name: p.name.clone(), share: p.share.value().normalize().to_string() })
            .collect(),
        income_share: t.income_share.value().normalize().to_string(),
        cost_share: t.cost_share.value().normalize().to_string(),
        maintenance_share: t.maintenance_share.value().normalize().to_string(),
        decision_rules: t.decision_rules.clone(),
        term_years: t.term_years,
        deal_reference: t.deal_reference.clone(),
        approved_on: a.approved_on.map(date),
        approval_ref: a.approval_ref.clone(),
        notice_starts_on: a.notice_starts_on.map(date),
        notice_ends_on: a.notice_ends_on.map(date),
        effective_from: a.effective_from.map(date),
        effective_until: a.effective_until.map(date),
        cancel_reason: a.cancel_reason.clone(),
        policy_profile: a.policy_profile.clone(),
        version: a.version,
        updated_at: rfc3339(a.updated_at),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementRowDto {
    pub id: i64,
    pub achievement_id: i64,
    pub achievement_code: String,
    pub achievement_title: String,
    pub kind: String,
    pub status: String,
    pub income_share: String,
    pub effective_from: Option<String>,
    pub effective_until: Option<String>,
}

impl From<&AgreementRow> for AgreementRowDto {
    fn from(r: &AgreementRow) -> Self {
        AgreementRowDto {
            id: r.id,
            achievement_id: r.achievement_id.0,
            achievement_code: r.achievement_code.clone(),
            achievement_title: r.achievement_title.clone(),
            kind: r.kind.code().to_string(),
            status: r.status.code().to_string(),
            income_share: r.income_share.value().normalize().to_string(),
            effective_from: r.effective_from.map(date),
            effective_until: r.effective_until.map(date),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    pub name: String,
    #[schema(value_type = String)]
    pub share: Decimalish,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    pub achievement_id: i64,
    pub kind: String,
    pub parties: Vec<PartyInput>,
    #[schema(value_type = String)]
    pub income_share: Decimalish,
    #[schema(value_type = String)]
    pub cost_share: Decimalish,
    #[schema(value_type = String)]
    pub maintenance_share: Decimalish,
    pub decision_rules: String,
    /// Long-term use right: years (at least the policy minimum).
    pub term_years: Option<u32>,
    /// Transfer of the retained share: the deal or contract it goes through.
    pub deal_reference: Option<String>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    achievement_id: Option<i64>,
    kind: Option<String>,
    status: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/empowerment-agreements", tag = "empowerment", params(ListParams),
    responses((status = 200, body = [AgreementRowDto]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<AgreementRowDto>>, ApiError> {
    let bad = |f: &str, v: Violation| ApiError::bad_field(ctx.lang, f, &v);
    let filter = EmpowermentFilter {
        achievement: match param(&pairs, "achievement_id") {
            Some(v) => Some(AchievementId(
                v.parse()
                    .map_err(|_| bad("achievement_id", Violation::InvalidFormat { expected: "positive_integer" }))?,
            )),
            None => None,
        },
        kind: param(&pairs, "kind").map(EmpowermentKind::from_code).transpose().map_err(|v| bad("kind", v))?,
        status: param(&pairs, "status").map(AgreementStatus::from_code).transpose().map_err(|v| bad("status", v))?,
    };
    let rows = state.app.empowerment_agreements(&ctx.actor, &filter).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(rows.iter().map(AgreementRowDto::from).collect()))
}

#[utoipa::path(
    get, path = "/api/v1/empowerment-agreements/{id}", tag = "empowerment", params(("id" = i64, Path)),
    responses((status = 200, body = AgreementDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<AgreementDto>, ApiError> {
    let view = state.app.empowerment_agreement(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(dto(&view.agreement)))
}

/// Draft an agreement for a job-related achievement.
#[utoipa::path(
    post, path = "/api/v1/empowerment-agreements", tag = "empowerment", request_body = AgreementInput,
    responses(
        (status = 201, body = AgreementDto), (status = 409, description = "Conflicts with another agreement", body = ErrorBody),
        (status = 422, description = "Invalid terms (shares, use-right term below the policy minimum, not job-related …)", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<AgreementInput>,
) -> Result<(StatusCode, Json<AgreementDto>), ApiError> {
    let draft = TermsDraft {
        kind: input.kind,
        parties: input.parties.iter().map(|p| (p.name.clone(), p.share.text())).collect(),
        income_share: input.income_share.text(),
        cost_share: input.cost_share.text(),
        maintenance_share: input.maintenance_share.text(),
        decision_rules: input.decision_rules,
        term_years: input.term_years.map(|y| y.to_string()),
        deal_reference: input.deal_reference,
    };
    let created = state
        .app
        .create_empowerment(&ctx.actor, AchievementId(input.achievement_id), &draft)
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(dto(&created))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub version: i64,
    /// `approve`: date of the coordination group's decision.
    pub approved_on: Option<String>,
    /// `approve`: the decision's reference (minutes, document number).
    pub approval_ref: Option<String>,
    /// `notice`: first day of the on-campus notice.
    pub starts_on: Option<String>,
    /// `notice`: last day (at least the policy's minimum days after the first).
    pub ends_on: Option<String>,
    /// `effect`: the day the agreement takes effect.
    pub effective_from: Option<String>,
    /// `cancel`: why.
    pub reason: Option<String>,
}

/// Move an agreement on: `approve`, `notice`, `effect` (ownership periods are updated) or `cancel`.
#[utoipa::path(
    post, path = "/api/v1/empowerment-agreements/{id}/{step}", tag = "empowerment",
    params(("id" = i64, Path), ("step" = String, Path, description = "approve | notice | effect | cancel")),
    request_body = StepInput,
    responses(
        (status = 200, body = AgreementDto), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed now, stale version, notice unfinished", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    Body(input): Body<StepInput>,
) -> Result<Json<AgreementDto>, ApiError> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let app = &state.app;
    let result = match step.as_str() {
        "approve" => {
            app.approve_empowerment(
                &ctx.actor,
                id,
                input.version,
                &text(&input.approved_on),
                &text(&input.approval_ref),
            )
            .await
        }
        "notice" => {
            app.start_empowerment_notice(&ctx.actor, id, input.version, &text(&input.starts_on), &text(&input.ends_on))
                .await
        }
        "effect" => app.empowerment_take_effect(&ctx.actor, id, input.version, &text(&input.effective_from)).await,
        "cancel" => app.cancel_empowerment(&ctx.actor, id, input.version, &text(&input.reason)).await,
        other => {
            return Err(ApiError::bad_field(ctx.lang, "step", &Violation::UnknownChoice { value: other.to_string() }));
        }
    };
    Ok(Json(dto(&result.map_err(|e| ctx.api_error(e))?)))
}
