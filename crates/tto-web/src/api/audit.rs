//! `/api/v1/audit`

use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;
use tto_app::audit_log::{AuditEvent, AuditFilter};
use tto_domain::Violation;
use utoipa::{IntoParams, ToSchema};

use super::json::{Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    pub seq: i64,
    pub occurred_at: String,
    pub institution_id: Option<i64>,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// JSON text of the record before the change.
    pub before: Option<String>,
    /// JSON text of the record after the change.
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditEvent> for AuditEventDto {
    fn from(e: AuditEvent) -> Self {
        AuditEventDto {
            seq: e.seq,
            occurred_at: e.occurred_at,
            institution_id: e.institution_id,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor: e.actor_label,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            before: e.before_json,
            after: e.after_json,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditListDto {
    pub items: Vec<AuditEventDto>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AuditParams {
    entity_type: Option<String>,
    entity_id: Option<String>,
    /// User name or actor kind (`system`, `anonymous`).
    actor: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    to: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Read the filter of the audit list from query parameters.
pub fn audit_filter(pairs: &Pairs) -> Result<AuditFilter, (String, Violation)> {
    let date = |name: &str| -> Result<Option<time::Date>, (String, Violation)> {
        param(pairs, name).map(tto_domain::period::parse_date).transpose().map_err(|v| (name.to_string(), v))
    };
    Ok(AuditFilter {
        entity_type: param(pairs, "entity_type").map(str::to_string),
        entity_id: param(pairs, "entity_id").map(str::to_string),
        actor: param(pairs, "actor").map(str::to_string),
        from: date("from")?,
        to: date("to")?,
    })
}

/// Audit events the caller may read, newest first.
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit",
    params(AuditParams),
    responses((status = 200, body = AuditListDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<AuditListDto>, ApiError> {
    let filter = audit_filter(&pairs).map_err(|(f, v)| ApiError::bad_field(ctx.lang, &f, &v))?;
    let limit = param(&pairs, "limit").map(|l| l.parse::<i64>().unwrap_or(0)).unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_field(
            ctx.lang,
            "limit",
            &Violation::OutOfRange { min: "1".into(), max: "500".into() },
        ));
    }
    let cursor =
        match param(&pairs, "cursor") {
            None => None,
            Some(c) => Some(c.parse::<i64>().map_err(|_| {
                ApiError::bad_field(ctx.lang, "cursor", &Violation::InvalidFormat { expected: "cursor" })
            })?),
        };
    let page = state.app.audit_events(&ctx.actor, &filter, cursor, limit).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(AuditListDto {
        total: page.total,
        next_cursor: page.next_before.map(|s| s.to_string()),
        items: page.events.into_iter().map(AuditEventDto::from).collect(),
    }))
}
