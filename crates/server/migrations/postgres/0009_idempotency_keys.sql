-- Retries are safe (issue 11): a POST sent again with the same
-- Idempotency-Key by the same account replays the first answer and writes
-- nothing. One row per account and key; `status` is NULL while the first
-- request is still being handled. Rows older than 24 hours no longer count
-- and are removed when the account sends its next key.
CREATE TABLE idempotency_keys (
    agent_id       TEXT NOT NULL REFERENCES agents (id),
    key            TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- SHA-256 of the method, path and body: the same key with another
    -- request is refused.
    request_hash   TEXT NOT NULL,
    status         INTEGER,
    content_type   TEXT,
    body           BYTEA,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agent_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (agent_id, created_at);
