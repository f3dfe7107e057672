-- The stigmergic signals: needs (VF Intent, request), capacity (VF
-- Proposal, offer), claims (VF Commitment satisfying a need) and the
-- economic events confirmed deliveries record.
--
-- Quantities are INTEGER thousandths of their unit, so sums are exact.

CREATE TABLE needs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    design_id         TEXT REFERENCES designs (id),
    resource          TEXT,
    quantity          INTEGER NOT NULL CHECK (quantity > 0),
    unit              TEXT NOT NULL,
    minimum_quantity  INTEGER CHECK (minimum_quantity > 0 AND minimum_quantity <= quantity),
    -- Σ quantity of the need's active claims, kept in the same transaction
    -- as every claim change: the guard that stops over-claiming.
    claimed           INTEGER NOT NULL DEFAULT 0,
    due               TEXT NOT NULL,
    place_name        TEXT NOT NULL,
    lat               REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon               REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    coalition_id      TEXT REFERENCES agents (id),
    receiver_id       TEXT NOT NULL REFERENCES agents (id),
    declared_by       TEXT NOT NULL REFERENCES agents (id),
    note              TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    CHECK ((design_id IS NULL) <> (resource IS NULL)),
    CHECK (claimed BETWEEN 0 AND quantity)
) STRICT;
CREATE INDEX needs_by_due ON needs (due, id);
CREATE INDEX needs_by_design ON needs (design_id);
CREATE INDEX needs_by_coalition ON needs (coalition_id);
CREATE INDEX needs_by_receiver ON needs (receiver_id);
CREATE INDEX needs_by_lat ON needs (lat);

CREATE TABLE claims (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    need_id      INTEGER NOT NULL REFERENCES needs (id),
    provider_id  TEXT NOT NULL REFERENCES agents (id),
    claimed_by   TEXT NOT NULL REFERENCES agents (id),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    state        TEXT NOT NULL CHECK (state IN ('committed', 'in_progress', 'delivered', 'confirmed', 'declined', 'withdrawn')),
    note         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX claims_by_need ON claims (need_id, state);
CREATE INDEX claims_by_provider ON claims (provider_id, state);

CREATE TABLE capacities (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id      TEXT NOT NULL REFERENCES agents (id),
    declared_by      TEXT NOT NULL REFERENCES agents (id),
    -- Process kind slugs and material names, as JSON arrays.
    processes        TEXT NOT NULL,
    materials        TEXT NOT NULL,
    rate             REAL NOT NULL CHECK (rate > 0),
    available_from   TEXT NOT NULL,
    available_until  TEXT,
    radius_km        REAL NOT NULL CHECK (radius_km >= 0),
    place_name       TEXT NOT NULL,
    lat              REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon              REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    note             TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL
) STRICT;
CREATE INDEX capacities_by_provider ON capacities (provider_id);

CREATE TABLE capacity_processes (
    capacity_id  INTEGER NOT NULL REFERENCES capacities (id),
    process      TEXT NOT NULL,
    PRIMARY KEY (capacity_id, process)
) STRICT;
CREATE INDEX capacity_processes_by_process ON capacity_processes (process);

-- Append-only: never updated or deleted; a mistake is corrected by a new
-- event that names the old one in `corrects`.
CREATE TABLE economic_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    action        TEXT NOT NULL,
    provider_id   TEXT NOT NULL REFERENCES agents (id),
    receiver_id   TEXT NOT NULL REFERENCES agents (id),
    design_id     TEXT REFERENCES designs (id),
    resource      TEXT NOT NULL,
    quantity      INTEGER NOT NULL,
    unit          TEXT NOT NULL,
    at            TEXT NOT NULL,
    fulfils       INTEGER REFERENCES claims (id),
    place_name    TEXT,
    lat           REAL,
    lon           REAL,
    coalition_id  TEXT REFERENCES agents (id),
    corrects      INTEGER REFERENCES economic_events (id)
) STRICT;
CREATE INDEX economic_events_by_claim ON economic_events (fulfils);
CREATE INDEX economic_events_by_coalition ON economic_events (coalition_id, id);

CREATE TRIGGER economic_events_are_append_only_update
BEFORE UPDATE ON economic_events
BEGIN
    SELECT RAISE(ABORT, 'economic events are append-only');
END;
CREATE TRIGGER economic_events_are_append_only_delete
BEFORE DELETE ON economic_events
BEGIN
    SELECT RAISE(ABORT, 'economic events are append-only');
END;
