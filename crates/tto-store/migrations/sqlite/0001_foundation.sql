-- Foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql:
-- same tables, columns and indexes; only the id and boolean column types differ.
-- Portable types: INTEGER for ids, counts and money (fen); TEXT for dates (YYYY-MM-DD),
-- timestamps (UTC, RFC 3339 with microseconds) and JSON; INTEGER 0/1 for booleans.

CREATE TABLE institution (
    id INTEGER PRIMARY KEY,
    short_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT,
    kind TEXT NOT NULL,
    credit_code TEXT NOT NULL UNIQUE,
    region TEXT NOT NULL,
    state_run INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);

CREATE TABLE person (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    name TEXT NOT NULL,
    unit TEXT,
    title TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX person_institution ON person(institution_id, name);

CREATE TABLE achievement (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT,
    keywords TEXT NOT NULL,
    discipline TEXT NOT NULL,
    kind TEXT NOT NULL,
    trl INTEGER NOT NULL,
    funding_source TEXT NOT NULL,
    funding_refs TEXT NOT NULL,
    completion_date TEXT,
    confidentiality TEXT NOT NULL,
    job_related INTEGER NOT NULL,
    major INTEGER NOT NULL,
    status TEXT NOT NULL,
    external_ref TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (institution_id, code),
    UNIQUE (institution_id, external_ref)
);
CREATE INDEX achievement_institution ON achievement(institution_id, id);
CREATE INDEX achievement_status ON achievement(status, id);
CREATE INDEX achievement_kind ON achievement(kind, id);
CREATE INDEX achievement_discipline ON achievement(discipline, id);
CREATE INDEX achievement_updated ON achievement(updated_at, id);
CREATE INDEX achievement_title ON achievement(institution_id, title);

CREATE TABLE achievement_chain (
    achievement_id INTEGER NOT NULL REFERENCES achievement(id) ON DELETE CASCADE,
    institution_id INTEGER NOT NULL,
    chain TEXT NOT NULL,
    PRIMARY KEY (achievement_id, chain)
);
CREATE INDEX achievement_chain_by_chain ON achievement_chain(chain, achievement_id);

CREATE TABLE achievement_contributor (
    achievement_id INTEGER NOT NULL REFERENCES achievement(id) ON DELETE CASCADE,
    institution_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    person_id INTEGER REFERENCES person(id),
    name TEXT NOT NULL,
    share_ppm INTEGER NOT NULL,
    main INTEGER NOT NULL,
    PRIMARY KEY (achievement_id, position)
);

CREATE TABLE ownership_period (
    id INTEGER PRIMARY KEY,
    achievement_id INTEGER NOT NULL REFERENCES achievement(id) ON DELETE CASCADE,
    institution_id INTEGER NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    basis TEXT NOT NULL
);
CREATE INDEX ownership_period_achievement ON ownership_period(achievement_id, starts_on);

CREATE TABLE ownership_holder (
    period_id INTEGER NOT NULL REFERENCES ownership_period(id) ON DELETE CASCADE,
    institution_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    holder_kind TEXT NOT NULL,
    holder_institution_id INTEGER REFERENCES institution(id),
    holder_person_id INTEGER REFERENCES person(id),
    holder_name TEXT NOT NULL,
    share_ppm INTEGER NOT NULL,
    PRIMARY KEY (period_id, position)
);

-- Per-institution counters (ledger numbers).
CREATE TABLE sequence_counter (
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    name TEXT NOT NULL,
    next_value INTEGER NOT NULL,
    PRIMARY KEY (institution_id, name)
);

-- The single row every write transaction locks first: it serialises writers, so audit
-- events form one ordered hash chain and change-feed sequence numbers commit in order.
CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    audit_seq INTEGER NOT NULL,
    audit_hash TEXT NOT NULL,
    feed_seq INTEGER NOT NULL
);
INSERT INTO chain_head (id, audit_seq, audit_hash, feed_seq)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

CREATE TABLE audit_event (
    seq INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    institution_id INTEGER,
    actor_kind TEXT NOT NULL,
    actor_id INTEGER,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_event_entity ON audit_event(entity_type, entity_id, seq);
CREATE INDEX audit_event_institution ON audit_event(institution_id, seq);

CREATE TABLE change_feed (
    seq INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    institution_id INTEGER,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL
);
