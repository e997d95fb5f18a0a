-- vigilo foundation schema (SQLite). Times are microseconds since the Unix epoch.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE orgs (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    is_operator  BIGINT NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at   BIGINT NOT NULL
);

-- A user account belongs to one organisation: the same person in two
-- organisations has two accounts, so no organisation learns of another's.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT,
    role          TEXT NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    UNIQUE (org_id, email)
);
CREATE INDEX users_email ON users (email);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    user_id     TEXT REFERENCES users (id),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    secret_hash BLOB NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX api_tokens_org ON api_tokens (org_id);

CREATE TABLE org_keys (
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    version    BIGINT NOT NULL,
    wrapped    BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, version)
);

CREATE TABLE hub_keys (
    id         TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    wrapped    BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE org_profiles (
    org_id           TEXT PRIMARY KEY REFERENCES orgs (id),
    legal_name       TEXT NOT NULL,
    jurisdictions    TEXT NOT NULL,
    sectors          TEXT NOT NULL,
    roles            TEXT NOT NULL,
    security_contact BLOB,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

CREATE TABLE audit_events (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    org_id     TEXT,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    request_id TEXT,
    source     TEXT,
    detail     TEXT,
    prev_hash  BLOB NOT NULL,
    hash       BLOB NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, seq);

CREATE TABLE audit_checkpoints (
    seq       BIGINT PRIMARY KEY,
    hash      BLOB NOT NULL,
    at        BIGINT NOT NULL,
    key_id    TEXT NOT NULL,
    signature BLOB NOT NULL
);
