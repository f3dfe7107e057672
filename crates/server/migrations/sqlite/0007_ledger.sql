-- Open accounting: each coalition's ledger of ValueFlows events, in money
-- and in kind, append-only and hash-chained (stigmergy_core::ledger).
-- Accounts are agent ids, or '@treasury' and '@commons-fund' for the
-- coalition's own; quantities are in thousandths, like everywhere else.

CREATE TABLE ledgers (
    coalition_id  TEXT PRIMARY KEY REFERENCES agents (id),
    -- ISO 4217: the money the coalition keeps its accounts in.
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    opened_at     TEXT NOT NULL
) STRICT;

-- What is owed (VF Claim): to contributors and the commons fund after a
-- sale, or a reciprocity fee after a claim on a Peer Production License
-- design; settled by ledger entries that name it.
CREATE TABLE owed (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    coalition_id      TEXT NOT NULL REFERENCES ledgers (coalition_id),
    kind              TEXT NOT NULL CHECK (kind IN ('revenue_share', 'commons_share', 'reciprocity_fee')),
    creditor          TEXT NOT NULL,
    debtor            TEXT NOT NULL,
    amount            INTEGER NOT NULL CHECK (amount > 0),
    -- The sale's entry, or the need claim that made a fee owed.
    triggered_by      INTEGER,
    need_claim        INTEGER REFERENCES claims (id),
    equation_version  INTEGER,
    at                TEXT NOT NULL
) STRICT;
CREATE INDEX owed_by_coalition ON owed (coalition_id, id);

CREATE TABLE ledger_entries (
    coalition_id  TEXT NOT NULL REFERENCES ledgers (coalition_id),
    seq           INTEGER NOT NULL CHECK (seq > 0),
    at            TEXT NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('transfer', 'produce', 'work', 'use', 'cite')),
    provider      TEXT NOT NULL,
    receiver      TEXT NOT NULL,
    resource      TEXT NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity >= 0),
    unit          TEXT NOT NULL,
    category      TEXT NOT NULL,
    note          TEXT NOT NULL,
    corrects      INTEGER,
    claim_id      INTEGER REFERENCES claims (id),
    settles       INTEGER REFERENCES owed (id),
    -- The goods event (economic_events) this entry carries into the ledger.
    event_id      INTEGER UNIQUE REFERENCES economic_events (id),
    recorded_by   TEXT REFERENCES agents (id),
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (coalition_id, seq),
    FOREIGN KEY (coalition_id, corrects) REFERENCES ledger_entries (coalition_id, seq)
) STRICT;
CREATE INDEX ledger_entries_by_settles ON ledger_entries (settles);

CREATE TRIGGER ledger_entries_are_append_only_update
BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
CREATE TRIGGER ledger_entries_are_append_only_delete
BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;

-- Every version of a coalition's value equation, kept public.
CREATE TABLE value_equations (
    coalition_id  TEXT NOT NULL REFERENCES ledgers (coalition_id),
    version       INTEGER NOT NULL CHECK (version > 0),
    -- stigmergy_core::ledger::ValueEquation as JSON
    equation      TEXT NOT NULL,
    set_by        TEXT REFERENCES agents (id),
    set_at        TEXT NOT NULL,
    PRIMARY KEY (coalition_id, version)
) STRICT;

-- What a coalition plans to take in and spend per category in a year.
CREATE TABLE budgets (
    coalition_id  TEXT NOT NULL REFERENCES ledgers (coalition_id),
    year          INTEGER NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('income', 'spending')),
    category      TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (coalition_id, year, direction, category)
) STRICT;
