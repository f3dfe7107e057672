-- The outbox of live events: every change the stream announces, written in
-- the same transaction as the change itself, numbered in order. Each server
-- replica reads it from the last id it has seen, so a write on one reaches
-- subscribers on all. Old rows are pruned; the stream says so to a client
-- that asks to resume from before the oldest one left.

CREATE TABLE live_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    coalition_id  TEXT,
    -- stigmergy_core::Change as JSON
    change        TEXT NOT NULL,
    at            TEXT NOT NULL
) STRICT;
