-- Sharing: sharing groups, and the objects a hub shares (STIX 2.1 objects:
-- advisories as vulnerabilities, indicators, sightings, notes), each
-- version with its marking. Who may see an object is decided by one
-- function, vigilo_core::marking::may_see, in the hub; the columns below
-- only let queries narrow the candidates.

CREATE TABLE sharing_groups (
    id           TEXT PRIMARY KEY,
    owner_org    TEXT NOT NULL REFERENCES orgs (id),
    name         TEXT NOT NULL,
    -- 1: members do not learn who the other members are.
    confidential BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL
);
CREATE INDEX sharing_groups_owner ON sharing_groups (owner_org);

CREATE TABLE sharing_group_members (
    group_id TEXT NOT NULL REFERENCES sharing_groups (id),
    org_id   TEXT NOT NULL REFERENCES orgs (id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, org_id)
);
CREATE INDEX sharing_group_members_org ON sharing_group_members (org_id);

-- One row per version of a STIX object (id, modified).
CREATE TABLE shared_objects (
    id           TEXT NOT NULL,
    -- The STIX `modified` (or `created`), RFC 3339 with milliseconds.
    version      TEXT NOT NULL,
    owner_org    TEXT NOT NULL REFERENCES orgs (id),
    type         TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    -- TLP:CLEAR ... TLP:RED.
    tlp          TEXT NOT NULL,
    -- JSON arrays of sharing group ids and named organisation ids.
    groups       TEXT NOT NULL,
    orgs         TEXT NOT NULL,
    -- The object, as JSON.
    object       TEXT NOT NULL,
    -- When this hub added it (micros), strictly increasing: TAXII's
    -- date_added and the order of every listing.
    date_added   BIGINT NOT NULL UNIQUE,
    -- `local`, or `partner:<id>` for what federation brought.
    origin       TEXT NOT NULL,
    -- 1 for the newest version of its id, else 0 (TAXII match[version]=last).
    latest       BIGINT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX shared_objects_added ON shared_objects (date_added);
CREATE INDEX shared_objects_owner ON shared_objects (owner_org, date_added);
CREATE INDEX shared_objects_tlp ON shared_objects (tlp, date_added);
CREATE INDEX shared_objects_id ON shared_objects (id, version);

-- TAXII status resources of object POSTs.
CREATE TABLE taxii_status (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    -- The status resource, as JSON.
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX taxii_status_org ON taxii_status (org_id, id);
