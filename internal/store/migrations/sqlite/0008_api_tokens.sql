-- API tokens made through the API or CLI (config tokens stay in config).
-- Only the SHA-256 of a token is kept; the token is shown once.
CREATE TABLE api_tokens (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    sha256         TEXT    NOT NULL,          -- hex
    created_at     INTEGER  NOT NULL,
    created_by     TEXT    NOT NULL,
    expires_at     INTEGER  NOT NULL DEFAULT 0,  -- 0: never
    last_used_at   INTEGER  NOT NULL DEFAULT 0,
    last_used_addr TEXT    NOT NULL DEFAULT '',
    revoked_at     INTEGER  NOT NULL DEFAULT 0   -- 0: live
);
CREATE UNIQUE INDEX api_tokens_sha256 ON api_tokens (sha256);
-- A name names one live token; revoked tokens keep theirs for the record.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at = 0;

-- Who acted, with what role, from where, and whether it worked.
ALTER TABLE audit_log ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN addr TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
