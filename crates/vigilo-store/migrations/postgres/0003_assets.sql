-- Assets: an organisation's scanned machines or applications, each with its
-- current inventory (the latest upload replaces the previous one).
CREATE TABLE assets (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id),
    name            TEXT NOT NULL,
    host            TEXT NOT NULL,
    -- When the scan finished (the report's `finished`).
    scanned_at      BIGINT NOT NULL,
    -- First upload, and the latest one (whose inventory is stored).
    created_at      BIGINT NOT NULL,
    uploaded_at     BIGINT NOT NULL,
    -- The actor of the latest upload (`token:<id>`, `user:<id>`, ...).
    uploaded_by     TEXT NOT NULL,
    component_count BIGINT NOT NULL,
    -- How many uploads this asset has had.
    scans           BIGINT NOT NULL,
    -- The latest upload's scan report (vigilo-scan/1 JSON), whole.
    document        TEXT NOT NULL,
    UNIQUE (org_id, name)
);

-- The components of each asset's current inventory, in upload order (seq from 1).
-- key_ecosystem and key_name are the package key re-matching looks up: the
-- ecosystem without a distribution release (`Debian:12` → `Debian`) and the
-- name normalised by vigilo_core::package::normalize_name.
CREATE TABLE asset_components (
    asset_id      TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    seq           BIGINT NOT NULL,
    ecosystem     TEXT NOT NULL,
    name          TEXT NOT NULL,
    key_ecosystem TEXT NOT NULL,
    key_name      TEXT NOT NULL,
    version       TEXT NOT NULL,
    purl          TEXT,
    path          TEXT,
    PRIMARY KEY (asset_id, seq)
);
CREATE INDEX asset_components_lookup ON asset_components (key_ecosystem, key_name);
