-- Exposure: findings raised by matching the stored asset inventories
-- (uploads of `vigilo scan --upload`) against the advisories, kept up to
-- date when either side changes.

-- One row per (asset, advisory, component): the component of the asset's
-- inventory that the advisory affects. A finding that a later match no
-- longer raises (the asset was re-uploaded with a fixed version, the
-- advisory was withdrawn or changed) is resolved, not deleted; raised
-- again, it is reopened.
CREATE TABLE findings (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    asset_id      TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    -- The advisory's id (no foreign key: a finding outlives its advisory).
    advisory_id   TEXT NOT NULL,
    -- SHA-256 (hex) of the component's ecosystem, name, version and path:
    -- which component of the inventory (stable across uploads).
    component_key TEXT NOT NULL,
    ecosystem     TEXT NOT NULL,
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    purl          TEXT,
    -- The evidence path chain as the scanner reports it
    -- (`app.ear!/lib/x.war!/WEB-INF/lib/log4j-core-2.14.1.jar`).
    path          TEXT,
    -- The scan's verdict semantics (vigilo_core::inventory::Status).
    status        TEXT NOT NULL CHECK (status IN ('affected', 'mitigated', 'unknown')),
    first_seen    BIGINT NOT NULL,
    last_seen     BIGINT NOT NULL,
    -- Set when a match no longer raises it; NULL while open.
    resolved_at   BIGINT,
    -- When it last became open (first raised or reopened): the key of its
    -- exposure.new notice.
    opened_at     BIGINT NOT NULL,
    -- 1 while an exposure.new notice is owed (an advisory's arrival made it
    -- open and affected), until the notice is queued.
    notify        BIGINT NOT NULL DEFAULT 0,
    UNIQUE (asset_id, advisory_id, component_key)
);
CREATE INDEX findings_org_advisory ON findings (org_id, advisory_id);
CREATE INDEX findings_org_asset ON findings (org_id, asset_id);
CREATE INDEX findings_advisory ON findings (advisory_id);
CREATE INDEX findings_notify ON findings (notify);

-- Which upload of each asset has been matched against every advisory (the
-- asset's `scans` then). An asset whose `scans` differs is matched whole.
CREATE TABLE exposure_assets (
    asset_id   TEXT PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    scans      BIGINT NOT NULL,
    matched_at BIGINT NOT NULL
);

-- What the scan report says of a component beyond its name and version, when
-- it changes a finding's status: the version range proved by class
-- fingerprints, and the advisory ids or aliases its mitigations neutralise
-- (a JSON array). Only components with either are kept.
CREATE TABLE exposure_component_notes (
    asset_id      TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    seq           BIGINT NOT NULL,
    version_range TEXT,
    mitigated     TEXT NOT NULL,
    PRIMARY KEY (asset_id, seq)
);

-- Which version of each advisory has been matched against every inventory:
-- an advisory whose `modified` or `imported_at` differs (or that has no row)
-- has changed since, and is matched again.
CREATE TABLE exposure_advisories (
    advisory_id TEXT PRIMARY KEY,
    modified    TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    matched_at  BIGINT NOT NULL
);

-- The advisories generation the latest re-match ran at. It starts where the
-- advisories generation starts, 0 (no advisory yet); a hub that already has
-- advisories is ahead of it, so its first re-match matches them all.
INSERT INTO meta (key, value) VALUES ('exposure_generation', '0');
