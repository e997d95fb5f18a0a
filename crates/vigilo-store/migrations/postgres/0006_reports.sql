-- Reports received: a vigilo hub acting as a coordinator (a CSIRT, a
-- market-surveillance authority) receives reports from organisations and
-- answers each with a signed receipt (vigilo_formats::receipt), the
-- submitter's proof of when the hub received what. Append-only.
CREATE TABLE received_reports (
    id           TEXT PRIMARY KEY,
    -- The submitting organisation.
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    -- The report, as canonical JSON (RFC 8785).
    report       TEXT NOT NULL,
    -- sha256: and the hex digest of the report's canonical JSON.
    digest       TEXT NOT NULL,
    -- The rule (and stage, when given) the report is made under.
    rule         TEXT NOT NULL,
    stage        TEXT,
    -- When it was received (micros, UTC): the instant the receipt attests.
    received_at  BIGINT NOT NULL,
    -- The signed receipt, as issued: {"receipt": {...}, "signature": "..."}.
    receipt      TEXT NOT NULL,
    -- The actor that submitted it (`token:<id>`, ...).
    submitted_by TEXT NOT NULL
);
CREATE INDEX received_reports_org ON received_reports (org_id, id);
