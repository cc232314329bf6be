//! Handshake events (校企对接活动, measures 六 and 十五): an organiser (a university's TTO, the
//! exchange, the platform) sets up an event around an industrial chain, invites enterprises
//! and universities, who register; the platform proposes a matchmaking agenda — published
//! needs of the registered enterprises × public achievements of the registered universities,
//! seated in time slots and at tables so nobody is in two meetings at once — which the
//! organiser publishes, and the outcome of every meeting is recorded.
//!
//! Who sees what: a draft is the organiser's; from the opening of registration on, the event,
//! its invited institutions and (once published) its agenda are public — the agenda shows
//! only published needs and public achievements. Attendee names, the proposed agenda before
//! publication and the outcomes are for the organiser (and readers of every institution:
//! the platform, regulators).

use std::collections::{BTreeMap, HashMap};

use tto_domain::event::{
    Candidate, EventAction, EventDraft, EventFields, EventStatus, MeetingOutcome, Outcome, OutcomeDraft,
    ParticipantRole, ParticipantStatus, schedule,
};
use tto_domain::tech_need::NeedStatus;
use tto_domain::{AchievementId, InstitutionId, Violation};
use tto_store::events::{self as repo, NewMeeting};
use tto_store::tech_needs::{self as need_repo, ContactAccess, NeedFilter};
use tto_store::{Scope, StoreError, WriteTx, achievements as achievement_repo, institutions};

use crate::authz::{Actor, Permission};
use crate::{App, AppError, Result};

pub use tto_store::events::{Event, EventFilter, EventRow, Meeting, Participant};

/// Candidates searched per need: more than any need can meet, so the scheduler has choice.
const CANDIDATES_PER_NEED: usize = 10;
/// Published needs read per registered enterprise.
const NEEDS_PER_ENTERPRISE: i64 = 200;

/// A page of the events list with the total and counts per status.
#[derive(Debug, Clone)]
pub struct EventListing {
    pub rows: Vec<EventRow>,
    pub total: i64,
    pub counts: Vec<(EventStatus, i64)>,
}

/// How the meetings of an event went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeSummary {
    pub meetings: usize,
    pub pending: usize,
    pub held: usize,
    pub no_show: usize,
    pub contacts: usize,
    pub intentions: usize,
    pub deals: usize,
}

impl OutcomeSummary {
    pub fn of(meetings: &[Meeting]) -> OutcomeSummary {
        let mut s = OutcomeSummary { meetings: meetings.len(), ..Default::default() };
        for m in meetings {
            match m.outcome.outcome {
                MeetingOutcome::Pending => s.pending += 1,
                MeetingOutcome::Held => s.held += 1,
                MeetingOutcome::NoShow => s.no_show += 1,
            }
            s.contacts += usize::from(m.outcome.contact_made);
            s.intentions += usize::from(m.outcome.intention);
            s.deals += usize::from(m.outcome.deal);
        }
        s
    }
}

/// An event with what the actor may see and do.
#[derive(Debug, Clone)]
pub struct EventView {
    pub event: Event,
    pub participants: Vec<Participant>,
    /// Empty while the actor may not see the agenda (proposed, not yet published).
    pub meetings: Vec<Meeting>,
    /// Whether the meetings carry their outcomes (otherwise they read as pending).
    pub outcomes_visible: bool,
    pub summary: Option<OutcomeSummary>,
    /// The organiser's view: invite, propose, record outcomes, move the lifecycle on.
    pub can_manage: bool,
    pub actions: Vec<EventAction>,
    pub can_edit: bool,
    pub can_invite: bool,
    pub can_propose: bool,
    pub can_record: bool,
    /// Participants the actor may register (or decline) now.
    pub can_register: Vec<i64>,
}

/// A pair the agenda may seat: a need × an achievement with why they match.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidatePair {
    pub need_id: i64,
    /// The enterprise (its institution, or the named enterprise of a collected need).
    pub need_party: String,
    pub achievement_id: i64,
    /// The university team (achievements with the same main contributor share it).
    pub achievement_party: String,
    pub score: f32,
    pub matched_terms: Vec<String>,
    /// `匹配词：…；产业链：…` (pages rebuild it in the reader's language from the parts).
    pub explanation: String,
}

/// What proposing an agenda did.
#[derive(Debug, Clone)]
pub struct ProposedAgenda {
    pub event: Event,
    pub meetings: Vec<Meeting>,
    /// Distinct need × achievement pairs found.
    pub candidates: usize,
    pub over_limit: usize,
    pub no_room: usize,
}

/// Raw outcome input of one meeting.
pub type MeetingOutcomeDraft = OutcomeDraft;

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound { entity: "event" },
        other => other.into(),
    }
}

fn illegal(e: tto_domain::event::IllegalEventTransition) -> AppError {
    AppError::conflict("status", Violation::Rule { code: "illegal_event_transition", detail: e.to_string() })
}

fn rule(field: &str, code: &'static str, detail: &str) -> AppError {
    AppError::conflict(field, Violation::Rule { code, detail: detail.to_string() })
}

impl App {
    fn event_scope(&self, actor: &Actor) -> Scope {
        actor.catalogue_scope(Permission::EventRead)
    }

    fn manages(&self, actor: &Actor, event: &Event) -> bool {
        actor.require_for(Permission::EventManage, event.institution_id).is_ok()
    }

    pub async fn list_events(
        &self,
        actor: &Actor,
        filter: &EventFilter,
        offset: i64,
        limit: i64,
    ) -> Result<EventListing> {
        let scope = self.event_scope(actor);
        let mut r = self.store().reader().await?;
        let rows = repo::list(&mut r, scope, filter, offset.max(0), limit.clamp(1, 1000)).await?;
        let total = repo::count(&mut r, scope, filter).await?;
        let counts = repo::count_by_status(&mut r, scope).await?;
        Ok(EventListing { rows, total, counts })
    }

    pub async fn event(&self, actor: &Actor, id: i64) -> Result<EventView> {
        let scope = self.event_scope(actor);
        let mut r = self.store().reader().await?;
        let event = repo::get(&mut r, scope, id).await.map_err(not_found)?;
        let manage = self.manages(actor, &event);
        let insider = manage || scope == Scope::All;
        let mut participants = repo::participants(&mut r, id).await?;
        let own = actor.institution_id();
        for p in participants.iter_mut() {
            // Attendees are personal data: the organiser's and their own institution's.
            if !insider && own != Some(p.institution_id) {
                p.attendee_name = None;
            }
        }
        let agenda_visible = insider || event.agenda_published_at.is_some();
        let mut meetings = if agenda_visible { repo::meetings(&mut r, id).await? } else { Vec::new() };
        if !insider {
            for m in meetings.iter_mut() {
                m.outcome = Outcome {
                    outcome: MeetingOutcome::Pending,
                    contact_made: false,
                    intention: false,
                    deal: false,
                    notes: None,
                };
                m.recorded_by = None;
                m.recorded_at = None;
            }
        }
        let open = event.status == EventStatus::RegistrationOpen;
        let can_register = participants
            .iter()
            .filter(|p| {
                open && (manage
                    || (actor.require_for(Permission::EventRegister, p.institution_id).is_ok()
                        && own == Some(p.institution_id)))
            })
            .map(|p| p.id)
            .collect();
        Ok(EventView {
            summary: insider.then(|| OutcomeSummary::of(&meetings)),
            outcomes_visible: insider,
            actions: if manage { event.status.allowed_actions() } else { Vec::new() },
            can_edit: manage && event.status == EventStatus::Draft,
            can_invite: manage && event.status.accepts_invitations(),
            can_propose: manage && event.status.accepts_agenda(),
            can_record: manage && event.status.accepts_outcomes() && !meetings.is_empty(),
            can_manage: manage,
            can_register,
            participants,
            meetings,
            event,
        })
    }

    fn event_institution(&self, actor: &Actor, requested: Option<InstitutionId>) -> Result<InstitutionId> {
        actor.require(Permission::EventManage)?;
        let id = match (actor, requested) {
            (_, Some(id)) => id,
            (Actor::User(u), None) => u.institution_id,
            _ => return Err(AppError::field("institution_id", Violation::Required)),
        };
        match actor.require_for(Permission::EventManage, id) {
            Ok(()) => Ok(id),
            Err(AppError::NotFound { .. }) => Err(AppError::Forbidden),
            Err(e) => Err(e),
        }
    }

    /// Sets up an event (as a draft) organised by the actor's institution (or, for the
    /// platform, by the institution named).
    pub async fn create_event(
        &self,
        actor: &Actor,
        institution: Option<InstitutionId>,
        draft: &EventDraft,
    ) -> Result<Event> {
        let institution_id = self.event_institution(actor, institution)?;
        let fields = EventFields::validate(draft, self.chains(), self.today())?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let event = repo::insert(&mut tx, institution_id, &fields).await?;
        tx.commit().await?;
        Ok(event)
    }

    async fn event_for_change(&self, tx: &mut WriteTx, actor: &Actor, id: i64, version: Option<i64>) -> Result<Event> {
        actor.require(Permission::EventManage)?;
        let event = repo::get(tx, Scope::All, id).await.map_err(not_found)?;
        actor.require_for(Permission::EventManage, event.institution_id).map_err(|e| match e {
            AppError::NotFound { .. } => AppError::NotFound { entity: "event" },
            other => other,
        })?;
        if version.is_some_and(|v| v != event.version) {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        Ok(event)
    }

    /// Replaces the content of an event still in draft.
    pub async fn update_event(&self, actor: &Actor, id: i64, version: i64, draft: &EventDraft) -> Result<Event> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.event_for_change(&mut tx, actor, id, Some(version)).await?;
        if before.status != EventStatus::Draft {
            return Err(rule("status", "event_locked", "only a draft event can be changed"));
        }
        let fields = EventFields::validate(draft, self.chains(), self.today())?;
        let after = Event { fields, ..before.clone() };
        let saved = repo::update(&mut tx, &before, version, &after, "event.update").await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Moves an event on: open registration, publish the agenda, mark it held, close, cancel.
    pub async fn transition_event(&self, actor: &Actor, id: i64, version: i64, action: EventAction) -> Result<Event> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let before = self.event_for_change(&mut tx, actor, id, Some(version)).await?;
        let status = before.status.apply(action).map_err(illegal)?;
        let mut after = Event { status, ..before.clone() };
        match action {
            EventAction::OpenRegistration if before.fields.date < self.today() => {
                return Err(AppError::field(
                    "date",
                    Violation::Rule { code: "in_the_past", detail: "the date has passed; change it first".into() },
                ));
            }
            EventAction::PublishAgenda => {
                if repo::meetings(&mut tx, id).await?.is_empty() {
                    return Err(rule("agenda", "agenda_empty", "propose an agenda with at least one meeting first"));
                }
                after.agenda_published_at = Some(self.now());
            }
            EventAction::Hold if self.today() < before.fields.date => {
                return Err(rule("status", "event_not_yet", "the event has not taken place yet"));
            }
            _ => {}
        }
        let saved = repo::update(&mut tx, &before, version, &after, &format!("event.{}", action.code())).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Invites an institution to the event, on the side its kind allows (`role` defaults from
    /// the kind: universities supply, enterprises and the exchange bring needs).
    pub async fn invite_to_event(
        &self,
        actor: &Actor,
        id: i64,
        institution_id: InstitutionId,
        role: Option<&str>,
    ) -> Result<Participant> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let event = self.event_for_change(&mut tx, actor, id, None).await?;
        if !event.status.accepts_invitations() {
            return Err(rule("status", "invitations_closed", "invitations close when the agenda is published"));
        }
        let institution = match institutions::get(&mut tx, institution_id).await {
            Ok(i) => i,
            Err(StoreError::NotFound) => {
                return Err(AppError::field(
                    "institution_id",
                    Violation::UnknownChoice { value: institution_id.0.to_string() },
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let role = match role.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => ParticipantRole::from_code(r).map_err(|v| AppError::field("role", v))?,
            None => ParticipantRole::for_kind(institution.fields.kind).ok_or_else(|| {
                AppError::field(
                    "institution_id",
                    Violation::Rule {
                        code: "not_a_participant",
                        detail: "neither a university nor an enterprise".into(),
                    },
                )
            })?,
        };
        if !role.accepts(institution.fields.kind) {
            return Err(AppError::field(
                "role",
                Violation::Rule {
                    code: "role_mismatch",
                    detail: "this side does not fit the institution's kind".into(),
                },
            ));
        }
        if repo::participants(&mut tx, id).await?.iter().any(|p| p.institution_id == institution_id) {
            return Err(AppError::conflict("institution_id", Violation::Duplicate { value: institution.fields.name }));
        }
        let p = repo::invite(&mut tx, &event, institution_id, role).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Registers an invited institution (the attendee's name), or declines the invitation.
    /// The institution's own users do it; the organiser may do it for them.
    pub async fn register_for_event(
        &self,
        actor: &Actor,
        id: i64,
        participant_id: i64,
        attendee: Option<&str>,
        decline: bool,
    ) -> Result<Participant> {
        if !actor.can(Permission::EventManage) {
            actor.require(Permission::EventRegister)?;
        }
        let scope = self.event_scope(actor);
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let event = repo::get(&mut tx, scope, id).await.map_err(not_found)?;
        let before = repo::participant(&mut tx, id, participant_id)
            .await
            .map_err(|_| AppError::NotFound { entity: "participant" })?;
        let organiser = self.manages(actor, &event);
        let own = actor.institution_id() == Some(before.institution_id)
            && actor.require_for(Permission::EventRegister, before.institution_id).is_ok();
        if !organiser && !own {
            return Err(AppError::Forbidden);
        }
        if event.status != EventStatus::RegistrationOpen {
            return Err(rule("status", "registration_closed", "registration is not open"));
        }
        let mut after = before.clone();
        if decline {
            after.status = ParticipantStatus::Declined;
            after.attendee_name = None;
            after.registered_at = None;
        } else {
            let mut errors = tto_domain::ValidationErrors::new();
            let name = tto_domain::validation::required_text(
                &mut errors,
                "attendee_name",
                attendee.unwrap_or_default(),
                tto_domain::event::ATTENDEE_MAX,
            );
            let Some(name) = name else { return Err(errors.into()) };
            after.status = ParticipantStatus::Registered;
            after.attendee_name = Some(name);
            after.registered_at = Some(self.now());
        }
        let action = if decline { "event.decline" } else { "event.register" };
        let saved = repo::update_participant(&mut tx, &event, &before, &after, action).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Proposes the agenda: the candidate pairs of the registered participants, seated by the
    /// scheduler. Replaces the agenda proposed before (it is not published yet).
    pub async fn propose_agenda(&self, actor: &Actor, id: i64, version: i64) -> Result<ProposedAgenda> {
        actor.require(Permission::EventManage)?;
        // The candidates come from the search index (outside the write transaction).
        let before = {
            let mut r = self.store().reader().await?;
            let scope = self.event_scope(actor);
            repo::get(&mut r, scope, id).await.map_err(not_found)?
        };
        if !self.manages(actor, &before) {
            return Err(AppError::NotFound { entity: "event" });
        }
        if !before.status.accepts_agenda() {
            return Err(rule("status", "agenda_locked", "an agenda is proposed while registration is open"));
        }
        let participants = {
            let mut r = self.store().reader().await?;
            repo::participants(&mut r, id).await?
        };
        let pairs = self.event_candidate_pairs(&before, &participants).await?;
        let candidates: Vec<Candidate> = pairs
            .iter()
            .map(|p| Candidate {
                need_id: p.need_id,
                need_party: p.need_party.clone(),
                achievement_id: p.achievement_id,
                achievement_party: p.achievement_party.clone(),
                score: (f64::from(p.score) * 1000.0).round() as i64,
            })
            .collect();
        let plan = schedule(&candidates, &before.fields.slots);
        let agenda: Vec<NewMeeting> = plan
            .seats
            .iter()
            .map(|s| {
                let (p, c) = (&pairs[s.candidate], &candidates[s.candidate]);
                NewMeeting {
                    slot: s.slot,
                    table: s.table,
                    need_id: p.need_id,
                    need_party: p.need_party.clone(),
                    achievement_id: p.achievement_id,
                    achievement_party: p.achievement_party.clone(),
                    score_milli: c.score,
                    matched_terms: p.matched_terms.clone(),
                    explanation: p.explanation.clone(),
                }
            })
            .collect();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let current = self.event_for_change(&mut tx, actor, id, Some(version)).await?;
        if !current.status.accepts_agenda() {
            return Err(rule("status", "agenda_locked", "an agenda is proposed while registration is open"));
        }
        let meetings = repo::replace_agenda(&mut tx, &current, &agenda).await?;
        let after = Event { agenda_proposed_at: Some(self.now()), ..current.clone() };
        let event = repo::update(&mut tx, &current, version, &after, "event.agenda_proposed").await?;
        tx.commit().await?;
        let distinct: std::collections::BTreeSet<(i64, i64)> =
            candidates.iter().map(|c| (c.need_id, c.achievement_id)).collect();
        Ok(ProposedAgenda {
            event,
            meetings,
            candidates: distinct.len(),
            over_limit: plan.over_limit,
            no_room: plan.no_room,
        })
    }

    /// Records what came of one meeting (on the day or after, until the event is closed).
    pub async fn record_meeting_outcome(
        &self,
        actor: &Actor,
        id: i64,
        meeting_id: i64,
        version: i64,
        draft: &MeetingOutcomeDraft,
    ) -> Result<Meeting> {
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let event = self.event_for_change(&mut tx, actor, id, None).await?;
        let before =
            repo::meeting(&mut tx, id, meeting_id).await.map_err(|_| AppError::NotFound { entity: "meeting" })?;
        if !event.status.accepts_outcomes() {
            return Err(rule("status", "outcomes_closed", "outcomes are recorded once the agenda is published"));
        }
        let outcome = Outcome::validate(draft)?;
        if before.version != version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        let saved = repo::record_outcome(&mut tx, &event, &before, version, &outcome).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Counts of the meetings' outcomes (the organiser's and all-institution readers').
    pub async fn event_outcomes(&self, actor: &Actor, id: i64) -> Result<OutcomeSummary> {
        let view = self.event(actor, id).await?;
        match view.summary {
            Some(s) => Ok(s),
            None => {
                actor.require(Permission::EventRead)?;
                Err(AppError::Forbidden)
            }
        }
    }

    /// The pairs an agenda may seat: every published need of the registered enterprise-side
    /// participants × the public achievements of the registered universities in the event's
    /// chain that the search index finds for the need's text (title, keywords, description),
    /// with the score, the matched terms and the chain as the explanation.
    ///
    /// Parties: the enterprise is the need's institution, or the enterprise a collector named
    /// on the need; the university side is the team — achievements whose first main
    /// contributor is the same person share a party (named by their smallest achievement id,
    /// so no name leaves the database).
    ///
    /// One function with this signature on purpose: the matching service will replace its
    /// internals.
    pub async fn event_candidate_pairs(
        &self,
        event: &Event,
        participants: &[Participant],
    ) -> Result<Vec<CandidatePair>> {
        let registered = |role| {
            participants
                .iter()
                .filter(|p| p.role == role && p.status == ParticipantStatus::Registered)
                .map(|p| p.institution_id)
                .collect::<Vec<_>>()
        };
        let enterprises = registered(ParticipantRole::Enterprise);
        let universities = registered(ParticipantRole::University);
        if enterprises.is_empty() || universities.is_empty() {
            return Ok(Vec::new());
        }
        let chain = event.fields.chain.as_ref().map(|c| c.as_str().to_string());
        let chain_name = chain.as_deref().and_then(|c| self.chains().get(c)).map(|c| c.name_zh.clone());
        let mut r = self.store().reader().await?;
        // (need id, need party, achievement id, score, terms)
        let mut found: Vec<(i64, String, i64, f32, Vec<String>)> = Vec::new();
        let mut achievements: HashMap<i64, tto_domain::Achievement> = HashMap::new();
        for enterprise in &enterprises {
            let filter = NeedFilter {
                status: Some(NeedStatus::Published),
                institution: Some(*enterprise),
                ..Default::default()
            };
            for row in need_repo::list(&mut r, Scope::All, &filter, 0, NEEDS_PER_ENTERPRISE).await? {
                let need = need_repo::get(&mut r, Scope::All, ContactAccess::PublicOnly, row.id).await?;
                let f = &need.fields;
                let party = match &f.enterprise_name {
                    Some(name) => format!("enterprise:{}:{name}", enterprise.0),
                    None => format!("enterprise:{}", enterprise.0),
                };
                // Scored as matching scores a need's candidates (features, 0–100).
                let text = crate::matching::query_text(&f.title, &f.keywords, &f.description);
                let query_terms = crate::search::distinct_terms(&text);
                let hits =
                    self.event_achievement_hits(&text, chain.as_deref(), &universities, CANDIDATES_PER_NEED).await?;
                let best = hits.first().map(|h| h.1).unwrap_or(0.0);
                for (achievement_id, hit_score, matched) in hits {
                    let achievement = match achievements.get(&achievement_id) {
                        Some(a) => a.clone(),
                        None => {
                            let a = achievement_repo::get(&mut r, Scope::All, AchievementId(achievement_id)).await?;
                            achievements.insert(achievement_id, a.clone());
                            a
                        }
                    };
                    let features = crate::matching::need_side_features(
                        &need,
                        &achievement,
                        (hit_score, best, &matched),
                        query_terms,
                        false,
                        self.today(),
                    );
                    // Each phrase once, and none that a longer one contains.
                    let mut phrases: Vec<&str> = Vec::new();
                    for t in &features.matched_terms {
                        if !phrases.contains(&t.term.as_str()) {
                            phrases.push(&t.term);
                        }
                    }
                    let terms: Vec<String> = phrases
                        .iter()
                        .filter(|p| !phrases.iter().any(|o| o != *p && o.contains(**p)))
                        .map(|p| p.to_string())
                        .collect();
                    let score = features.score(&tto_domain::matching::MatchWeights::default()) as f32;
                    found.push((need.id, party.clone(), achievement_id, score, terms));
                }
            }
        }
        // The team of each achievement found.
        let mut team_of: HashMap<i64, (InstitutionId, String)> = HashMap::new();
        for (_, _, achievement, _, _) in &found {
            if team_of.contains_key(achievement) {
                continue;
            }
            let a = &achievements[achievement];
            let lead = a
                .fields
                .contributors
                .iter()
                .find(|c| c.main)
                .or_else(|| a.fields.contributors.first())
                .map(|c| c.name.clone())
                .unwrap_or_else(|| format!("#{}", a.id.0));
            team_of.insert(*achievement, (a.institution_id, lead));
        }
        let mut team_key: BTreeMap<(InstitutionId, String), i64> = BTreeMap::new();
        for (achievement, team) in &team_of {
            let e = team_key.entry(team.clone()).or_insert(*achievement);
            *e = (*e).min(*achievement);
        }
        Ok(found
            .into_iter()
            .map(|(need_id, need_party, achievement_id, score, terms)| {
                let team = &team_of[&achievement_id];
                let mut explanation = format!("匹配词：{}", terms.join("、"));
                if let Some(name) = &chain_name {
                    explanation.push_str(&format!("；产业链：{name}"));
                }
                CandidatePair {
                    need_id,
                    need_party,
                    achievement_id,
                    achievement_party: format!("team:{}:{}", team.0.0, team_key[team]),
                    score,
                    matched_terms: terms,
                    explanation,
                }
            })
            .collect())
    }
}
