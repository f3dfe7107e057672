-- Accounts, their sessions and API tokens, and failed sign-ins for rate limits.
-- Secrets are never stored: sessions and tokens by the SHA-256 of their
-- random value, passwords as argon2id PHC strings.

CREATE TABLE accounts (
    -- The account's person agent; its id is the handle people sign in with.
    agent_id       TEXT PRIMARY KEY REFERENCES agents (id),
    email          TEXT NOT NULL,
    -- lower(email): one account per address, whatever the case.
    email_key      TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    agent_id      TEXT NOT NULL REFERENCES accounts (agent_id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    -- The absolute limit; the idle limit is checked against last_seen_at.
    expires_at    TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_by_agent ON sessions (agent_id);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    agent_id      TEXT NOT NULL REFERENCES accounts (agent_id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
) STRICT;
CREATE INDEX api_tokens_by_agent ON api_tokens (agent_id);

-- One row per failed sign-in, per key it counts against
-- (`account:<handle>`, `address:<ip>`); old rows are pruned.
CREATE TABLE login_failures (
    key  TEXT NOT NULL,
    at   TEXT NOT NULL
) STRICT;
CREATE INDEX login_failures_by_key ON login_failures (key, at);
