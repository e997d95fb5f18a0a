-- The rest of a case record: impact, exploitation with its evidence, the
-- reporter's contact (personal data: sealed), the embargo with its time zone,
-- linked advisories and where the case came from; then its participants
-- (each with a status and a message thread), its messages, its attachments
-- (sealed) and the organisation's public intake settings.
ALTER TABLE cases ADD COLUMN impact TEXT;
-- 0 or 1.
ALTER TABLE cases ADD COLUMN exploited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN exploited_evidence TEXT;
-- Sealed (FieldRef cases.reporter_contact): a JSON object {"name", "email",
-- "pgp_key"}; NULL when the case has none.
ALTER TABLE cases ADD COLUMN reporter_contact BYTEA;
-- The embargo (publication date): an instant (micros, UTC) and the IANA time
-- zone it was set in; both NULL or both set.
ALTER TABLE cases ADD COLUMN embargo_until BIGINT;
ALTER TABLE cases ADD COLUMN embargo_tz TEXT;
-- A JSON array of advisory ids or aliases (GHSA-…, OSV ids, CVE ids).
ALTER TABLE cases ADD COLUMN linked_advisories TEXT NOT NULL DEFAULT '[]';
-- api (created through the API or the CLI) or intake (the public intake).
ALTER TABLE cases ADD COLUMN origin TEXT NOT NULL DEFAULT 'api';

-- The parties of a case: vendor, coordinator, reporter or other, each with
-- where it stands (notified, seen, affected, not_affected, unknown, fixed).
CREATE TABLE case_participants (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    role       TEXT NOT NULL,
    name       TEXT NOT NULL,
    -- Sealed (FieldRef case_participants.contact); NULL when none was given.
    contact    BYTEA,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX case_participants_case ON case_participants (case_id, id);
CREATE INDEX case_participants_org ON case_participants (org_id, id);

-- A case's message thread, optionally with one participant. Never updated or
-- deleted; ids are UUIDv7 (recording order). kind: note (written by someone)
-- or system (recorded by vigilo, e.g. a participant's status change).
CREATE TABLE case_messages (
    id             TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL REFERENCES cases (id),
    org_id         TEXT NOT NULL REFERENCES orgs (id),
    participant_id TEXT REFERENCES case_participants (id),
    kind           TEXT NOT NULL DEFAULT 'note',
    author         TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id, id);
CREATE INDEX case_messages_org ON case_messages (org_id, id);

-- Files attached to a case (proofs of concept, logs): the content sealed
-- (FieldRef case_attachments.content), its size and SHA-256 in the clear.
CREATE TABLE case_attachments (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    name       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    -- Lower-case hex SHA-256 of the plaintext.
    sha256     TEXT NOT NULL,
    content    BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments (case_id, id);
CREATE INDEX case_attachments_org ON case_attachments (org_id, id);

-- The public intake of an organisation: outside finders report through
-- /api/intake/{slug} without an account.
CREATE TABLE org_intake (
    org_id     TEXT PRIMARY KEY REFERENCES orgs (id),
    -- 0 or 1.
    enabled    BIGINT NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    updated_at BIGINT NOT NULL
);
