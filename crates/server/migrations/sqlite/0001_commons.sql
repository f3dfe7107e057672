-- The design commons: agents, designs and what designs are filtered by.

CREATE TABLE agents (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('person', 'microfactory', 'cooperative', 'supplier', 'hub')),
    note        TEXT NOT NULL DEFAULT '',
    -- Where the agent is (VF primaryLocation). Organizations always say;
    -- a person may keep it to themselves, so all three are set or none.
    place_name  TEXT,
    lat         REAL CHECK (lat BETWEEN -90 AND 90),
    lon         REAL CHECK (lon BETWEEN -180 AND 180),
    created_at  TEXT NOT NULL,
    CHECK ((place_name IS NULL) = (lat IS NULL) AND (lat IS NULL) = (lon IS NULL))
) STRICT;

CREATE TABLE designs (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    -- lower(name), computed in Rust (Unicode-aware): the sort and cursor key.
    name_key           TEXT NOT NULL,
    summary            TEXT NOT NULL,
    description        TEXT NOT NULL,
    licence            TEXT NOT NULL,
    version            TEXT NOT NULL,
    repository         TEXT,
    parent_id          TEXT REFERENCES designs (id),
    -- The recipe as JSON (stigmergy_core::BillOfMaterials), validated in Rust.
    bill_of_materials  TEXT NOT NULL,
    -- Lowercased name, summary, description, tags and materials for search.
    search_text        TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;

CREATE INDEX designs_by_name ON designs (name_key, id);
CREATE INDEX designs_by_parent ON designs (parent_id);
CREATE INDEX designs_by_licence ON designs (licence);

CREATE TABLE design_tags (
    design_id  TEXT NOT NULL REFERENCES designs (id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (design_id, tag)
) STRICT;
CREATE INDEX design_tags_by_tag ON design_tags (tag);

CREATE TABLE design_processes (
    design_id     TEXT NOT NULL REFERENCES designs (id) ON DELETE CASCADE,
    process_kind  TEXT NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (design_id, process_kind)
) STRICT;
CREATE INDEX design_processes_by_kind ON design_processes (process_kind);

CREATE TABLE design_materials (
    design_id     TEXT NOT NULL REFERENCES designs (id) ON DELETE CASCADE,
    material_key  TEXT NOT NULL,
    material      TEXT NOT NULL,
    PRIMARY KEY (design_id, material_key)
) STRICT;
CREATE INDEX design_materials_by_key ON design_materials (material_key);

CREATE TABLE design_contributors (
    design_id  TEXT NOT NULL REFERENCES designs (id) ON DELETE CASCADE,
    agent_id   TEXT NOT NULL REFERENCES agents (id),
    role       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (design_id, agent_id, role)
) STRICT;
CREATE INDEX design_contributors_by_agent ON design_contributors (agent_id);
