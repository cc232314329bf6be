-- Enterprise technology needs (SQLite). Keep in step with ../postgres/0007_tech_needs.sql.

-- A need belongs to the institution that submitted it (an enterprise, or a district or
-- association collecting needs for its members: then the enterprise is named here).
CREATE TABLE tech_need (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    discipline TEXT,
    budget_min_fen INTEGER,
    budget_max_fen INTEGER,
    deadline TEXT,
    contact_policy TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT,
    contact_email TEXT,
    trl_min INTEGER,
    trl_max INTEGER,
    keywords TEXT NOT NULL,
    suggested_chain TEXT,
    enterprise_name TEXT,
    enterprise_credit_code TEXT,
    status TEXT NOT NULL,
    published_on TEXT,
    external_ref TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX tech_need_institution ON tech_need(institution_id, id);
CREATE INDEX tech_need_status ON tech_need(status, id);

CREATE TABLE tech_need_chain (
    need_id INTEGER NOT NULL REFERENCES tech_need(id) ON DELETE CASCADE,
    institution_id INTEGER NOT NULL,
    chain TEXT NOT NULL,
    PRIMARY KEY (need_id, chain)
);
CREATE INDEX tech_need_chain_chain ON tech_need_chain(chain, need_id);
