-- Sign-ups limited per client address (issue 12): each sign-up that gets
-- past the form checks is recorded here before its password is checked
-- and hashed, and refused once its address has the configured number in
-- the last hour. Rows older than an hour no longer count and are removed
-- by the next sign-up.
CREATE TABLE sign_ups (
    id       BIGSERIAL PRIMARY KEY,
    address  TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_ups_by_address ON sign_ups (address, at);
CREATE INDEX sign_ups_by_age ON sign_ups (at);
