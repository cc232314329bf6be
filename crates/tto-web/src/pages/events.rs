//! Pages of handshake events (校企对接活动): the list with its status filter, the form, and
//! the event page — facts, lifecycle steps, participants with invitation and registration,
//! the agenda as a grid of slots × tables, the outcome of each meeting and the counts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::events::{EventFilter, EventView};
use tto_app::{AppError, Permission};
use tto_domain::InstitutionId;
use tto_domain::event::{
    EventAction, EventDraft, EventKind, EventStatus, MeetingOutcome, OutcomeDraft, ParticipantRole, ParticipantStatus,
    format_time,
};

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx, FormData};
use crate::format::{date, datetime};
use crate::i18n::T;
use crate::xlsx::{Cell, download, workbook};

const PAGE_SIZE: i64 = 50;

fn badge(s: EventStatus) -> &'static str {
    match s {
        EventStatus::Draft => "grey",
        EventStatus::RegistrationOpen => "amber",
        EventStatus::AgendaPublished => "blue",
        EventStatus::Held | EventStatus::Closed => "green",
        EventStatus::Cancelled => "red",
    }
}

fn participant_badge(s: ParticipantStatus) -> &'static str {
    match s {
        ParticipantStatus::Invited => "amber",
        ParticipantStatus::Registered => "green",
        ParticipantStatus::Declined => "grey",
    }
}

fn outcome_badge(o: MeetingOutcome) -> &'static str {
    match o {
        MeetingOutcome::Pending => "grey",
        MeetingOutcome::Held => "green",
        MeetingOutcome::NoShow => "red",
    }
}

fn chain_name(state: &AppState, t: T, code: &str) -> String {
    match state.app.chains().get(code) {
        Some(c) if t.lang_code() == "en" => c.name_en.clone(),
        Some(c) => c.name_zh.clone(),
        None => code.to_string(),
    }
}

fn any(t: T, none: bool) -> Choice {
    Choice { value: String::new(), label: t.s("filter.any").to_string(), selected: none }
}

pub struct EventRowView {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub chain: String,
    pub date: String,
    pub venue: String,
    pub organiser: String,
    pub registered: i64,
    pub meetings: i64,
    pub status: String,
    pub status_badge: &'static str,
}

#[derive(Template)]
#[template(path = "events/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<EventRowView>,
    total: i64,
    counts: Vec<(String, String, i64, &'static str)>,
    statuses: Vec<Choice>,
    kinds: Vec<Choice>,
    can_create: bool,
    export_href: String,
    prev_href: String,
    next_href: String,
}

fn filter_from(pairs: &[(String, String)]) -> EventFilter {
    let get = |k: &str| pairs.iter().find(|(key, v)| key == k && !v.trim().is_empty()).map(|(_, v)| v.trim());
    EventFilter {
        status: get("status").and_then(|v| EventStatus::from_code(v).ok()),
        kind: get("kind").and_then(|v| EventKind::from_code(v).ok()),
        chain: get("chain").map(str::to_string),
        institution: get("institution_id").and_then(|v| v.parse().ok()).map(InstitutionId),
    }
}

fn query_without_page(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .filter(|(k, _)| k != "page" && k != "done")
        .map(|(k, v)| format!("{k}={}", crate::filters::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let filter = filter_from(&pairs);
    let page: i64 = pairs.iter().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok()).unwrap_or(1).max(1);
    let listing = match state.app.list_events(&ctx.actor, &filter, (page - 1) * PAGE_SIZE, PAGE_SIZE).await {
        Ok(l) => l,
        Err(e) => return fail(&ctx, e),
    };
    let query = query_without_page(&pairs);
    let href = |p: i64| format!("/events?{query}{}page={p}", if query.is_empty() { "" } else { "&" });
    let layout = Layout::new(&ctx, t.s("events.title")).crumb(t.s("events.title"), "/events");
    render(&ListPage {
        rows: listing
            .rows
            .iter()
            .map(|r| EventRowView {
                id: r.id,
                title: r.title.clone(),
                kind: t.code("events.kind", r.kind.code()),
                chain: r.chain.as_deref().map(|c| chain_name(&state, t, c)).unwrap_or_else(|| "—".into()),
                date: date(r.date),
                venue: r.venue.clone(),
                organiser: r.institution_name.clone(),
                registered: r.registered,
                meetings: r.meetings,
                status: t.code("events.status", r.status.code()),
                status_badge: badge(r.status),
            })
            .collect(),
        total: listing.total,
        counts: listing
            .counts
            .iter()
            .map(|(s, n)| (s.code().to_string(), t.code("events.status", s.code()), *n, badge(*s)))
            .collect(),
        statuses: std::iter::once(any(t, filter.status.is_none()))
            .chain(EventStatus::ALL.iter().map(|s| Choice {
                value: s.code().into(),
                label: t.code("events.status", s.code()),
                selected: filter.status == Some(*s),
            }))
            .collect(),
        kinds: std::iter::once(any(t, filter.kind.is_none()))
            .chain(EventKind::ALL.iter().map(|k| Choice {
                value: k.code().into(),
                label: t.code("events.kind", k.code()),
                selected: filter.kind == Some(*k),
            }))
            .collect(),
        can_create: ctx.actor.user().is_some() && ctx.actor.can(Permission::EventManage),
        export_href: format!("/events/export.xlsx?{query}"),
        prev_href: if page > 1 { href(page - 1) } else { String::new() },
        next_href: if page * PAGE_SIZE < listing.total { href(page + 1) } else { String::new() },
        layout,
    })
}

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let listing = match state.app.list_events(&ctx.actor, &filter_from(&pairs), 0, 1000).await {
        Ok(l) => l,
        Err(e) => return fail(&ctx, e),
    };
    let cells: Vec<Vec<Cell>> = listing
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.id),
                Cell::Text(r.title.clone()),
                Cell::Text(t.code("events.kind", r.kind.code())),
                Cell::Text(r.chain.as_deref().map(|c| chain_name(&state, t, c)).unwrap_or_default()),
                Cell::Text(date(r.date)),
                Cell::Text(r.venue.clone()),
                Cell::Text(r.institution_name.clone()),
                Cell::Int(r.registered),
                Cell::Int(r.meetings),
                Cell::Text(t.code("events.status", r.status.code())),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "events.number",
        "events.event_title",
        "events.kind_label",
        "events.chain",
        "events.date",
        "events.venue",
        "events.organiser",
        "events.registered",
        "events.meetings",
        "field.status",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("events.xlsx", workbook(t.s("events.title"), &headers, &cells))
}

#[derive(Template)]
#[template(path = "events/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    version: i64,
    draft: EventDraft,
    kinds: Vec<Choice>,
    chains: Vec<Choice>,
    description: String,
    errors: FormErrors,
}

fn form_page(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    version: i64,
    draft: EventDraft,
    errors: FormErrors,
) -> FormPage {
    let t = ctx.t();
    let title = if id.is_some() { t.s("events.edit") } else { t.s("events.new") };
    let mut layout = Layout::new(ctx, title).crumb(t.s("events.title"), "/events");
    layout = match id {
        Some(id) => {
            layout.crumb(draft.title.clone(), format!("/events/{id}")).crumb(title, format!("/events/{id}/edit"))
        }
        None => layout.crumb(title, "/events/new"),
    };
    let chain = draft.chain.clone().unwrap_or_default();
    FormPage {
        layout,
        action: id.map(|id| format!("/events/{id}")).unwrap_or_else(|| "/events".into()),
        version,
        kinds: EventKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.code().into(),
                label: t.code("events.kind", k.code()),
                selected: draft.kind == k.code(),
            })
            .collect(),
        chains: std::iter::once(Choice {
            value: String::new(),
            label: t.s("events.no_chain").into(),
            selected: chain.is_empty(),
        })
        .chain(state.app.chains().all().iter().map(|c| Choice {
            value: c.code.as_str().into(),
            label: chain_name(state, t, c.code.as_str()),
            selected: chain == c.code.as_str(),
        }))
        .collect(),
        description: draft.description.clone().unwrap_or_default(),
        draft,
        errors,
    }
}

fn draft_from(form: &FormData) -> EventDraft {
    let opt = |name: &str| form.get(name).map(str::to_string);
    EventDraft {
        title: form.text("title"),
        kind: form.text("kind"),
        chain: opt("chain"),
        description: opt("description"),
        date: form.text("date"),
        venue: form.text("venue"),
        first_slot_start: form.text("first_slot_start"),
        slot_minutes: form.text("slot_minutes"),
        slot_count: form.text("slot_count"),
        tables: form.text("tables"),
        meetings_per_item: form.text("meetings_per_item"),
    }
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Err(e) = ctx.actor.require(Permission::EventManage) {
        return fail(&ctx, e);
    }
    let draft = EventDraft {
        kind: EventKind::Handshake.code().into(),
        date: date(state.app.today() + time::Duration::days(14)),
        first_slot_start: "09:30".into(),
        slot_minutes: "20".into(),
        slot_count: "6".into(),
        tables: "4".into(),
        meetings_per_item: "3".into(),
        ..Default::default()
    };
    render(&form_page(&state, &ctx, None, 0, draft, FormErrors::default()))
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let ctx = Ctx { path: "/events/new".into(), ..ctx };
    let draft = draft_from(&form);
    match state.app.create_event(&ctx.actor, None, &draft).await {
        Ok(e) => see_other(&format!("/events/{}?done=created", e.id)),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => {
                render_status(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&state, &ctx, None, 0, draft, errors))
            }
            None => fail(&ctx, e),
        },
    }
}

fn draft_of(v: &EventView) -> EventDraft {
    let f = &v.event.fields;
    EventDraft {
        title: f.title.clone(),
        kind: f.kind.code().into(),
        chain: f.chain.as_ref().map(|c| c.as_str().to_string()),
        description: f.description.clone(),
        date: date(f.date),
        venue: f.venue.clone(),
        first_slot_start: format_time(f.slots.first_start),
        slot_minutes: f.slots.slot_minutes.to_string(),
        slot_count: f.slots.slots.to_string(),
        tables: f.slots.tables.to_string(),
        meetings_per_item: f.slots.meetings_per_item.to_string(),
    }
}

pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let view = match state.app.event(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    if !view.can_edit {
        return fail(&ctx, AppError::NotFound { entity: "event" });
    }
    render(&form_page(&state, &ctx, Some(id), view.event.version, draft_of(&view), FormErrors::default()))
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let ctx = Ctx { path: format!("/events/{id}/edit"), ..ctx };
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let draft = draft_from(&form);
    match state.app.update_event(&ctx.actor, id, version, &draft).await {
        Ok(_) => see_other(&format!("/events/{id}?done=updated")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(&state, &ctx, Some(id), version, draft, errors),
            ),
            None => fail(&ctx, e),
        },
    }
}

pub struct ParticipantView {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub status: String,
    pub status_badge: &'static str,
    pub attendee: String,
    pub registered_at: String,
    pub can_register: bool,
    pub registered: bool,
}

/// One cell of the agenda grid: a table in a slot.
pub struct GridCell {
    pub meeting: Option<MeetingView>,
}

#[derive(Clone)]
pub struct MeetingView {
    pub id: i64,
    pub version: i64,
    pub time: String,
    pub table: u16,
    pub need_id: i64,
    pub need_title: String,
    pub enterprise: String,
    pub achievement_id: i64,
    pub achievement_title: String,
    pub university: String,
    pub score: String,
    pub why: String,
    pub outcome: String,
    pub outcome_code: &'static str,
    pub outcome_badge: &'static str,
    pub contact_made: bool,
    pub intention: bool,
    pub deal: bool,
    pub notes: String,
}

pub struct SlotRow {
    pub time: String,
    pub cells: Vec<GridCell>,
}

#[derive(Template)]
#[template(path = "events/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    title: String,
    kind: String,
    chain: String,
    description: String,
    date: String,
    venue: String,
    organiser: String,
    grid: String,
    status: String,
    status_badge: &'static str,
    can_edit: bool,
    actions: Vec<(&'static str, String, bool)>,
    participants: Vec<ParticipantView>,
    can_invite: bool,
    invitable: Vec<Choice>,
    roles: Vec<Choice>,
    can_propose: bool,
    agenda_published: bool,
    proposed_at: String,
    tables: Vec<u16>,
    slots: Vec<SlotRow>,
    meetings: Vec<MeetingView>,
    outcomes: Vec<Choice>,
    can_record: bool,
    outcomes_visible: bool,
    summary: Vec<(String, usize)>,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
    /// The row whose form failed (meeting or participant id), to show its error next to it.
    failed_row: i64,
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    v: &EventView,
    errors: FormErrors,
    failed_row: i64,
    notice: Option<String>,
) -> DetailPage {
    let t = ctx.t();
    let e = &v.event;
    let f = &e.fields;
    let mut layout = Layout::new(ctx, f.title.clone())
        .crumb(t.s("events.title"), "/events")
        .crumb(f.title.clone(), format!("/events/{}", e.id));
    layout.notice = notice;
    let invited: Vec<InstitutionId> = v.participants.iter().map(|p| p.institution_id).collect();
    let invitable = if v.can_invite {
        state
            .app
            .institutions()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|i| ParticipantRole::for_kind(i.fields.kind).is_some() && !invited.contains(&i.id))
            .map(|i| Choice {
                value: i.id.0.to_string(),
                label: format!("{}（{}）", i.fields.name, t.code("institution.kind", i.fields.kind.code())),
                selected: false,
            })
            .collect()
    } else {
        Vec::new()
    };
    let meetings: Vec<MeetingView> = v
        .meetings
        .iter()
        .map(|m| {
            let (start, end) = f.slots.slot_time(m.slot);
            let mut why = m.matched_terms.join("、");
            if let Some(c) = &f.chain {
                why = format!("{why} · {}", chain_name(state, t, c.as_str()));
            }
            MeetingView {
                id: m.id,
                version: m.version,
                time: format!("{}–{}", format_time(start), format_time(end)),
                table: m.table,
                need_id: m.need_id,
                need_title: m.need_title.clone(),
                enterprise: m.enterprise_name.clone(),
                achievement_id: m.achievement_id,
                achievement_title: m.achievement_title.clone(),
                university: m.university_name.clone(),
                score: format!("{}", (m.score_milli + 500) / 1000),
                why,
                outcome: t.code("events.outcome", m.outcome.outcome.code()),
                outcome_code: m.outcome.outcome.code(),
                outcome_badge: outcome_badge(m.outcome.outcome),
                contact_made: m.outcome.contact_made,
                intention: m.outcome.intention,
                deal: m.outcome.deal,
                notes: m.outcome.notes.clone().unwrap_or_default(),
            }
        })
        .collect();
    let slots: Vec<SlotRow> = (0..f.slots.slots)
        .map(|s| {
            let (start, end) = f.slots.slot_time(s);
            SlotRow {
                time: format!("{}–{}", format_time(start), format_time(end)),
                cells: (1..=f.slots.tables)
                    .map(|table| GridCell {
                        meeting: v
                            .meetings
                            .iter()
                            .position(|m| m.slot == s && m.table == table)
                            .map(|i| meetings[i].clone()),
                    })
                    .collect(),
            }
        })
        .collect();
    let summary = v
        .summary
        .map(|s| {
            vec![
                (t.s("events.summary.meetings").to_string(), s.meetings),
                (t.s("events.summary.held").to_string(), s.held),
                (t.s("events.summary.no_show").to_string(), s.no_show),
                (t.s("events.summary.pending").to_string(), s.pending),
                (t.s("events.summary.contacts").to_string(), s.contacts),
                (t.s("events.summary.intentions").to_string(), s.intentions),
                (t.s("events.summary.deals").to_string(), s.deals),
            ]
        })
        .unwrap_or_default();
    DetailPage {
        layout,
        id: e.id,
        version: e.version,
        title: f.title.clone(),
        kind: t.code("events.kind", f.kind.code()),
        chain: f.chain.as_ref().map(|c| chain_name(state, t, c.as_str())).unwrap_or_else(|| "—".into()),
        description: f.description.clone().unwrap_or_default(),
        date: date(f.date),
        venue: f.venue.clone(),
        organiser: e.institution_name.clone(),
        grid: t.f(
            "events.grid_text",
            &[
                ("start", format_time(f.slots.first_start)),
                ("minutes", f.slots.slot_minutes.to_string()),
                ("slots", f.slots.slots.to_string()),
                ("tables", f.slots.tables.to_string()),
                ("per_item", f.slots.meetings_per_item.to_string()),
            ],
        ),
        status: t.code("events.status", e.status.code()),
        status_badge: badge(e.status),
        can_edit: v.can_edit,
        actions: v
            .actions
            .iter()
            .map(|a| (a.code(), t.code("events.action", a.code()), matches!(a, EventAction::Cancel)))
            .collect(),
        participants: v
            .participants
            .iter()
            .map(|p| ParticipantView {
                id: p.id,
                name: p.name.clone(),
                role: t.code("events.role", p.role.code()),
                status: t.code("events.participant", p.status.code()),
                status_badge: participant_badge(p.status),
                attendee: p.attendee_name.clone().unwrap_or_default(),
                registered_at: p.registered_at.map(datetime).unwrap_or_default(),
                can_register: v.can_register.contains(&p.id),
                registered: p.status == ParticipantStatus::Registered,
            })
            .collect(),
        can_invite: v.can_invite,
        invitable,
        roles: std::iter::once(Choice { value: String::new(), label: t.s("events.role_auto").into(), selected: true })
            .chain(ParticipantRole::ALL.iter().map(|r| Choice {
                value: r.code().into(),
                label: t.code("events.role", r.code()),
                selected: false,
            }))
            .collect(),
        can_propose: v.can_propose,
        agenda_published: e.agenda_published_at.is_some(),
        proposed_at: e.agenda_proposed_at.map(datetime).unwrap_or_default(),
        tables: (1..=f.slots.tables).collect(),
        slots,
        meetings,
        outcomes: MeetingOutcome::ALL
            .iter()
            .map(|o| Choice { value: o.code().into(), label: t.code("events.outcome", o.code()), selected: false })
            .collect(),
        can_record: v.can_record,
        outcomes_visible: v.outcomes_visible,
        summary,
        timeline: super::record_history(state, ctx, "event", e.id).await,
        errors,
        failed_row,
    }
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let view = match state.app.event(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let notice = super::done_notice(ctx.t(), &pairs, "events.done");
    render(&detail_page(&state, &ctx, &view, FormErrors::default(), 0, notice).await)
}

/// After a failed form on the event page: the page again with the errors, or the error page.
async fn after(state: &AppState, ctx: Ctx, id: i64, result: Result<String, AppError>, row: i64) -> Response {
    match result {
        Ok(done) => see_other(&format!("/events/{id}?done={done}")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => match state.app.event(&ctx.actor, id).await {
                Ok(view) => {
                    let ctx = Ctx { path: format!("/events/{id}"), ..ctx };
                    let status = if matches!(e, AppError::Conflict { .. }) {
                        StatusCode::CONFLICT
                    } else {
                        StatusCode::UNPROCESSABLE_ENTITY
                    };
                    render_status(status, &detail_page(state, &ctx, &view, errors, row, None).await)
                }
                Err(e) => fail(&ctx, e),
            },
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
    let result = match EventAction::from_code(&step) {
        Ok(action) => state.app.transition_event(&ctx.actor, id, version, action).await.map(|_| step.clone()),
        Err(v) => Err(AppError::field("step", v)),
    };
    after(&state, ctx, id, result, 0).await
}

pub async fn invite(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let result = match form.get("institution_id").and_then(|v| v.trim().parse::<i64>().ok()) {
        Some(institution) => state
            .app
            .invite_to_event(&ctx.actor, id, InstitutionId(institution), form.get("role"))
            .await
            .map(|_| "invited".to_string()),
        None => Err(AppError::field("institution_id", tto_domain::Violation::Required)),
    };
    after(&state, ctx, id, result, 0).await
}

pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, participant)): Path<(i64, i64)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let decline = form.checked("decline");
    let result = state
        .app
        .register_for_event(&ctx.actor, id, participant, form.get("attendee_name"), decline)
        .await
        .map(|_| if decline { "declined".to_string() } else { "registered".to_string() });
    let result = result.map_err(|e| super::rename_fields(e, &[("attendee_name", "attendee_name")]));
    after(&state, ctx, id, result, participant).await
}

pub async fn propose(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let result = state.app.propose_agenda(&ctx.actor, id, version).await.map(|_| "proposed".to_string());
    after(&state, ctx, id, result, 0).await
}

pub async fn record_outcome(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, meeting)): Path<(i64, i64)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let draft = OutcomeDraft {
        outcome: form.text("outcome"),
        contact_made: form.checked("contact_made"),
        intention: form.checked("intention"),
        deal: form.checked("deal"),
        notes: form.get("notes").map(str::to_string),
    };
    let result = state
        .app
        .record_meeting_outcome(&ctx.actor, id, meeting, version, &draft)
        .await
        .map(|_| "recorded".to_string());
    after(&state, ctx, id, result, meeting).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code shown on these pages has a label in both languages.
    #[test]
    fn every_code_has_a_label() {
        for lang in [crate::i18n::Lang::Zh, crate::i18n::Lang::En] {
            let t = T::new(lang);
            let mut keys: Vec<String> = Vec::new();
            keys.extend(EventKind::ALL.iter().map(|c| format!("events.kind.{}", c.code())));
            keys.extend(EventStatus::ALL.iter().map(|c| format!("events.status.{}", c.code())));
            keys.extend(EventAction::ALL.iter().map(|c| format!("events.action.{}", c.code())));
            keys.extend(EventAction::ALL.iter().map(|c| format!("events.done.{}", c.code())));
            keys.extend(EventAction::ALL.iter().map(|c| format!("audit.action.event_{}", c.code())));
            keys.extend(ParticipantRole::ALL.iter().map(|c| format!("events.role.{}", c.code())));
            keys.extend(ParticipantStatus::ALL.iter().map(|c| format!("events.participant.{}", c.code())));
            keys.extend(MeetingOutcome::ALL.iter().map(|c| format!("events.outcome.{}", c.code())));
            for done in ["created", "updated", "invited", "registered", "declined", "proposed", "recorded"] {
                keys.push(format!("events.done.{done}"));
            }
            for action in [
                "create",
                "update",
                "invite",
                "register",
                "decline",
                "propose_agenda",
                "agenda_proposed",
                "record_outcome",
            ] {
                keys.push(format!("audit.action.event_{action}"));
            }
            for v in [
                "illegal_event_transition",
                "event_locked",
                "agenda_empty",
                "event_not_yet",
                "invitations_closed",
                "not_a_participant",
                "role_mismatch",
                "registration_closed",
                "agenda_locked",
                "outcomes_closed",
                "outcome_not_held",
                "past_midnight",
            ] {
                keys.push(format!("violation.{v}"));
            }
            keys.push("expected.time".into());
            keys.push("expected.integer".into());
            for k in keys {
                assert_ne!(t.s(&k), k.as_str(), "{k} has no label in {lang:?}");
            }
        }
    }
}
