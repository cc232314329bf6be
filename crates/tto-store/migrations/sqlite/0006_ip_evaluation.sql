-- Disclosures, pre-filing evaluations, IP records with annuities and reminders, screening
-- rounds (SQLite). Keep in step with ../postgres/0006_ip_evaluation.sql.

CREATE TABLE disclosure (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    inventor_user_id INTEGER NOT NULL,
    inventor_name TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    problem TEXT NOT NULL,
    prior_art TEXT NOT NULL,
    planned_publications TEXT,
    first_publication_on TEXT,
    funding_source TEXT NOT NULL,
    funding_refs TEXT NOT NULL,
    status TEXT NOT NULL,
    comments TEXT,
    achievement_id INTEGER REFERENCES achievement(id),
    submitted_on TEXT,
    decided_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX disclosure_institution ON disclosure(institution_id, id);
CREATE INDEX disclosure_inventor ON disclosure(inventor_user_id, id);

CREATE TABLE disclosure_contributor (
    disclosure_id INTEGER NOT NULL REFERENCES disclosure(id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    share_ppm INTEGER NOT NULL,
    main INTEGER NOT NULL,
    PRIMARY KEY (disclosure_id, position)
);

CREATE TABLE disclosure_attachment (
    id INTEGER PRIMARY KEY,
    disclosure_id INTEGER NOT NULL REFERENCES disclosure(id),
    institution_id INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX disclosure_attachment_disclosure ON disclosure_attachment(disclosure_id, id);

-- Pre-filing evaluations and screening rounds share the scoring: a template of weighted
-- criteria (JSON), reviewers who declare conflicts or score once.
CREATE TABLE evaluation (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    achievement_id INTEGER NOT NULL REFERENCES achievement(id),
    template TEXT NOT NULL,
    status TEXT NOT NULL,
    recommendation TEXT,
    reasons TEXT,
    decided_on TEXT,
    policy_profile TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX evaluation_institution ON evaluation(institution_id, id);
CREATE INDEX evaluation_achievement ON evaluation(achievement_id, id);

CREATE TABLE screening_round (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    template TEXT NOT NULL,
    scores_due_on TEXT NOT NULL,
    shortlist_size INTEGER NOT NULL,
    status TEXT NOT NULL,
    published_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX screening_round_institution ON screening_round(institution_id, id);

CREATE TABLE screening_candidate (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES screening_round(id),
    institution_id INTEGER NOT NULL,
    achievement_id INTEGER REFERENCES achievement(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    shortlisted INTEGER NOT NULL,
    rank INTEGER
);
CREATE INDEX screening_candidate_round ON screening_candidate(round_id, id);

-- Reviewers of an evaluation (subject `evaluation`) or a screening round (subject
-- `screening`); a screening reviewer scores every candidate.
CREATE TABLE reviewer (
    subject TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    institution_id INTEGER NOT NULL,
    reviewer_name TEXT NOT NULL,
    conflict INTEGER NOT NULL,
    conflict_note TEXT,
    PRIMARY KEY (subject, subject_id, user_id)
);

-- One score sheet per reviewer and evaluation, or per reviewer and screening candidate.
CREATE TABLE score_sheet (
    subject TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    candidate_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    institution_id INTEGER NOT NULL,
    scores TEXT NOT NULL,
    comment TEXT,
    scored_at TEXT NOT NULL,
    PRIMARY KEY (subject, subject_id, candidate_id, user_id)
);

CREATE TABLE ip_right (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    achievement_id INTEGER REFERENCES achievement(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    application_number TEXT NOT NULL,
    filing_date TEXT NOT NULL,
    grant_number TEXT,
    grant_date TEXT,
    legal_status TEXT NOT NULL,
    programme INTEGER NOT NULL,
    programme_status TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (institution_id, jurisdiction, application_number)
);
CREATE INDEX ip_right_achievement ON ip_right(achievement_id);

CREATE TABLE ip_annuity_payment (
    ip_right_id INTEGER NOT NULL REFERENCES ip_right(id),
    year INTEGER NOT NULL,
    institution_id INTEGER NOT NULL,
    paid_on TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (ip_right_id, year)
);

-- Reminders made by the scheduled task (annuities due soon); done when paid.
CREATE TABLE reminder (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL,
    subject TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    period INTEGER NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (subject, subject_id, period)
);
CREATE INDEX reminder_institution ON reminder(institution_id, status, due_on);
