-- A person's own account: API tokens may expire. (Sessions need no new
-- column: their public id is derived from the token hash, see
-- src/auth/session.rs, and expired ones are deleted, not marked.)

-- When the token stops working; NULL: when revoked, never before.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;

-- Expired sessions are purged by their absolute and idle limits.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);
