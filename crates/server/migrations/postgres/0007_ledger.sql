-- Open accounting: each coalition's ledger of ValueFlows events, in money
-- and in kind, append-only and hash-chained (stigmergy_core::ledger).
-- Accounts are agent ids, or '@treasury' and '@commons-fund' for the
-- coalition's own; quantities are in thousandths, like everywhere else.

CREATE TABLE ledgers (
    coalition_id  TEXT PRIMARY KEY REFERENCES agents (id),
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    opened_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE owed (
    id                BIGSERIAL PRIMARY KEY,
    coalition_id      TEXT NOT NULL REFERENCES ledgers (coalition_id),
    kind              TEXT NOT NULL CHECK (kind IN ('revenue_share', 'commons_share', 'reciprocity_fee')),
    creditor          TEXT NOT NULL,
    debtor            TEXT NOT NULL,
    amount            BIGINT NOT NULL CHECK (amount > 0),
    triggered_by      BIGINT,
    need_claim        BIGINT REFERENCES claims (id),
    equation_version  BIGINT,
    at                TIMESTAMPTZ NOT NULL
);
CREATE INDEX owed_by_coalition ON owed (coalition_id, id);

CREATE TABLE ledger_entries (
    coalition_id  TEXT NOT NULL REFERENCES ledgers (coalition_id),
    seq           BIGINT NOT NULL CHECK (seq > 0),
    at            TIMESTAMPTZ NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('transfer', 'produce', 'work', 'use', 'cite')),
    provider      TEXT NOT NULL,
    receiver      TEXT NOT NULL,
    resource      TEXT NOT NULL,
    quantity      BIGINT NOT NULL CHECK (quantity >= 0),
    unit          TEXT NOT NULL,
    category      TEXT NOT NULL,
    note          TEXT NOT NULL,
    corrects      BIGINT,
    claim_id      BIGINT REFERENCES claims (id),
    settles       BIGINT REFERENCES owed (id),
    event_id      BIGINT UNIQUE REFERENCES economic_events (id),
    recorded_by   TEXT REFERENCES agents (id),
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (coalition_id, seq),
    FOREIGN KEY (coalition_id, corrects) REFERENCES ledger_entries (coalition_id, seq)
);
CREATE INDEX ledger_entries_by_settles ON ledger_entries (settles);

CREATE FUNCTION ledger_entries_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only';
END;
$$;
CREATE TRIGGER ledger_entries_are_append_only
BEFORE UPDATE OR DELETE ON ledger_entries
FOR EACH ROW EXECUTE FUNCTION ledger_entries_are_append_only();

CREATE TABLE value_equations (
    coalition_id  TEXT NOT NULL REFERENCES ledgers (coalition_id),
    version       BIGINT NOT NULL CHECK (version > 0),
    equation      TEXT NOT NULL,
    set_by        TEXT REFERENCES agents (id),
    set_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (coalition_id, version)
);

CREATE TABLE budgets (
    coalition_id  TEXT NOT NULL REFERENCES ledgers (coalition_id),
    year          BIGINT NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('income', 'spending')),
    category      TEXT NOT NULL,
    amount        BIGINT NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (coalition_id, year, direction, category)
);
