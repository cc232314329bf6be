//! `/api/v1/events`: handshake events (校企对接活动, measures 六 and 十五) — set up, invite,
//! register, propose and publish the matchmaking agenda, record outcomes.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tto_app::events::{EventFilter, EventRow, EventView, Meeting, OutcomeSummary, Participant, ProposedAgenda};
use tto_domain::event::{EventAction, EventDraft, EventKind, EventStatus, OutcomeDraft, SlotSettings, format_time};
use tto_domain::{InstitutionId, Violation};
use utoipa::{IntoParams, ToSchema};

use super::json::{Body, Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::format::{date, rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct EventRowDto {
    pub id: i64,
    /// The organiser.
    pub institution_id: i64,
    pub institution_name: String,
    pub title: String,
    /// `handshake`, `forum`, `roadshow`, `training`, `contest`.
    pub kind: String,
    pub chain: Option<String>,
    pub date: String,
    pub venue: String,
    /// `draft`, `registration_open`, `agenda_published`, `held`, `closed`, `cancelled`.
    pub status: String,
    pub registered: i64,
    pub meetings: i64,
}

impl From<&EventRow> for EventRowDto {
    fn from(r: &EventRow) -> Self {
        EventRowDto {
            id: r.id,
            institution_id: r.institution_id.0,
            institution_name: r.institution_name.clone(),
            title: r.title.clone(),
            kind: r.kind.code().to_string(),
            chain: r.chain.clone(),
            date: date(r.date),
            venue: r.venue.clone(),
            status: r.status.code().to_string(),
            registered: r.registered,
            meetings: r.meetings,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotDto {
    /// 0-based.
    pub slot: u16,
    /// `HH:MM`.
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantDto {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    /// `enterprise` (brings needs) or `university` (brings achievements).
    pub role: String,
    /// `invited`, `registered`, `declined`.
    pub status: String,
    /// Shown to the organiser and the participant's own institution.
    pub attendee_name: Option<String>,
    pub registered_at: Option<String>,
    /// Whether the caller may register or decline for this participant now.
    pub can_register: bool,
}

fn participant_dto(p: &Participant, can_register: bool) -> ParticipantDto {
    ParticipantDto {
        id: p.id,
        institution_id: p.institution_id.0,
        institution_name: p.name.clone(),
        role: p.role.code().to_string(),
        status: p.status.code().to_string(),
        attendee_name: p.attendee_name.clone(),
        registered_at: p.registered_at.map(rfc3339),
        can_register,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingDto {
    pub id: i64,
    pub slot: u16,
    pub table: u16,
    pub starts_at: String,
    pub ends_at: String,
    pub need_id: i64,
    pub need_title: String,
    pub enterprise_name: String,
    /// The enterprise side (no two meetings of one party share a slot).
    pub need_party: String,
    pub achievement_id: i64,
    pub achievement_title: String,
    pub university_name: String,
    /// The university team.
    pub achievement_party: String,
    /// Relevance score of the pair (higher is better).
    pub score: f64,
    pub matched_terms: Vec<String>,
    pub explanation: String,
    /// `pending`, `held`, `no_show` (always `pending` unless the caller sees outcomes).
    pub outcome: String,
    pub contact_made: bool,
    pub intention: bool,
    pub deal: bool,
    pub notes: Option<String>,
    pub recorded_at: Option<String>,
    pub version: i64,
}

fn meeting_dto(m: &Meeting, slots: &SlotSettings) -> MeetingDto {
    let (start, end) = slots.slot_time(m.slot);
    MeetingDto {
        id: m.id,
        slot: m.slot,
        table: m.table,
        starts_at: format_time(start),
        ends_at: format_time(end),
        need_id: m.need_id,
        need_title: m.need_title.clone(),
        enterprise_name: m.enterprise_name.clone(),
        need_party: m.need_party.clone(),
        achievement_id: m.achievement_id,
        achievement_title: m.achievement_title.clone(),
        university_name: m.university_name.clone(),
        achievement_party: m.achievement_party.clone(),
        score: m.score_milli as f64 / 1000.0,
        matched_terms: m.matched_terms.clone(),
        explanation: m.explanation.clone(),
        outcome: m.outcome.outcome.code().to_string(),
        contact_made: m.outcome.contact_made,
        intention: m.outcome.intention,
        deal: m.outcome.deal,
        notes: m.outcome.notes.clone(),
        recorded_at: m.recorded_at.map(rfc3339),
        version: m.version,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeSummaryDto {
    pub meetings: usize,
    pub pending: usize,
    pub held: usize,
    pub no_show: usize,
    pub contacts: usize,
    pub intentions: usize,
    pub deals: usize,
}

impl From<OutcomeSummary> for OutcomeSummaryDto {
    fn from(s: OutcomeSummary) -> Self {
        OutcomeSummaryDto {
            meetings: s.meetings,
            pending: s.pending,
            held: s.held,
            no_show: s.no_show,
            contacts: s.contacts,
            intentions: s.intentions,
            deals: s.deals,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub title: String,
    pub kind: String,
    pub chain: Option<String>,
    pub description: Option<String>,
    pub date: String,
    pub venue: String,
    /// `HH:MM`.
    pub first_slot_start: String,
    pub slot_minutes: u16,
    pub slot_count: u16,
    pub tables: u16,
    /// Most meetings one need or one achievement gets.
    pub meetings_per_item: u16,
    pub status: String,
    pub agenda_proposed_at: Option<String>,
    pub agenda_published_at: Option<String>,
    pub slots: Vec<SlotDto>,
    pub participants: Vec<ParticipantDto>,
    /// The agenda (empty until published, except for the organiser).
    pub agenda: Vec<MeetingDto>,
    /// The organiser's counts of outcomes.
    pub summary: Option<OutcomeSummaryDto>,
    /// Lifecycle steps (and `propose_agenda`, `invite`, `record_outcome`) the caller may take.
    pub actions: Vec<String>,
    pub version: i64,
    pub updated_at: String,
}

fn view_dto(v: &EventView) -> EventDto {
    let e = &v.event;
    let f = &e.fields;
    let mut actions: Vec<String> = v.actions.iter().map(|a| a.code().to_string()).collect();
    if v.can_edit {
        actions.push("edit".into());
    }
    if v.can_invite {
        actions.push("invite".into());
    }
    if v.can_propose {
        actions.push("propose_agenda".into());
    }
    if v.can_record {
        actions.push("record_outcome".into());
    }
    EventDto {
        id: e.id,
        institution_id: e.institution_id.0,
        institution_name: e.institution_name.clone(),
        title: f.title.clone(),
        kind: f.kind.code().to_string(),
        chain: f.chain.as_ref().map(|c| c.as_str().to_string()),
        description: f.description.clone(),
        date: date(f.date),
        venue: f.venue.clone(),
        first_slot_start: format_time(f.slots.first_start),
        slot_minutes: f.slots.slot_minutes,
        slot_count: f.slots.slots,
        tables: f.slots.tables,
        meetings_per_item: f.slots.meetings_per_item,
        status: e.status.code().to_string(),
        agenda_proposed_at: e.agenda_proposed_at.map(rfc3339),
        agenda_published_at: e.agenda_published_at.map(rfc3339),
        slots: (0..f.slots.slots)
            .map(|s| {
                let (start, end) = f.slots.slot_time(s);
                SlotDto { slot: s, starts_at: format_time(start), ends_at: format_time(end) }
            })
            .collect(),
        participants: v.participants.iter().map(|p| participant_dto(p, v.can_register.contains(&p.id))).collect(),
        agenda: v.meetings.iter().map(|m| meeting_dto(m, &f.slots)).collect(),
        summary: v.summary.map(OutcomeSummaryDto::from),
        actions,
        version: e.version,
        updated_at: rfc3339(e.updated_at),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub title: String,
    /// `handshake`, `forum`, `roadshow`, `training`, `contest`.
    pub kind: String,
    /// An industrial-chain code (required for handshake events).
    pub chain: Option<String>,
    pub description: Option<String>,
    /// `YYYY-MM-DD`, not in the past.
    pub date: String,
    pub venue: String,
    /// `HH:MM`, the start of the first meeting slot.
    pub first_slot_start: String,
    /// 5–240.
    pub slot_minutes: i64,
    /// 1–48.
    pub slot_count: i64,
    /// Tables per slot, 1–100.
    pub tables: i64,
    /// Most meetings one need or one achievement gets, 1–10 (default 3).
    pub meetings_per_item: Option<i64>,
    /// Platform administrators: the organising institution.
    pub institution_id: Option<i64>,
    /// Updates: the version the change is based on.
    pub version: Option<i64>,
}

impl EventInput {
    fn draft(&self) -> EventDraft {
        EventDraft {
            title: self.title.clone(),
            kind: self.kind.clone(),
            chain: self.chain.clone(),
            description: self.description.clone(),
            date: self.date.clone(),
            venue: self.venue.clone(),
            first_slot_start: self.first_slot_start.clone(),
            slot_minutes: self.slot_minutes.to_string(),
            slot_count: self.slot_count.to_string(),
            tables: self.tables.to_string(),
            meetings_per_item: self.meetings_per_item.unwrap_or(3).to_string(),
        }
    }
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// `draft`, `registration_open`, `agenda_published`, `held`, `closed`, `cancelled`.
    status: Option<String>,
    /// `handshake`, `forum`, `roadshow`, `training`, `contest`.
    kind: Option<String>,
    /// An industrial-chain code.
    chain: Option<String>,
    institution_id: Option<i64>,
    offset: Option<i64>,
    /// At most 500 (default 100).
    limit: Option<i64>,
}

fn number(lang: crate::i18n::Lang, pairs: &Pairs, name: &str) -> Result<Option<i64>, ApiError> {
    param(pairs, name)
        .map(|v| {
            v.trim().parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::bad_field(lang, name, &Violation::InvalidFormat { expected: "positive_integer" })
            })
        })
        .transpose()
}

/// Events the caller may see: every event from the opening of registration on, and the
/// caller's own drafts. Newest date first.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "events", params(ListParams),
    responses((status = 200, body = [EventRowDto]), (status = 400, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<Vec<EventRowDto>>, ApiError> {
    let bad = |field: &str, v: Violation| ApiError::bad_field(ctx.lang, field, &v);
    let filter = EventFilter {
        status: param(&pairs, "status").map(EventStatus::from_code).transpose().map_err(|v| bad("status", v))?,
        kind: param(&pairs, "kind").map(EventKind::from_code).transpose().map_err(|v| bad("kind", v))?,
        chain: match param(&pairs, "chain") {
            Some(c) => Some(state.app.chains().code(c).map_err(|v| bad("chain", v))?.as_str().to_string()),
            None => None,
        },
        institution: number(ctx.lang, &pairs, "institution_id")?.map(InstitutionId),
    };
    let offset = number(ctx.lang, &pairs, "offset")?.unwrap_or(0);
    let limit = number(ctx.lang, &pairs, "limit")?.unwrap_or(100).clamp(1, 500);
    let listing = state.app.list_events(&ctx.actor, &filter, offset, limit).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(listing.rows.iter().map(EventRowDto::from).collect()))
}

/// One event with its participants, its agenda (once published, or to the organiser) and
/// the organiser's outcome counts.
#[utoipa::path(
    get, path = "/api/v1/events/{id}", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = EventDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn get_one(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Json<EventDto>, ApiError> {
    let view = state.app.event(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&view)))
}

async fn reply(state: &AppState, ctx: &Ctx, id: i64) -> Result<Json<EventDto>, ApiError> {
    let view = state.app.event(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(view_dto(&view)))
}

/// Set up an event (as a draft) organised by the caller's institution.
#[utoipa::path(
    post, path = "/api/v1/events", tag = "events", request_body = EventInput,
    responses(
        (status = 201, body = EventDto),
        (status = 422, description = "Invalid fields (past date, unknown chain, slot grid …)", body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Body(input): Body<EventInput>,
) -> Result<(StatusCode, Json<EventDto>), ApiError> {
    let event = state
        .app
        .create_event(&ctx.actor, input.institution_id.map(InstitutionId), &input.draft())
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, reply(&state, &ctx, event.id).await?))
}

/// Replace the content of an event still in draft, naming the version it is based on.
#[utoipa::path(
    put, path = "/api/v1/events/{id}", tag = "events", params(("id" = i64, Path)), request_body = EventInput,
    responses(
        (status = 200, body = EventDto), (status = 404, body = ErrorBody),
        (status = 409, description = "Stale version, or no longer a draft", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<EventInput>,
) -> Result<Json<EventDto>, ApiError> {
    let Some(version) = input.version else {
        return Err(ApiError::bad_field(ctx.lang, "version", &Violation::Required));
    };
    state.app.update_event(&ctx.actor, id, version, &input.draft()).await.map_err(|e| ctx.api_error(e))?;
    reply(&state, &ctx, id).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub version: i64,
}

/// Move an event on: `open_registration`, `publish_agenda`, `hold`, `close`, `cancel`.
#[utoipa::path(
    post, path = "/api/v1/events/{id}/{step}", tag = "events",
    params(("id" = i64, Path), ("step" = String, Path, description = "open_registration | publish_agenda | hold | close | cancel")),
    request_body = StepInput,
    responses(
        (status = 200, body = EventDto), (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed now (status, empty agenda, not yet held), or stale version", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    Body(input): Body<StepInput>,
) -> Result<Json<EventDto>, ApiError> {
    let action = EventAction::from_code(&step).map_err(|v| ApiError::bad_field(ctx.lang, "step", &v))?;
    state.app.transition_event(&ctx.actor, id, input.version, action).await.map_err(|e| ctx.api_error(e))?;
    reply(&state, &ctx, id).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    pub institution_id: i64,
    /// `enterprise` or `university` (default: from the institution's kind).
    pub role: Option<String>,
}

/// Invite an institution (organisers; before the agenda is published).
#[utoipa::path(
    post, path = "/api/v1/events/{id}/participants", tag = "events", params(("id" = i64, Path)),
    request_body = InviteInput,
    responses(
        (status = 201, body = ParticipantDto), (status = 404, body = ErrorBody),
        (status = 409, description = "Already invited, or invitations closed", body = ErrorBody),
        (status = 422, description = "Unknown institution, or a side that does not fit its kind", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn invite(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<InviteInput>,
) -> Result<(StatusCode, Json<ParticipantDto>), ApiError> {
    let p = state
        .app
        .invite_to_event(&ctx.actor, id, InstitutionId(input.institution_id), input.role.as_deref())
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok((StatusCode::CREATED, Json(participant_dto(&p, false))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationInput {
    /// Who will attend (required to register).
    pub attendee_name: Option<String>,
    /// Decline the invitation instead.
    #[serde(default)]
    pub decline: bool,
}

/// Register an invited institution (its own users, or the organiser for it), or decline.
#[utoipa::path(
    post, path = "/api/v1/events/{id}/participants/{participant}/registration", tag = "events",
    params(("id" = i64, Path), ("participant" = i64, Path)),
    request_body = RegistrationInput,
    responses(
        (status = 200, body = ParticipantDto), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Registration is not open", body = ErrorBody),
        (status = 422, description = "No attendee name", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, participant)): Path<(i64, i64)>,
    Body(input): Body<RegistrationInput>,
) -> Result<Json<ParticipantDto>, ApiError> {
    let p = state
        .app
        .register_for_event(&ctx.actor, id, participant, input.attendee_name.as_deref(), input.decline)
        .await
        .map_err(|e| ctx.api_error(e))?;
    Ok(Json(participant_dto(&p, true)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaDto {
    pub event_id: i64,
    pub status: String,
    pub slots: Vec<SlotDto>,
    pub tables: u16,
    pub meetings: Vec<MeetingDto>,
    /// After a proposal: distinct need × achievement pairs found, and those left out
    /// because a need or achievement had its share of meetings or no slot had room.
    pub candidates: Option<usize>,
    pub over_limit: Option<usize>,
    pub no_room: Option<usize>,
}

fn agenda_dto(v: &EventView) -> AgendaDto {
    let e = view_dto(v);
    AgendaDto {
        event_id: e.id,
        status: e.status,
        slots: e.slots,
        tables: e.tables,
        meetings: e.agenda,
        candidates: None,
        over_limit: None,
        no_room: None,
    }
}

/// The agenda: meetings by slot and table (published, or proposed for the organiser).
#[utoipa::path(
    get, path = "/api/v1/events/{id}/agenda", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = AgendaDto), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn agenda(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Json<AgendaDto>, ApiError> {
    let view = state.app.event(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(agenda_dto(&view)))
}

/// Propose the agenda from the registered participants (replaces the proposed agenda; while
/// registration is open).
#[utoipa::path(
    post, path = "/api/v1/events/{id}/agenda", tag = "events", params(("id" = i64, Path)),
    request_body = StepInput,
    responses(
        (status = 200, body = AgendaDto), (status = 404, body = ErrorBody),
        (status = 409, description = "Registration is not open, or stale version", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn propose(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Body(input): Body<StepInput>,
) -> Result<Json<AgendaDto>, ApiError> {
    let proposed: ProposedAgenda =
        state.app.propose_agenda(&ctx.actor, id, input.version).await.map_err(|e| ctx.api_error(e))?;
    let view = state.app.event(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    let mut dto = agenda_dto(&view);
    dto.candidates = Some(proposed.candidates);
    dto.over_limit = Some(proposed.over_limit);
    dto.no_room = Some(proposed.no_room);
    Ok(Json(dto))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeInput {
    /// The meeting's version.
    pub version: i64,
    /// `pending`, `held`, `no_show`.
    pub outcome: String,
    #[serde(default)]
    pub contact_made: bool,
    /// A cooperation intention (合作意向).
    #[serde(default)]
    pub intention: bool,
    /// A deal agreed (签约).
    #[serde(default)]
    pub deal: bool,
    pub notes: Option<String>,
}

/// Record the outcome of one meeting (organisers; once the agenda is published).
#[utoipa::path(
    post, path = "/api/v1/events/{id}/meetings/{meeting}/outcome", tag = "events",
    params(("id" = i64, Path), ("meeting" = i64, Path)),
    request_body = OutcomeInput,
    responses(
        (status = 200, body = MeetingDto), (status = 404, body = ErrorBody),
        (status = 409, description = "Not recordable now, or stale version", body = ErrorBody),
        (status = 422, description = "Results for a meeting that was not held", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn record_outcome(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, meeting)): Path<(i64, i64)>,
    Body(input): Body<OutcomeInput>,
) -> Result<Json<MeetingDto>, ApiError> {
    let draft = OutcomeDraft {
        outcome: input.outcome.clone(),
        contact_made: input.contact_made,
        intention: input.intention,
        deal: input.deal,
        notes: input.notes.clone(),
    };
    let m = state
        .app
        .record_meeting_outcome(&ctx.actor, id, meeting, input.version, &draft)
        .await
        .map_err(|e| ctx.api_error(e))?;
    let view = state.app.event(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(meeting_dto(&m, &view.event.fields.slots)))
}

/// Counts of the meetings' outcomes: held, no-shows, contacts, intentions, deals.
#[utoipa::path(
    get, path = "/api/v1/events/{id}/outcomes", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = OutcomeSummaryDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = []))
)]
pub async fn outcomes(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<OutcomeSummaryDto>, ApiError> {
    let s = state.app.event_outcomes(&ctx.actor, id).await.map_err(|e| ctx.api_error(e))?;
    Ok(Json(s.into()))
}
