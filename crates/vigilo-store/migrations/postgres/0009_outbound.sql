-- The outbound path: who an organisation reports to, every disclosure it
-- makes (checked against the rule packs' constraints, with the admin
-- override and its reason when one was needed), the receipts other hubs
-- signed, and the duties a moved anchor made late.

-- An organisation's profile also names the partnership agreements it is
-- bound by (coordinator memberships: rule packs `partnership.*`) and the
-- time zone of each recipient whose deadlines count in local days.
ALTER TABLE org_profiles ADD COLUMN partnerships TEXT NOT NULL DEFAULT '[]';
ALTER TABLE org_profiles ADD COLUMN recipient_zones TEXT NOT NULL DEFAULT '{}';

-- Recipients: a remote vigilo hub (a coordinator's, a regulator's) reports
-- are submitted to through its POST /api/reports, or a recipient reached
-- by hand (e-mail, a web portal). `serves` names the duty recipients
-- (`csirt_coordinator`, `cn_miit_nvdb`, ...) it stands for.
CREATE TABLE recipients (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL,
    -- vigilo_hub or manual.
    kind        TEXT NOT NULL,
    -- ISO 3166 alpha-2 of where the recipient sits (the constraints test it).
    country     TEXT NOT NULL,
    -- Its role towards the organisation's cases: coordinator, regulator,
    -- csirt, product_provider, ...
    role        TEXT NOT NULL,
    -- A JSON array of duty recipient names.
    serves      TEXT NOT NULL,
    -- vigilo_hub only: base URL, API token (sealed), the pinned receipt key
    -- (ed25519:HEX) and issuer name.
    url         TEXT,
    token       BYTEA,
    public_key  TEXT,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    -- Set when removed: kept for the disclosures that name it.
    removed_at  BIGINT
);
CREATE INDEX recipients_org ON recipients (org_id, id);

-- Disclosures: every outbound disclosure about a case (a submission to a
-- hub, a manual submission recorded, a publication), with the constraint
-- check's outcome. Append-only.
CREATE TABLE disclosures (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id),
    case_id         TEXT NOT NULL REFERENCES cases (id),
    -- submission, manual, publication.
    kind            TEXT NOT NULL,
    recipient_id    TEXT,
    recipient       TEXT NOT NULL,
    country         TEXT,
    role            TEXT,
    -- A JSON array of the violations found (empty when none).
    violations      TEXT NOT NULL,
    -- When violations were overridden: the admin's reason.
    override_reason TEXT,
    -- The case submission this disclosure discharged, if any.
    submission_id   TEXT,
    -- submission: sha256: digest of the report sent, and the receipt the
    -- recipient's hub signed ({"receipt": ..., "signature": ...}), verified
    -- against the pinned key before it was stored.
    digest          TEXT,
    receipt         TEXT,
    at              BIGINT NOT NULL,
    actor           TEXT NOT NULL
);
CREATE INDEX disclosures_case ON disclosures (org_id, case_id, id);

-- Duties a new or moved anchor made late on arrival: the due instant was
-- already past when the fact that fixed it was recorded.
CREATE TABLE duty_late_records (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    case_id     TEXT NOT NULL REFERENCES cases (id),
    rule        TEXT NOT NULL,
    stage       TEXT NOT NULL,
    -- Micros; NULL when the duty had no due instant before.
    due_before  BIGINT,
    due_after   BIGINT NOT NULL,
    -- The case event whose recording moved the anchor.
    event_id    TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX duty_late_records_case ON duty_late_records (org_id, case_id, id);
