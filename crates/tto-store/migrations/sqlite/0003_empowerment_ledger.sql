-- Ownership empowerment and the separate ledger (SQLite). Keep in step with
-- ../postgres/0003_empowerment_ledger.sql.

CREATE TABLE empowerment_agreement (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    achievement_id INTEGER NOT NULL REFERENCES achievement(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    income_share_ppm INTEGER NOT NULL,
    cost_share_ppm INTEGER NOT NULL,
    maintenance_share_ppm INTEGER NOT NULL,
    decision_rules TEXT NOT NULL,
    term_years INTEGER,
    deal_reference TEXT,
    approved_on TEXT,
    approval_ref TEXT,
    notice_starts_on TEXT,
    notice_ends_on TEXT,
    effective_from TEXT,
    effective_until TEXT,
    cancel_reason TEXT,
    policy_profile TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX empowerment_agreement_institution ON empowerment_agreement(institution_id, id);
CREATE INDEX empowerment_agreement_achievement ON empowerment_agreement(achievement_id, id);

CREATE TABLE empowerment_party (
    agreement_id INTEGER NOT NULL REFERENCES empowerment_agreement(id) ON DELETE CASCADE,
    institution_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    person_id INTEGER REFERENCES person(id),
    name TEXT NOT NULL,
    share_ppm INTEGER NOT NULL,
    PRIMARY KEY (agreement_id, position)
);

-- One entry per job-related achievement, apart from ordinary state assets (measure 十).
CREATE TABLE ledger_entry (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    achievement_id INTEGER NOT NULL UNIQUE REFERENCES achievement(id),
    stage TEXT NOT NULL,
    cost_measurable INTEGER NOT NULL,
    value_measurable INTEGER NOT NULL,
    recognition TEXT NOT NULL,
    book_value_fen INTEGER,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX ledger_entry_institution ON ledger_entry(institution_id, id);

-- Conversions of achievements (transfer, licence, equity investment): recorded by the TTO,
-- or by completed deals.
CREATE TABLE conversion_event (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    achievement_id INTEGER NOT NULL REFERENCES achievement(id),
    mode TEXT NOT NULL,
    value_fen INTEGER NOT NULL,
    occurred_on TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX conversion_event_achievement ON conversion_event(achievement_id, id);

-- A conversion booked in the separate ledger; each conversion is booked once.
CREATE TABLE ledger_booking (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    ledger_entry_id INTEGER NOT NULL REFERENCES ledger_entry(id),
    achievement_id INTEGER NOT NULL REFERENCES achievement(id),
    conversion_event_id INTEGER NOT NULL UNIQUE REFERENCES conversion_event(id),
    value_fen INTEGER NOT NULL,
    booked_on TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ledger_booking_entry ON ledger_booking(ledger_entry_id, id);
