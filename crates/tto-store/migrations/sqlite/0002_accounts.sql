-- Accounts (SQLite). Keep in step with ../postgres/0002_accounts.sql.

CREATE TABLE app_user (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX app_user_institution ON app_user(institution_id, username);

-- user × institution × role
CREATE TABLE membership (
    user_id INTEGER NOT NULL REFERENCES app_user(id),
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, institution_id, role)
);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE user_session (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user(id),
    institution_id INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    address TEXT NOT NULL
);
CREATE INDEX user_session_user ON user_session(user_id);

-- Personal access tokens for API clients; only the SHA-256 of the token is stored.
CREATE TABLE api_token (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user(id),
    institution_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_token_user ON api_token(user_id);

-- One-time invitation links; only the SHA-256 of the token is stored.
CREATE TABLE invitation (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user(id),
    institution_id INTEGER NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Sign-in attempts, for throttling per account and per address across nodes.
CREATE TABLE login_attempt (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    at TEXT NOT NULL,
    success INTEGER NOT NULL
);
CREATE INDEX login_attempt_username ON login_attempt(username, at);
CREATE INDEX login_attempt_address ON login_attempt(address, at);
