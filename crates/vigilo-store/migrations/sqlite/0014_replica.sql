-- Replicas: a full copy of an organisation's own data taken from another
-- hub (`vigilo replicate --from URL`), so that the organisation keeps
-- everything if that hub is cut off. One row per export file, its content
-- sealed under this hub's keys; a file is replaced only when it changed.
CREATE TABLE replica_files (
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    name       TEXT NOT NULL,
    -- The hub it was copied from.
    source     TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    records    BIGINT NOT NULL,
    content    BLOB NOT NULL,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, name)
);
