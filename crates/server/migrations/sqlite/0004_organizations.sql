-- Organizations' members, and coalitions: organizations classified as
-- coalitions, formed around commons licences.

CREATE TABLE coalitions (
    agent_id  TEXT PRIMARY KEY REFERENCES agents (id),
    -- The SPDX ids the coalition adheres to, as a JSON array.
    licences  TEXT NOT NULL
) STRICT;

-- One row per (organization, member): a request, an active membership, or
-- a declined request (which may be asked again).
CREATE TABLE memberships (
    organization_id  TEXT NOT NULL REFERENCES agents (id),
    member_id        TEXT NOT NULL REFERENCES agents (id),
    role             TEXT NOT NULL CHECK (role IN ('member', 'steward')),
    state            TEXT NOT NULL CHECK (state IN ('requested', 'active', 'declined')),
    requested_by     TEXT REFERENCES agents (id),
    decided_by       TEXT REFERENCES agents (id),
    requested_at     TEXT NOT NULL,
    decided_at       TEXT,
    PRIMARY KEY (organization_id, member_id),
    CHECK (organization_id <> member_id)
) STRICT;
CREATE INDEX memberships_by_member ON memberships (member_id, state);
