-- Cases: vulnerability reports and incidents an organisation handles, with
-- the facts (timestamped events with provenance, append-only) and the
-- submissions (reports sent, discharging duties) from which vigilo-duties
-- computes who must be told what by when.
CREATE TABLE cases (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES orgs (id),
    title             TEXT NOT NULL,
    -- vulnerability or incident.
    kind              TEXT NOT NULL,
    -- received, triaged, coordinating, fixed, disclosed, rejected or duplicate.
    status            TEXT NOT NULL,
    description       TEXT NOT NULL,
    -- A JSON array of {"name", "version"?, "purl"?}.
    products          TEXT NOT NULL,
    -- A CVSS v3.1 or v4.0 vector string, as given.
    cvss_vector       TEXT,
    -- A JSON array of CVE ids.
    cve_ids           TEXT NOT NULL,
    -- A JSON object: the duty engine's case flags
    -- (`product.made_available_in_eu: true`, `product.offered_in: ["CN"]`).
    flags             TEXT NOT NULL,
    -- Sealed (envelope encryption, FieldRef cases.technical_details); NULL
    -- when the case has none.
    technical_details BYTEA,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    -- The actor that created it (`token:<id>`, `user:<id>`, ...).
    created_by        TEXT NOT NULL
);
CREATE INDEX cases_org ON cases (org_id, id);
CREATE INDEX cases_org_status ON cases (org_id, status, id);

-- Facts: one row per event (`vuln.exploitation_aware` at an instant, with its
-- source). Never updated or deleted; ids are UUIDv7 (recording order).
CREATE TABLE case_events (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    event       TEXT NOT NULL,
    -- When it happened (micros, UTC).
    at          BIGINT NOT NULL,
    -- Provenance: who or what says so.
    source      TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);
CREATE INDEX case_events_org ON case_events (org_id, id);

-- Submissions: a stage of a rule reported (manually: e-mail, web portal),
-- with its evidence. Append-only.
CREATE TABLE case_submissions (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    rule        TEXT NOT NULL,
    stage       TEXT NOT NULL,
    -- A JSON array of other stages of the rule this submission also provided.
    covers      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    evidence    TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX case_submissions_case ON case_submissions (case_id, id);
CREATE INDEX case_submissions_org ON case_submissions (org_id, id);
