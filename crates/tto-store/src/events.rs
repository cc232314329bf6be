//! Handshake events (校企对接活动): the event, its invited institutions and the meetings of
//! its matchmaking agenda with their outcomes.
//!
//! Every row carries the organiser's institution id (the tenant). An event in draft is seen
//! by its organiser only; from the opening of registration on it is public information.
//! Which parts of the agenda and its outcomes a reader sees is decided in `tto-app`.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::InstitutionId;
use tto_domain::event::{
    EventFields, EventKind, EventStatus, MeetingOutcome, Outcome, ParticipantRole, ParticipantStatus, SlotSettings,
    format_time, parse_time,
};
use tto_domain::institution::InstitutionKind;

use crate::codec::{
    bool_col, corrupt, date_col, format_date, format_timestamp, i64_col, json_list, opt_str_col, parse_json_list,
    parse_timestamp, str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    /// The organiser.
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub fields: EventFields,
    pub status: EventStatus,
    pub agenda_proposed_at: Option<OffsetDateTime>,
    pub agenda_published_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// One line of the events list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub title: String,
    pub kind: EventKind,
    pub chain: Option<String>,
    pub date: Date,
    pub venue: String,
    pub status: EventStatus,
    /// Registered institutions.
    pub registered: i64,
    pub meetings: i64,
}

/// Filters of the events list. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EventFilter {
    pub status: Option<EventStatus>,
    pub kind: Option<EventKind>,
    pub chain: Option<String>,
    pub institution: Option<InstitutionId>,
}

/// An invited institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub id: i64,
    pub event_id: i64,
    pub institution_id: InstitutionId,
    pub name: String,
    pub kind: InstitutionKind,
    pub role: ParticipantRole,
    pub status: ParticipantStatus,
    pub attendee_name: Option<String>,
    pub invited_at: OffsetDateTime,
    pub registered_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// One meeting of the agenda with its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: i64,
    pub event_id: i64,
    /// 0-based slot of the event's grid.
    pub slot: u16,
    /// 1-based table.
    pub table: u16,
    pub need_id: i64,
    pub need_title: String,
    /// The enterprise with the need (the named enterprise of a collected need).
    pub enterprise_name: String,
    pub need_party: String,
    pub achievement_id: i64,
    pub achievement_title: String,
    pub university_name: String,
    pub achievement_party: String,
    /// Thousandths of the relevance score.
    pub score_milli: i64,
    pub matched_terms: Vec<String>,
    pub explanation: String,
    pub outcome: Outcome,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// A meeting to be saved with a proposed agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    pub slot: u16,
    pub table: u16,
    pub need_id: i64,
    pub need_party: String,
    pub achievement_id: i64,
    pub achievement_party: String,
    pub score_milli: i64,
    pub matched_terms: Vec<String>,
    pub explanation: String,
}

pub fn snapshot(e: &Event) -> Value {
    let f = &e.fields;
    json!({
        "id": e.id,
        "institution_id": e.institution_id.0,
        "title": f.title,
        "kind": f.kind.code(),
        "chain": f.chain.as_ref().map(|c| c.as_str()),
        "description": f.description,
        "date": format_date(f.date),
        "venue": f.venue,
        "first_slot_start": format_time(f.slots.first_start),
        "slot_minutes": f.slots.slot_minutes,
        "slot_count": f.slots.slots,
        "tables": f.slots.tables,
        "meetings_per_item": f.slots.meetings_per_item,
        "status": e.status.code(),
        "agenda_proposed_at": e.agenda_proposed_at.map(format_timestamp),
        "agenda_published_at": e.agenda_published_at.map(format_timestamp),
        "version": e.version,
    })
}

fn participant_snapshot(p: &Participant) -> Value {
    json!({
        "id": p.id,
        "event_id": p.event_id,
        "participant_id": p.institution_id.0,
        "role": p.role.code(),
        "status": p.status.code(),
        "attendee_name": p.attendee_name,
        "version": p.version,
    })
}

fn meeting_snapshot(m: &Meeting) -> Value {
    json!({
        "id": m.id,
        "event_id": m.event_id,
        "slot": m.slot,
        "table": m.table,
        "need_id": m.need_id,
        "achievement_id": m.achievement_id,
        "score_milli": m.score_milli,
        "outcome": m.outcome.outcome.code(),
        "contact_made": m.outcome.contact_made,
        "intention": m.outcome.intention,
        "deal": m.outcome.deal,
        "notes": m.outcome.notes,
        "version": m.version,
    })
}

fn apply_scope(q: &mut Sql, scope: Scope) {
    match scope {
        Scope::All => {}
        Scope::Institution(id) => {
            q.push(" AND e.institution_id = ").bind(id.0);
        }
        Scope::OwnOrPublic(id) => {
            q.push(" AND (e.institution_id = ").bind(id.0).push(" OR e.status <> 'draft')");
        }
        Scope::Public => {
            q.push(" AND e.status <> 'draft'");
        }
    }
}

fn apply_filter(q: &mut Sql, f: &EventFilter) {
    if let Some(status) = f.status {
        q.push(" AND e.status = ").bind(status.code());
    }
    if let Some(kind) = f.kind {
        q.push(" AND e.kind = ").bind(kind.code());
    }
    if let Some(chain) = &f.chain {
        q.push(" AND e.chain = ").bind(chain.clone());
    }
    if let Some(id) = f.institution {
        q.push(" AND e.institution_id = ").bind(id.0);
    }
}

fn status_col(row: &AnyRow) -> Result<EventStatus> {
    EventStatus::from_code(&str_col(row, "status")?).map_err(corrupt("event status"))
}

fn kind_col(row: &AnyRow) -> Result<EventKind> {
    EventKind::from_code(&str_col(row, "kind")?).map_err(corrupt("event kind"))
}

fn small(row: &AnyRow, col: &str) -> Result<u16> {
    u16::try_from(i64_col(row, col)?).map_err(corrupt(col))
}

fn opt_ts(row: &AnyRow, col: &str) -> Result<Option<OffsetDateTime>> {
    opt_str_col(row, col)?.as_deref().map(parse_timestamp).transpose()
}

const EVENT_COLUMNS: &str = "SELECT e.id, e.institution_id, i.name AS institution_name, e.title, e.kind, e.chain, \
     e.description, e.event_date, e.venue, e.first_slot_start, e.slot_minutes, e.slot_count, e.table_count, \
     e.meetings_per_item, e.status, e.agenda_proposed_at, e.agenda_published_at, e.created_at, e.updated_at, \
     e.version FROM event e JOIN institution i ON i.id = e.institution_id WHERE 1 = 1";

fn event_from(row: &AnyRow) -> Result<Event> {
    Ok(Event {
        id: i64_col(row, "id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        institution_name: str_col(row, "institution_name")?,
        fields: EventFields {
            title: str_col(row, "title")?,
            kind: kind_col(row)?,
            chain: opt_str_col(row, "chain")?.map(|c| tto_domain::chain::stored_chain_code(&c)),
            description: opt_str_col(row, "description")?,
            date: date_col(row, "event_date")?,
            venue: str_col(row, "venue")?,
            slots: SlotSettings {
                first_start: parse_time(&str_col(row, "first_slot_start")?).map_err(corrupt("slot start"))?,
                slot_minutes: small(row, "slot_minutes")?,
                slots: small(row, "slot_count")?,
                tables: small(row, "table_count")?,
                meetings_per_item: small(row, "meetings_per_item")?,
            },
        },
        status: status_col(row)?,
        agenda_proposed_at: opt_ts(row, "agenda_proposed_at")?,
        agenda_published_at: opt_ts(row, "agenda_published_at")?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

/// One event, if visible in `scope`.
pub async fn get(db: &mut impl Conn, scope: Scope, id: i64) -> Result<Event> {
    let mut q = Sql::new(EVENT_COLUMNS);
    q.push(" AND e.id = ").bind(id);
    apply_scope(&mut q, scope);
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    event_from(&row)
}

/// One page of the list: the coming events first (by date), then the past ones.
pub async fn list(
    db: &mut impl Conn,
    scope: Scope,
    filter: &EventFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<EventRow>> {
    let mut q = Sql::new(
        "SELECT e.id, e.institution_id, i.name AS institution_name, e.title, e.kind, e.chain, e.event_date, e.venue, \
         e.status, \
         (SELECT COUNT(*) FROM event_participant p WHERE p.event_id = e.id AND p.status = 'registered') AS registered, \
         (SELECT COUNT(*) FROM event_meeting m WHERE m.event_id = e.id) AS meetings \
         FROM event e JOIN institution i ON i.id = e.institution_id WHERE 1 = 1",
    );
    apply_scope(&mut q, scope);
    apply_filter(&mut q, filter);
    q.push(" ORDER BY e.event_date DESC, e.id DESC LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|row| {
            Ok(EventRow {
                id: i64_col(row, "id")?,
                institution_id: InstitutionId(i64_col(row, "institution_id")?),
                institution_name: str_col(row, "institution_name")?,
                title: str_col(row, "title")?,
                kind: kind_col(row)?,
                chain: opt_str_col(row, "chain")?,
                date: date_col(row, "event_date")?,
                venue: str_col(row, "venue")?,
                status: status_col(row)?,
                registered: i64_col(row, "registered")?,
                meetings: i64_col(row, "meetings")?,
            })
        })
        .collect()
}

pub async fn count(db: &mut impl Conn, scope: Scope, filter: &EventFilter) -> Result<i64> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM event e WHERE 1 = 1");
    apply_scope(&mut q, scope);
    apply_filter(&mut q, filter);
    i64_col(&q.fetch_one(db.conn()).await?, "n")
}

/// Counts per status in scope (for the list's summary).
pub async fn count_by_status(db: &mut impl Conn, scope: Scope) -> Result<Vec<(EventStatus, i64)>> {
    let mut q = Sql::new("SELECT e.status, COUNT(*) AS c FROM event e WHERE 1 = 1");
    apply_scope(&mut q, scope);
    q.push(" GROUP BY e.status");
    let mut counts = Vec::new();
    for row in q.fetch_all(db.conn()).await? {
        counts.push((status_col(&row)?, i64_col(&row, "c")?));
    }
    counts.sort_by_key(|(s, _)| *s);
    Ok(counts)
}

pub async fn insert(tx: &mut WriteTx, institution_id: InstitutionId, fields: &EventFields) -> Result<Event> {
    let now = format_timestamp(tx.now());
    let s = &fields.slots;
    let mut q = Sql::new(
        "INSERT INTO event (institution_id, title, kind, chain, description, event_date, venue, first_slot_start, \
         slot_minutes, slot_count, table_count, meetings_per_item, status, created_at, updated_at, version) VALUES (",
    );
    q.bind(institution_id.0)
        .push(", ")
        .bind(fields.title.clone())
        .push(", ")
        .bind(fields.kind.code())
        .push(", ")
        .bind(fields.chain.as_ref().map(|c| c.as_str().to_string()))
        .push(", ")
        .bind(fields.description.clone())
        .push(", ")
        .bind(format_date(fields.date))
        .push(", ")
        .bind(fields.venue.clone())
        .push(", ")
        .bind(format_time(s.first_start))
        .push(", ")
        .bind(i64::from(s.slot_minutes))
        .push(", ")
        .bind(i64::from(s.slots))
        .push(", ")
        .bind(i64::from(s.tables))
        .push(", ")
        .bind(i64::from(s.meetings_per_item))
        .push(", ")
        .bind(EventStatus::Draft.code())
        .push(", ")
        .bind(now.clone())
        .push(", ")
        .bind(now)
        .push(", 1) RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let event = get(tx, Scope::All, id).await?;
    tx.record(Some(institution_id), "event.create", "event", &id.to_string(), None, Some(&snapshot(&event))).await?;
    Ok(event)
}

/// Saves fields, status and agenda times of `after` if the row is still at
/// `expected_version`, recording `action` with before and after snapshots.
pub async fn update(
    tx: &mut WriteTx,
    before: &Event,
    expected_version: i64,
    after: &Event,
    action: &str,
) -> Result<Event> {
    if before.version != expected_version {
        return Err(StoreError::StaleVersion);
    }
    let f = &after.fields;
    let s = &f.slots;
    let mut q = Sql::new("UPDATE event SET ");
    q.set("title", f.title.clone())
        .set("kind", f.kind.code())
        .set("chain", f.chain.as_ref().map(|c| c.as_str().to_string()))
        .set("description", f.description.clone())
        .set("event_date", format_date(f.date))
        .set("venue", f.venue.clone())
        .set("first_slot_start", format_time(s.first_start))
        .set("slot_minutes", i64::from(s.slot_minutes))
        .set("slot_count", i64::from(s.slots))
        .set("table_count", i64::from(s.tables))
        .set("meetings_per_item", i64::from(s.meetings_per_item))
        .set("status", after.status.code())
        .set("agenda_proposed_at", after.agenda_proposed_at.map(format_timestamp))
        .set("agenda_published_at", after.agenda_published_at.map(format_timestamp))
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, expected_version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "event",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

const PARTICIPANT_COLUMNS: &str = "SELECT p.id, p.event_id, p.participant_id, i.name, i.kind, p.role, p.status, \
     p.attendee_name, p.invited_at, p.registered_at, p.version \
     FROM event_participant p JOIN institution i ON i.id = p.participant_id WHERE p.event_id = ";

fn participant_from(row: &AnyRow) -> Result<Participant> {
    Ok(Participant {
        id: i64_col(row, "id")?,
        event_id: i64_col(row, "event_id")?,
        institution_id: InstitutionId(i64_col(row, "participant_id")?),
        name: str_col(row, "name")?,
        kind: InstitutionKind::from_code(&str_col(row, "kind")?).map_err(corrupt("institution kind"))?,
        role: ParticipantRole::from_code(&str_col(row, "role")?).map_err(corrupt("participant role"))?,
        status: ParticipantStatus::from_code(&str_col(row, "status")?).map_err(corrupt("participant status"))?,
        attendee_name: opt_str_col(row, "attendee_name")?,
        invited_at: ts_col(row, "invited_at")?,
        registered_at: opt_ts(row, "registered_at")?,
        version: i64_col(row, "version")?,
    })
}

/// The invited institutions of an event (read the event first: this does not scope).
pub async fn participants(db: &mut impl Conn, event_id: i64) -> Result<Vec<Participant>> {
    let mut q = Sql::new(PARTICIPANT_COLUMNS);
    q.bind(event_id).push(" ORDER BY p.role, p.id");
    q.fetch_all(db.conn()).await?.iter().map(participant_from).collect()
}

pub async fn participant(db: &mut impl Conn, event_id: i64, id: i64) -> Result<Participant> {
    let mut q = Sql::new(PARTICIPANT_COLUMNS);
    q.bind(event_id).push(" AND p.id = ").bind(id);
    participant_from(&q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?)
}

/// Invites an institution (a duplicate invitation is [`StoreError::Duplicate`]).
pub async fn invite(
    tx: &mut WriteTx,
    event: &Event,
    institution: InstitutionId,
    role: ParticipantRole,
) -> Result<Participant> {
    let mut q = Sql::new(
        "INSERT INTO event_participant (event_id, institution_id, participant_id, role, status, invited_at, version) \
         VALUES (",
    );
    q.bind(event.id)
        .push(", ")
        .bind(event.institution_id.0)
        .push(", ")
        .bind(institution.0)
        .push(", ")
        .bind(role.code())
        .push(", ")
        .bind(ParticipantStatus::Invited.code())
        .push(", ")
        .bind(format_timestamp(tx.now()))
        .push(", 1) RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let p = participant(tx, event.id, id).await?;
    tx.record(
        Some(event.institution_id),
        "event.invite",
        "event_participant",
        &id.to_string(),
        None,
        Some(&participant_snapshot(&p)),
    )
    .await?;
    Ok(p)
}

/// Saves a participant's status and attendee (registration, declining).
pub async fn update_participant(
    tx: &mut WriteTx,
    event: &Event,
    before: &Participant,
    after: &Participant,
    action: &str,
) -> Result<Participant> {
    let mut q = Sql::new("UPDATE event_participant SET ");
    q.set("status", after.status.code())
        .set("attendee_name", after.attendee_name.clone())
        .set("registered_at", after.registered_at.map(format_timestamp))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = participant(tx, event.id, before.id).await?;
    tx.record(
        Some(event.institution_id),
        action,
        "event_participant",
        &before.id.to_string(),
        Some(&participant_snapshot(before)),
        Some(&participant_snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

const MEETING_COLUMNS: &str = "SELECT m.id, m.event_id, m.slot, m.table_no, m.need_id, n.title AS need_title, \
     COALESCE(n.enterprise_name, ni.name) AS enterprise_name, m.need_party, m.achievement_id, \
     a.title AS achievement_title, ai.name AS university_name, m.achievement_party, m.score_milli, m.matched_terms, \
     m.explanation, m.outcome, m.contact_made, m.intention, m.deal, m.notes, m.recorded_by, m.recorded_at, m.version \
     FROM event_meeting m JOIN tech_need n ON n.id = m.need_id JOIN institution ni ON ni.id = n.institution_id \
     JOIN achievement a ON a.id = m.achievement_id JOIN institution ai ON ai.id = a.institution_id \
     WHERE m.event_id = ";

fn meeting_from(row: &AnyRow) -> Result<Meeting> {
    Ok(Meeting {
        id: i64_col(row, "id")?,
        event_id: i64_col(row, "event_id")?,
        slot: small(row, "slot")?,
        table: small(row, "table_no")?,
        need_id: i64_col(row, "need_id")?,
        need_title: str_col(row, "need_title")?,
        enterprise_name: str_col(row, "enterprise_name")?,
        need_party: str_col(row, "need_party")?,
        achievement_id: i64_col(row, "achievement_id")?,
        achievement_title: str_col(row, "achievement_title")?,
        university_name: str_col(row, "university_name")?,
        achievement_party: str_col(row, "achievement_party")?,
        score_milli: i64_col(row, "score_milli")?,
        matched_terms: parse_json_list(&str_col(row, "matched_terms")?)?,
        explanation: str_col(row, "explanation")?,
        outcome: Outcome {
            outcome: MeetingOutcome::from_code(&str_col(row, "outcome")?).map_err(corrupt("meeting outcome"))?,
            contact_made: bool_col(row, "contact_made")?,
            intention: bool_col(row, "intention")?,
            deal: bool_col(row, "deal")?,
            notes: opt_str_col(row, "notes")?,
        },
        recorded_by: opt_str_col(row, "recorded_by")?,
        recorded_at: opt_ts(row, "recorded_at")?,
        version: i64_col(row, "version")?,
    })
}

/// The agenda of an event in slot and table order (read the event first: this does not scope).
pub async fn meetings(db: &mut impl Conn, event_id: i64) -> Result<Vec<Meeting>> {
    let mut q = Sql::new(MEETING_COLUMNS);
    q.bind(event_id).push(" ORDER BY m.slot, m.table_no");
    q.fetch_all(db.conn()).await?.iter().map(meeting_from).collect()
}

pub async fn meeting(db: &mut impl Conn, event_id: i64, id: i64) -> Result<Meeting> {
    let mut q = Sql::new(MEETING_COLUMNS);
    q.bind(event_id).push(" AND m.id = ").bind(id);
    meeting_from(&q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?)
}

/// Replaces the agenda of `event` by `agenda` (the caller saves the event's new proposal time
/// in the same transaction). Recorded as one audit event with the meetings before and after.
pub async fn replace_agenda(tx: &mut WriteTx, event: &Event, agenda: &[NewMeeting]) -> Result<Vec<Meeting>> {
    let before = meetings(tx, event.id).await?;
    let mut q = Sql::new("DELETE FROM event_meeting WHERE event_id = ");
    q.bind(event.id);
    q.execute(tx.conn()).await?;
    for m in agenda {
        let mut q = Sql::new(
            "INSERT INTO event_meeting (event_id, institution_id, slot, table_no, need_id, need_party, \
             achievement_id, achievement_party, score_milli, matched_terms, explanation, outcome, contact_made, \
             intention, deal, version) VALUES (",
        );
        q.bind(event.id)
            .push(", ")
            .bind(event.institution_id.0)
            .push(", ")
            .bind(i64::from(m.slot))
            .push(", ")
            .bind(i64::from(m.table))
            .push(", ")
            .bind(m.need_id)
            .push(", ")
            .bind(m.need_party.clone())
            .push(", ")
            .bind(m.achievement_id)
            .push(", ")
            .bind(m.achievement_party.clone())
            .push(", ")
            .bind(m.score_milli)
            .push(", ")
            .bind(json_list(&m.matched_terms))
            .push(", ")
            .bind(m.explanation.clone())
            .push(", ")
            .bind(MeetingOutcome::Pending.code())
            .push(", ")
            .bind(false)
            .push(", ")
            .bind(false)
            .push(", ")
            .bind(false)
            .push(", 1)");
        q.execute(tx.conn()).await?;
    }
    let after = meetings(tx, event.id).await?;
    let list = |ms: &[Meeting]| Value::Array(ms.iter().map(meeting_snapshot).collect());
    tx.record(
        Some(event.institution_id),
        "event.propose_agenda",
        "event_agenda",
        &event.id.to_string(),
        Some(&list(&before)),
        Some(&list(&after)),
    )
    .await?;
    Ok(after)
}

/// Saves the outcome of a meeting still at `expected_version`.
pub async fn record_outcome(
    tx: &mut WriteTx,
    event: &Event,
    before: &Meeting,
    expected_version: i64,
    outcome: &Outcome,
) -> Result<Meeting> {
    if before.version != expected_version {
        return Err(StoreError::StaleVersion);
    }
    let mut q = Sql::new("UPDATE event_meeting SET ");
    q.set("outcome", outcome.outcome.code())
        .set("contact_made", outcome.contact_made)
        .set("intention", outcome.intention)
        .set("deal", outcome.deal)
        .set("notes", outcome.notes.clone())
        .set("recorded_by", tx.actor().label.clone())
        .set("recorded_at", format_timestamp(tx.now()))
        .where_version(before.id, expected_version);
    q.execute_versioned(tx.conn()).await?;
    let saved = meeting(tx, event.id, before.id).await?;
    tx.record(
        Some(event.institution_id),
        "event.record_outcome",
        "event_meeting",
        &before.id.to_string(),
        Some(&meeting_snapshot(before)),
        Some(&meeting_snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}
