-- Supply-demand matching (SQLite). Keep in step with ../postgres/0008_matching.sql.

-- A need × achievement pair someone acted on (accepted, assigned a manager, moved along the
-- pipeline). Candidates nobody acted on are computed on demand and not stored. The score and
-- explanation are the ones shown when the pair entered the pipeline.
CREATE TABLE tech_match (
    id INTEGER PRIMARY KEY,
    need_id INTEGER NOT NULL REFERENCES tech_need(id),
    need_institution_id INTEGER NOT NULL REFERENCES institution(id),
    achievement_id INTEGER NOT NULL REFERENCES achievement(id),
    achievement_institution_id INTEGER NOT NULL REFERENCES institution(id),
    score INTEGER NOT NULL,
    explanation TEXT NOT NULL,
    status TEXT NOT NULL,
    manager_user_id INTEGER REFERENCES app_user(id),
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (need_id, achievement_id)
);
CREATE INDEX tech_match_need_institution ON tech_match(need_institution_id, id);
CREATE INDEX tech_match_achievement_institution ON tech_match(achievement_institution_id, id);
CREATE INDEX tech_match_achievement ON tech_match(achievement_id);
CREATE INDEX tech_match_manager ON tech_match(manager_user_id, status);

-- The latest accept/reject verdict of each side on a pair (earlier ones are in the audit
-- trail). A rejected pair is no longer recommended to that side.
CREATE TABLE match_feedback (
    need_id INTEGER NOT NULL REFERENCES tech_need(id),
    achievement_id INTEGER NOT NULL REFERENCES achievement(id),
    side TEXT NOT NULL,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    verdict TEXT NOT NULL,
    reason TEXT,
    user_id INTEGER REFERENCES app_user(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (need_id, achievement_id, side)
);
CREATE INDEX match_feedback_achievement ON match_feedback(achievement_id);
