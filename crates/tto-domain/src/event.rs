//! Handshake events (校企对接活动, measures 六 and 十五): an event around an industrial chain
//! with invited enterprises and universities, a matchmaking agenda the platform proposes,
//! registration and the recorded outcome of every meeting.
//!
//! [`EventFields::validate`] checks what an organiser types (a date not in the past, a slot
//! grid that fits in the day, a chain for handshake events). The lifecycle is an explicit
//! state machine, [`EventStatus::apply`]. [`schedule`] is the pure agenda scheduler: it puts
//! candidate pairs (a need × an achievement) into time slots and tables, best score first,
//! so that no party is in two meetings at the same time.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use time::{Date, Time};

use crate::chain::{ChainCode, ChainTaxonomy};
use crate::institution::InstitutionKind;
use crate::period::parse_date;
use crate::validation::{ValidationErrors, Violation, optional_text, required_text};

code_enum! {
    /// What kind of event (DESIGN.md §3 "Event").
    EventKind {
        /// 校企对接会: enterprises with needs meet university teams with achievements.
        Handshake => "handshake",
        Forum => "forum",
        Roadshow => "roadshow",
        Training => "training",
        Contest => "contest",
    }
}

code_enum! {
    /// Lifecycle of an event.
    EventStatus {
        Draft => "draft",
        RegistrationOpen => "registration_open",
        AgendaPublished => "agenda_published",
        Held => "held",
        Closed => "closed",
        Cancelled => "cancelled",
    }
}

code_enum! {
    /// The named steps of the lifecycle.
    EventAction {
        OpenRegistration => "open_registration",
        PublishAgenda => "publish_agenda",
        Hold => "hold",
        Close => "close",
        Cancel => "cancel",
    }
}

code_enum! {
    /// Which side of the table an invited institution sits on.
    ParticipantRole {
        /// The demand side: an enterprise, or the exchange / an association with the needs it
        /// collected for enterprises.
        Enterprise => "enterprise",
        /// The supply side: a university with its teams' achievements.
        University => "university",
    }
}

code_enum! {
    /// Invitation and registration of a participant.
    ParticipantStatus {
        Invited => "invited",
        Registered => "registered",
        Declined => "declined",
    }
}

code_enum! {
    /// What happened to a meeting of the agenda.
    MeetingOutcome {
        Pending => "pending",
        Held => "held",
        NoShow => "no_show",
    }
}

impl ParticipantRole {
    /// Whether an institution of `kind` may sit on this side. Needs are held by enterprises
    /// and by the collectors that submit them for enterprises (the exchange).
    pub fn accepts(self, kind: InstitutionKind) -> bool {
        match self {
            ParticipantRole::University => kind == InstitutionKind::University,
            ParticipantRole::Enterprise => matches!(kind, InstitutionKind::Enterprise | InstitutionKind::Exchange),
        }
    }

    /// The side an institution of `kind` sits on by default.
    pub fn for_kind(kind: InstitutionKind) -> Option<ParticipantRole> {
        ParticipantRole::ALL.iter().copied().find(|r| r.accepts(kind))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an event that is {from}")]
pub struct IllegalEventTransition {
    pub from: EventStatus,
    pub action: EventAction,
}

impl EventStatus {
    /// The status after `action`, or why the action is not allowed now.
    ///
    /// ```text
    /// draft ──open_registration──▶ registration_open ──publish_agenda──▶ agenda_published
    ///       agenda_published ──hold──▶ held ──close──▶ closed
    /// draft | registration_open | agenda_published ──cancel──▶ cancelled
    /// ```
    pub fn apply(self, action: EventAction) -> Result<EventStatus, IllegalEventTransition> {
        use EventAction as A;
        use EventStatus as S;
        Ok(match (self, action) {
            (S::Draft, A::OpenRegistration) => S::RegistrationOpen,
            (S::RegistrationOpen, A::PublishAgenda) => S::AgendaPublished,
            (S::AgendaPublished, A::Hold) => S::Held,
            (S::Held, A::Close) => S::Closed,
            (S::Draft | S::RegistrationOpen | S::AgendaPublished, A::Cancel) => S::Cancelled,
            (from, action) => return Err(IllegalEventTransition { from, action }),
        })
    }

    pub fn allowed_actions(self) -> Vec<EventAction> {
        EventAction::ALL.iter().copied().filter(|a| self.apply(*a).is_ok()).collect()
    }

    /// Whether people outside the organiser may see the event (everything but drafts).
    pub fn is_public(self) -> bool {
        self != EventStatus::Draft
    }

    /// Institutions may be invited before the agenda is published.
    pub fn accepts_invitations(self) -> bool {
        matches!(self, EventStatus::Draft | EventStatus::RegistrationOpen)
    }

    /// The agenda may be (re)proposed only while registration is open.
    pub fn accepts_agenda(self) -> bool {
        self == EventStatus::RegistrationOpen
    }

    /// Outcomes are recorded on the day and afterwards, until the event is closed.
    pub fn accepts_outcomes(self) -> bool {
        matches!(self, EventStatus::AgendaPublished | EventStatus::Held)
    }
}

/// How the meetings of a handshake event are laid out: time slots of equal length from the
/// first start, each with a number of tables, and how many meetings one need or one
/// achievement may get (so the best pairs do not crowd out everyone else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotSettings {
    pub first_start: Time,
    pub slot_minutes: u16,
    pub slots: u16,
    pub tables: u16,
    pub meetings_per_item: u16,
}

pub const SLOT_MINUTES: (u16, u16) = (5, 240);
pub const SLOTS: (u16, u16) = (1, 48);
pub const TABLES: (u16, u16) = (1, 100);
pub const MEETINGS_PER_ITEM: (u16, u16) = (1, 10);

impl SlotSettings {
    /// When slot `slot` (0-based) starts and ends.
    pub fn slot_time(&self, slot: u16) -> (Time, Time) {
        let start = self.first_start + time::Duration::minutes(i64::from(self.slot_minutes) * i64::from(slot));
        (start, start + time::Duration::minutes(i64::from(self.slot_minutes)))
    }

    /// Meetings the grid can hold.
    pub fn capacity(&self) -> usize {
        usize::from(self.slots) * usize::from(self.tables)
    }
}

/// The validated, editable content of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFields {
    pub title: String,
    pub kind: EventKind,
    /// The industrial chain the event is about (required for handshake events: the agenda
    /// matches within it).
    pub chain: Option<ChainCode>,
    pub description: Option<String>,
    pub date: Date,
    pub venue: String,
    pub slots: SlotSettings,
}

/// Raw event input, as typed into a form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct EventDraft {
    pub title: String,
    pub kind: String,
    pub chain: Option<String>,
    pub description: Option<String>,
    pub date: String,
    pub venue: String,
    /// `HH:MM`.
    pub first_slot_start: String,
    pub slot_minutes: String,
    pub slot_count: String,
    pub tables: String,
    pub meetings_per_item: String,
}

pub const TITLE_MAX: usize = 200;
pub const VENUE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 5_000;
pub const ATTENDEE_MAX: usize = 100;
pub const NOTES_MAX: usize = 2_000;

/// Reads `HH:MM` (24-hour clock).
pub fn parse_time(input: &str) -> Result<Time, Violation> {
    let bad = || Violation::InvalidFormat { expected: "time" };
    let (h, m) = input.trim().split_once(':').ok_or_else(bad)?;
    let ok = |s: &str| !s.is_empty() && s.len() <= 2 && s.chars().all(|c| c.is_ascii_digit());
    if !ok(h) || m.len() != 2 || !ok(m) {
        return Err(bad());
    }
    let (h, m) = (h.parse::<u8>().map_err(|_| bad())?, m.parse::<u8>().map_err(|_| bad())?);
    Time::from_hms(h, m, 0).map_err(|_| bad())
}

/// `HH:MM`.
pub fn format_time(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn number(errors: &mut ValidationErrors, field: &str, raw: &str, (min, max): (u16, u16)) -> Option<u16> {
    let raw = raw.trim();
    if raw.is_empty() {
        errors.add(field, Violation::Required);
        return None;
    }
    match raw.parse::<i64>() {
        Ok(n) if n >= i64::from(min) && n <= i64::from(max) => Some(n as u16),
        Ok(_) => {
            errors.add(field, Violation::OutOfRange { min: min.to_string(), max: max.to_string() });
            None
        }
        Err(_) => {
            errors.add(field, Violation::InvalidFormat { expected: "integer" });
            None
        }
    }
}

impl EventFields {
    /// Checks every field and reports every problem at once. `today` is the jurisdiction's
    /// civil date: an event before it is refused.
    pub fn validate(draft: &EventDraft, chains: &ChainTaxonomy, today: Date) -> Result<EventFields, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = required_text(&mut errors, "title", &draft.title, TITLE_MAX);
        let kind = errors.collect("kind", EventKind::from_code(&draft.kind));
        let chain = match draft.chain.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => errors.collect("chain", chains.code(c)),
            None => {
                if kind == Some(EventKind::Handshake) {
                    errors.add("chain", Violation::Required);
                }
                None
            }
        };
        let description = optional_text(&mut errors, "description", draft.description.as_deref(), DESCRIPTION_MAX);
        let date = if draft.date.trim().is_empty() {
            errors.add("date", Violation::Required);
            None
        } else {
            errors.collect("date", parse_date(&draft.date))
        };
        if date.is_some_and(|d| d < today) {
            errors.add("date", Violation::Rule { code: "in_the_past", detail: "the date is in the past".into() });
        }
        let venue = required_text(&mut errors, "venue", &draft.venue, VENUE_MAX);
        let first_start = if draft.first_slot_start.trim().is_empty() {
            errors.add("first_slot_start", Violation::Required);
            None
        } else {
            errors.collect("first_slot_start", parse_time(&draft.first_slot_start))
        };
        let slot_minutes = number(&mut errors, "slot_minutes", &draft.slot_minutes, SLOT_MINUTES);
        let slots = number(&mut errors, "slot_count", &draft.slot_count, SLOTS);
        let tables = number(&mut errors, "tables", &draft.tables, TABLES);
        let per_item = number(&mut errors, "meetings_per_item", &draft.meetings_per_item, MEETINGS_PER_ITEM);
        if let (Some(start), Some(minutes), Some(n)) = (first_start, slot_minutes, slots) {
            let start_minutes = u32::from(start.hour()) * 60 + u32::from(start.minute());
            if start_minutes + u32::from(minutes) * u32::from(n) > 24 * 60 {
                errors.add(
                    "slot_count",
                    Violation::Rule { code: "past_midnight", detail: "the last slot ends after midnight".into() },
                );
            }
        }
        match (title, kind, date, venue, first_start, slot_minutes, slots, tables, per_item) {
            (
                Some(title),
                Some(kind),
                Some(date),
                Some(venue),
                Some(first_start),
                Some(m),
                Some(s),
                Some(t),
                Some(p),
            ) if errors.is_empty() => Ok(EventFields {
                title,
                kind,
                chain,
                description,
                date,
                venue,
                slots: SlotSettings { first_start, slot_minutes: m, slots: s, tables: t, meetings_per_item: p },
            }),
            _ => Err(errors),
        }
    }
}

/// A pair the platform could seat at a table: a need of an enterprise × an achievement of a
/// university team, with its match score. Parties are opaque keys: two meetings with the same
/// key cannot share a slot (an enterprise delegation, a university team).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub need_id: i64,
    pub need_party: String,
    pub achievement_id: i64,
    pub achievement_party: String,
    /// Higher is better; an integer (e.g. thousandths of a relevance score) so the order is
    /// total and the schedule deterministic.
    pub score: i64,
}

/// A candidate seated in a slot (0-based) at a table (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// Index into the candidates given to [`schedule`].
    pub candidate: usize,
    pub slot: u16,
    pub table: u16,
}

/// What the scheduler made of the candidates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    /// In slot, then table order.
    pub seats: Vec<Seat>,
    /// Distinct pairs left out because their need or achievement had its share of meetings.
    pub over_limit: usize,
    /// Distinct pairs left out because no slot had both parties free and a free table.
    pub no_room: usize,
}

/// Seats the candidates, best score first (ties: need id, then achievement id), each in the
/// earliest slot where both parties are free and a table is left. Each (need, achievement)
/// pair is seated at most once; each need and each achievement at most
/// `meetings_per_item` times. Greedy, so not always the largest possible agenda, but
/// predictable: a better pair never loses its seat to a worse one.
pub fn schedule(candidates: &[Candidate], settings: &SlotSettings) -> Schedule {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&candidates[a], &candidates[b]);
        y.score.cmp(&x.score).then(x.need_id.cmp(&y.need_id)).then(x.achievement_id.cmp(&y.achievement_id))
    });
    let mut out = Schedule::default();
    let mut pairs: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut per_need: HashMap<i64, u16> = HashMap::new();
    let mut per_achievement: HashMap<i64, u16> = HashMap::new();
    // Parties busy in each slot, and tables used per slot.
    let mut busy: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); usize::from(settings.slots)];
    let mut used: Vec<u16> = vec![0; usize::from(settings.slots)];
    for i in order {
        let c = &candidates[i];
        if !pairs.insert((c.need_id, c.achievement_id)) {
            continue;
        }
        let need_count = per_need.get(&c.need_id).copied().unwrap_or(0);
        let achievement_count = per_achievement.get(&c.achievement_id).copied().unwrap_or(0);
        if need_count >= settings.meetings_per_item || achievement_count >= settings.meetings_per_item {
            out.over_limit += 1;
            continue;
        }
        let free = (0..usize::from(settings.slots)).find(|&s| {
            used[s] < settings.tables
                && !busy[s].contains(c.need_party.as_str())
                && !busy[s].contains(c.achievement_party.as_str())
        });
        let Some(slot) = free else {
            out.no_room += 1;
            continue;
        };
        busy[slot].insert(c.need_party.as_str());
        busy[slot].insert(c.achievement_party.as_str());
        used[slot] += 1;
        per_need.insert(c.need_id, need_count + 1);
        per_achievement.insert(c.achievement_id, achievement_count + 1);
        out.seats.push(Seat { candidate: i, slot: slot as u16, table: used[slot] });
    }
    out.seats.sort_by_key(|s| (s.slot, s.table));
    out
}

/// Checks a schedule keeps every rule (for tests and for re-checking a stored agenda): no
/// party twice in a slot, no table twice in a slot, slots and tables within the grid, no pair
/// twice, no need or achievement over its limit. Returns the broken rules' descriptions.
pub fn check_schedule(candidates: &[Candidate], settings: &SlotSettings, schedule: &Schedule) -> Vec<String> {
    let mut problems = Vec::new();
    let mut parties: BTreeMap<(u16, &str), usize> = BTreeMap::new();
    let mut tables: BTreeSet<(u16, u16)> = BTreeSet::new();
    let mut pairs: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut per_need: HashMap<i64, u16> = HashMap::new();
    let mut per_achievement: HashMap<i64, u16> = HashMap::new();
    for s in &schedule.seats {
        let c = &candidates[s.candidate];
        if s.slot >= settings.slots || s.table == 0 || s.table > settings.tables {
            problems.push(format!("seat outside the grid: slot {} table {}", s.slot, s.table));
        }
        if !tables.insert((s.slot, s.table)) {
            problems.push(format!("table {} used twice in slot {}", s.table, s.slot));
        }
        for party in [c.need_party.as_str(), c.achievement_party.as_str()] {
            let n = parties.entry((s.slot, party)).or_default();
            *n += 1;
            if *n > 1 {
                problems.push(format!("{party} double-booked in slot {}", s.slot));
            }
        }
        if !pairs.insert((c.need_id, c.achievement_id)) {
            problems.push(format!("pair {}×{} seated twice", c.need_id, c.achievement_id));
        }
        *per_need.entry(c.need_id).or_default() += 1;
        *per_achievement.entry(c.achievement_id).or_default() += 1;
    }
    if per_need.values().chain(per_achievement.values()).any(|n| *n > settings.meetings_per_item) {
        problems.push("a need or achievement has more meetings than allowed".into());
    }
    problems
}

/// The recorded outcome of one meeting, as typed.
#[derive(Debug, Clone, Default)]
pub struct OutcomeDraft {
    pub outcome: String,
    pub contact_made: bool,
    pub intention: bool,
    pub deal: bool,
    pub notes: Option<String>,
}

/// A validated outcome: a meeting that did not take place cannot have led to anything, and a
/// deal implies an intention, which implies contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub outcome: MeetingOutcome,
    pub contact_made: bool,
    pub intention: bool,
    pub deal: bool,
    pub notes: Option<String>,
}

impl Outcome {
    pub fn validate(draft: &OutcomeDraft) -> Result<Outcome, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let outcome = errors.collect("outcome", MeetingOutcome::from_code(&draft.outcome));
        let notes = optional_text(&mut errors, "notes", draft.notes.as_deref(), NOTES_MAX);
        let results = draft.contact_made || draft.intention || draft.deal;
        if outcome.is_some_and(|o| o != MeetingOutcome::Held) && results {
            errors.add(
                "outcome",
                Violation::Rule {
                    code: "outcome_not_held",
                    detail: "only a meeting that was held can have contacts, intentions or deals".into(),
                },
            );
        }
        // A deal comes with an intention and a contact: fill them in rather than refuse.
        let intention = draft.intention || draft.deal;
        let contact_made = draft.contact_made || intention;
        match outcome {
            Some(outcome) if errors.is_empty() => {
                Ok(Outcome { outcome, contact_made, intention, deal: draft.deal, notes })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainDraft;
    use proptest::prelude::*;
    use time::macros::{date, time};

    fn taxonomy() -> ChainTaxonomy {
        ChainTaxonomy::new(vec![ChainDraft {
            code: "integrated_circuits".into(),
            name_zh: "集成电路".into(),
            name_en: "Integrated circuits".into(),
            keywords: vec![],
        }])
        .unwrap()
    }

    fn draft() -> EventDraft {
        EventDraft {
            title: "集成电路产业链校企对接会".into(),
            kind: "handshake".into(),
            chain: Some("integrated_circuits".into()),
            description: None,
            date: "2026-12-10".into(),
            venue: "天津市科技大厦 3 楼".into(),
            first_slot_start: "9:30".into(),
            slot_minutes: "20".into(),
            slot_count: "6".into(),
            tables: "4".into(),
            meetings_per_item: "2".into(),
        }
    }

    fn codes(d: &EventDraft) -> Vec<(String, &'static str)> {
        match EventFields::validate(d, &taxonomy(), date!(2026 - 11 - 29)) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors.iter().map(|e| (e.field.clone(), e.violation.code())).collect(),
        }
    }

    #[test]
    fn valid_draft() {
        let f = EventFields::validate(&draft(), &taxonomy(), date!(2026 - 11 - 29)).unwrap();
        assert_eq!(f.slots.first_start, time!(9:30));
        assert_eq!(f.slots.slot_time(2), (time!(10:10), time!(10:30)));
        assert_eq!(f.slots.capacity(), 24);
        assert_eq!(format_time(f.slots.first_start), "09:30");
    }

    #[test]
    fn reports_every_problem() {
        let mut d = draft();
        d.title = " ".into();
        d.kind = "party".into();
        d.date = "2026-11-28".into();
        d.first_slot_start = "25:00".into();
        d.slot_minutes = "0".into();
        d.tables = "x".into();
        let found = codes(&d);
        for expected in [
            ("title", "required"),
            ("kind", "unknown_choice"),
            ("date", "in_the_past"),
            ("first_slot_start", "invalid_format"),
            ("slot_minutes", "out_of_range"),
            ("tables", "invalid_format"),
        ] {
            assert!(found.contains(&(expected.0.to_string(), expected.1)), "{expected:?} in {found:?}");
        }
        let mut d = draft();
        d.chain = None;
        assert_eq!(codes(&d), [("chain".to_string(), "required")]);
        d.kind = "forum".into();
        assert!(codes(&d).is_empty());
        let mut d = draft();
        d.first_slot_start = "23:00".into();
        assert_eq!(codes(&d), [("slot_count".to_string(), "past_midnight")]);
    }

    #[test]
    fn lifecycle_allows_only_named_transitions() {
        use EventAction as A;
        use EventStatus as S;
        assert_eq!(S::Draft.apply(A::OpenRegistration), Ok(S::RegistrationOpen));
        assert_eq!(S::RegistrationOpen.apply(A::PublishAgenda), Ok(S::AgendaPublished));
        assert_eq!(S::AgendaPublished.apply(A::Hold), Ok(S::Held));
        assert_eq!(S::Held.apply(A::Close), Ok(S::Closed));
        assert!(S::Draft.apply(A::PublishAgenda).is_err());
        assert!(S::Held.apply(A::Cancel).is_err());
        assert!(S::Cancelled.apply(A::OpenRegistration).is_err());
        assert_eq!(S::Draft.allowed_actions(), [A::OpenRegistration, A::Cancel]);
        assert!(!S::Draft.is_public() && S::Cancelled.is_public());
    }

    #[test]
    fn roles_fit_institution_kinds() {
        assert!(ParticipantRole::University.accepts(InstitutionKind::University));
        assert!(!ParticipantRole::University.accepts(InstitutionKind::Enterprise));
        assert!(ParticipantRole::Enterprise.accepts(InstitutionKind::Exchange));
        assert_eq!(ParticipantRole::for_kind(InstitutionKind::Regulator), None);
    }

    #[test]
    fn outcomes() {
        let ok = Outcome::validate(&OutcomeDraft { outcome: "held".into(), deal: true, ..Default::default() }).unwrap();
        assert!(ok.contact_made && ok.intention && ok.deal);
        let bad = Outcome::validate(&OutcomeDraft { outcome: "no_show".into(), intention: true, ..Default::default() });
        assert_eq!(bad.unwrap_err().errors[0].violation.code(), "outcome_not_held");
        assert!(Outcome::validate(&OutcomeDraft { outcome: "maybe".into(), ..Default::default() }).is_err());
    }

    fn settings(slots: u16, tables: u16, per_item: u16) -> SlotSettings {
        SlotSettings { first_start: time!(9:00), slot_minutes: 20, slots, tables, meetings_per_item: per_item }
    }

    fn cand(need: i64, ent: &str, ach: i64, team: &str, score: i64) -> Candidate {
        Candidate { need_id: need, need_party: ent.into(), achievement_id: ach, achievement_party: team.into(), score }
    }

    #[test]
    fn best_pairs_first_and_nobody_twice_in_a_slot() {
        // Enterprise A has two needs; team X has two achievements.
        let c = vec![
            cand(1, "A", 10, "X", 900),
            cand(2, "A", 11, "X", 800),
            cand(2, "A", 12, "Y", 700),
            cand(3, "B", 10, "X", 600),
            cand(1, "A", 10, "X", 100), // the same pair again
        ];
        let s = schedule(&c, &settings(3, 2, 3));
        assert!(check_schedule(&c, &settings(3, 2, 3), &s).is_empty());
        let seated: Vec<(usize, u16, u16)> = s.seats.iter().map(|x| (x.candidate, x.slot, x.table)).collect();
        // 900 (A, X) → slot 0; 800 (A, X) → slot 1; 700 (A, Y) → slot 2 (A busy before);
        // 600 (B, X) → slot 2, second table (X busy in slots 0 and 1).
        assert_eq!(seated, [(0, 0, 1), (1, 1, 1), (2, 2, 1), (3, 2, 2)]);
        assert_eq!((s.over_limit, s.no_room), (0, 0));
    }

    #[test]
    fn limits_and_room() {
        let c: Vec<Candidate> = (0..5).map(|i| cand(1, "A", 10 + i, &format!("T{i}"), 100 - i)).collect();
        let s = schedule(&c, &settings(10, 1, 2));
        assert_eq!((s.seats.len(), s.over_limit), (2, 3));
        let s = schedule(&c, &settings(2, 5, 10));
        // A cannot be in two meetings at once: two slots, two meetings.
        assert_eq!((s.seats.len(), s.no_room), (2, 3));
    }

    proptest! {
        #[test]
        fn no_party_is_ever_double_booked(
            raw in prop::collection::vec((0i64..8, 0u8..5, 0i64..12, 0u8..6, 0i64..1000), 0..80),
            slots in 1u16..8,
            tables in 1u16..6,
            per_item in 1u16..4,
        ) {
            let c: Vec<Candidate> = raw
                .iter()
                .map(|(n, e, a, t, s)| cand(*n, &format!("ent{e}"), *a, &format!("team{t}"), *s))
                .collect();
            let settings = settings(slots, tables, per_item);
            let s = schedule(&c, &settings);
            prop_assert!(check_schedule(&c, &settings, &s).is_empty(), "{:?}", check_schedule(&c, &settings, &s));
            prop_assert!(s.seats.len() <= settings.capacity());
            let distinct: BTreeSet<(i64, i64)> = c.iter().map(|x| (x.need_id, x.achievement_id)).collect();
            prop_assert_eq!(s.seats.len() + s.over_limit + s.no_room, distinct.len());
        }
    }
}
