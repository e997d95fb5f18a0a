-- Advisories (OSV records). owner_org NULL: public, imported by the operator.
CREATE TABLE advisories (
    id          TEXT PRIMARY KEY,
    owner_org   TEXT REFERENCES orgs (id),
    modified    TEXT NOT NULL,
    modified_at BIGINT NOT NULL,
    withdrawn   TEXT,
    summary     TEXT,
    aliases     TEXT NOT NULL,
    record      TEXT NOT NULL,
    source      TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
CREATE INDEX advisories_owner ON advisories (owner_org);

CREATE TABLE advisory_packages (
    advisory_id TEXT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (advisory_id, ecosystem, name)
);
CREATE INDEX advisory_packages_lookup ON advisory_packages (ecosystem, name);

CREATE TABLE advisory_aliases (
    alias       TEXT NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    PRIMARY KEY (alias, advisory_id)
);

INSERT INTO meta (key, value) VALUES ('advisories_generation', '0');
