-- Indicators and sightings: what `vigilo logs --upload` reports. An indicator
-- is one observable (kind, value) in one role for one organisation, with the
-- totals over every upload; a sighting is one upload's report of it ("seen
-- N times between first_seen and last_seen by this sensor"). An upload adds
-- its sightings and updates the totals in one transaction.
CREATE TABLE indicators (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    -- domain-name, ipv4-addr, ipv6-addr or url (vigilo_core::indicator::ObservableKind).
    kind        TEXT NOT NULL,
    -- Normalised: domain names lower-case without a trailing dot, addresses
    -- in their canonical text form, URLs as given.
    value       TEXT NOT NULL,
    -- callback, payload or source (vigilo_core::indicator::IndicatorRole).
    role        TEXT NOT NULL,
    -- The detector rules whose hits named it, over all uploads: a JSON array
    -- of strings, sorted, without duplicates.
    rules       TEXT NOT NULL,
    -- When it was first and last seen, over all uploads (NULL while no upload
    -- knew the time of its hits).
    first_seen  BIGINT,
    last_seen   BIGINT,
    -- Hits, summed over all uploads.
    count       BIGINT NOT NULL,
    -- Sightings (uploads that reported it).
    sightings   BIGINT NOT NULL,
    -- The first decoded payload that named it.
    example     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (org_id, kind, value, role)
);
CREATE INDEX indicators_org ON indicators (org_id, id);

-- One row per indicator per upload. upload_id groups the rows of one upload;
-- ids are UUIDv7, so ordering by id is upload order.
CREATE TABLE sightings (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    upload_id    TEXT NOT NULL,
    indicator_id TEXT NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
    -- The host that ran `vigilo logs` (as the client names it).
    sensor       TEXT NOT NULL,
    count        BIGINT NOT NULL,
    first_seen   BIGINT,
    last_seen    BIGINT,
    uploaded_at  BIGINT NOT NULL,
    -- The actor of the upload (`token:<id>`, `user:<id>`, ...).
    uploaded_by  TEXT NOT NULL
);
CREATE INDEX sightings_org ON sightings (org_id, id);
CREATE INDEX sightings_indicator ON sightings (indicator_id, id);
CREATE INDEX sightings_upload ON sightings (upload_id);
