-- Partners: the remote hubs an organisation federates with over TAXII 2.1,
-- their status (active, suspended until a review date, revoked) and the
-- sync cursors that make pulls incremental and resumable.

CREATE TABLE partners (
    id            TEXT PRIMARY KEY,
    -- The local organisation that holds the relationship.
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    name          TEXT NOT NULL,
    -- The partner's TAXII API root (https://hub.example/taxii2/api/).
    api_root      TEXT NOT NULL,
    -- A JSON array of the partner's collection ids to pull.
    collections   TEXT NOT NULL,
    -- Our credential there (sealed).
    token         BLOB,
    -- The partner hub's published key (ed25519:HEX), pinned.
    public_key    TEXT,
    -- pull, push or both.
    direction     TEXT NOT NULL,
    -- The local organisation account the partner uses here (its sync
    -- token's organisation), if any: suspended with the partner.
    local_org_id  TEXT REFERENCES orgs (id),
    -- active, suspended or revoked.
    status        TEXT NOT NULL,
    status_reason TEXT,
    status_since  BIGINT NOT NULL,
    -- Suspended: the date (YYYY-MM-DD) on or after which an admin may
    -- reinstate it.
    review_date   TEXT,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX partners_org ON partners (org_id, id);

CREATE TABLE partner_cursors (
    partner_id    TEXT NOT NULL REFERENCES partners (id),
    collection_id TEXT NOT NULL,
    -- The partner's X-TAXII-Date-Added-Last of the last page stored.
    added_after   TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (partner_id, collection_id)
);

-- What a suspended partner sends is kept aside: the partner's id while
-- quarantined, NULL once released (or for everything else).
ALTER TABLE shared_objects ADD COLUMN quarantine TEXT;
