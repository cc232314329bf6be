-- Income distribution (SQLite). Keep in step with ../postgres/0005_distribution.sql.

-- A university's published rule on rewards (单位规定, 促进科技成果转化法 第四十四条), kept as a
-- history: the rule in force on a day is the latest published on or before it.
CREATE TABLE distribution_rule (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    document TEXT NOT NULL,
    published_on TEXT NOT NULL,
    share_transfer_ppm INTEGER,
    share_equity_ppm INTEGER,
    share_self_ppm INTEGER,
    self_years INTEGER,
    tto_rate_ppm INTEGER,
    tto_position TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX distribution_rule_institution ON distribution_rule(institution_id, published_on, id);

-- Income and expenses of conversions besides contract payments: costs by category, equity
-- received, other income.
CREATE TABLE finance_entry (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    amount INTEGER NOT NULL,
    occurred_on TEXT NOT NULL,
    deal_id INTEGER REFERENCES deal(id),
    contract_id INTEGER REFERENCES tech_contract(id),
    achievement_id INTEGER REFERENCES achievement(id),
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX finance_entry_institution ON finance_entry(institution_id, occurred_on, id);

-- A distribution: the case as entered, the computed result, and its workflow.
CREATE TABLE distribution (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    title TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    deal_id INTEGER REFERENCES deal(id),
    contract_id INTEGER REFERENCES tech_contract(id),
    achievement_id INTEGER REFERENCES achievement(id),
    case_date TEXT NOT NULL,
    income_received_on TEXT,
    state_run INTEGER NOT NULL,
    case_json TEXT NOT NULL,
    result_json TEXT NOT NULL,
    unit TEXT NOT NULL,
    gross INTEGER NOT NULL,
    net INTEGER NOT NULL,
    pool INTEGER NOT NULL,
    tto INTEGER NOT NULL,
    remainder INTEGER NOT NULL,
    notice_required INTEGER NOT NULL,
    approved_on TEXT,
    paid_on TEXT,
    cancel_reason TEXT,
    policy_profile TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX distribution_institution ON distribution(institution_id, id);

-- The lines of a distribution (for the register and the statements per person).
CREATE TABLE distribution_line (
    distribution_id INTEGER NOT NULL REFERENCES distribution(id),
    institution_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    amount INTEGER NOT NULL,
    year INTEGER,
    main INTEGER NOT NULL,
    leader INTEGER NOT NULL,
    form TEXT,
    basis TEXT NOT NULL,
    PRIMARY KEY (distribution_id, position)
);
CREATE INDEX distribution_line_recipient ON distribution_line(institution_id, recipient);
