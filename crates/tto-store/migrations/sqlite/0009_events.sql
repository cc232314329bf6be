-- Handshake events (SQLite). Keep in step with ../postgres/0009_events.sql.

-- An event belongs to the institution that organises it (a university's TTO, the exchange,
-- the platform).
CREATE TABLE event (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    chain TEXT,
    description TEXT,
    event_date TEXT NOT NULL,
    venue TEXT NOT NULL,
    first_slot_start TEXT NOT NULL,
    slot_minutes INTEGER NOT NULL,
    slot_count INTEGER NOT NULL,
    table_count INTEGER NOT NULL,
    meetings_per_item INTEGER NOT NULL,
    status TEXT NOT NULL,
    agenda_proposed_at TEXT,
    agenda_published_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX event_institution ON event(institution_id, id);
CREATE INDEX event_status ON event(status, event_date);

-- An invited institution (the tenant id is the organiser's, as on every row of the event).
CREATE TABLE event_participant (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES event(id) ON DELETE CASCADE,
    institution_id INTEGER NOT NULL,
    participant_id INTEGER NOT NULL REFERENCES institution(id),
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    attendee_name TEXT,
    invited_at TEXT NOT NULL,
    registered_at TEXT,
    version INTEGER NOT NULL,
    UNIQUE (event_id, participant_id)
);
CREATE INDEX event_participant_institution ON event_participant(participant_id, event_id);

-- One meeting of the matchmaking agenda: a need × an achievement at a table in a slot.
CREATE TABLE event_meeting (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES event(id) ON DELETE CASCADE,
    institution_id INTEGER NOT NULL,
    slot INTEGER NOT NULL,
    table_no INTEGER NOT NULL,
    need_id INTEGER NOT NULL REFERENCES tech_need(id),
    need_party TEXT NOT NULL,
    achievement_id INTEGER NOT NULL REFERENCES achievement(id),
    achievement_party TEXT NOT NULL,
    score_milli INTEGER NOT NULL,
    matched_terms TEXT NOT NULL,
    explanation TEXT NOT NULL,
    outcome TEXT NOT NULL,
    contact_made INTEGER NOT NULL,
    intention INTEGER NOT NULL,
    deal INTEGER NOT NULL,
    notes TEXT,
    recorded_by TEXT,
    recorded_at TEXT,
    version INTEGER NOT NULL,
    UNIQUE (event_id, slot, table_no),
    UNIQUE (event_id, need_id, achievement_id)
);
