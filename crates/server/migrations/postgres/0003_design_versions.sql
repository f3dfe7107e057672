-- Every save of a design is a new revision: the saved draft, a note, and
-- who is credited with it (these credits feed the open accounts).

ALTER TABLE designs ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;

CREATE TABLE design_versions (
    design_id   TEXT NOT NULL REFERENCES designs (id) ON DELETE CASCADE,
    revision    BIGINT NOT NULL CHECK (revision >= 1),
    -- The draft as saved (stigmergy_core::DesignDraft as JSON).
    draft       TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (design_id, revision)
);

CREATE TABLE design_version_credits (
    design_id  TEXT NOT NULL,
    revision   BIGINT NOT NULL,
    agent_id   TEXT NOT NULL REFERENCES agents (id),
    role       TEXT NOT NULL,
    position   BIGINT NOT NULL,
    PRIMARY KEY (design_id, revision, agent_id),
    FOREIGN KEY (design_id, revision) REFERENCES design_versions (design_id, revision) ON DELETE CASCADE
);
CREATE INDEX design_version_credits_by_agent ON design_version_credits (agent_id);
