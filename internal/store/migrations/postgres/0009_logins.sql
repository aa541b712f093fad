-- Logins of people: passwords (argon2id, never the password), sessions
-- (the SHA-256 of the cookie, never the cookie), one-time invite and
-- setup tokens (their SHA-256), and failed logins for throttling. Times
-- are Unix milliseconds; 0 is never.
CREATE TABLE logins (
    user_name     TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,             -- $argon2id$v=19$m=...,t=...,p=...$salt$key
    role          TEXT NOT NULL DEFAULT '',  -- admin for a login made by the setup link; '': the config user's role
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_sha256    TEXT PRIMARY KEY,          -- hex SHA-256 of the cookie value
    user_name    TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,          -- absolute: created_at + sessions.max_age
    revoked_at   BIGINT NOT NULL DEFAULT 0,
    address      TEXT NOT NULL DEFAULT '',  -- client address at login
    user_agent   TEXT NOT NULL DEFAULT '',
    csrf_token   TEXT NOT NULL              -- sent back in X-CSRF-Token or csrf_token by state-changing requests
);
CREATE INDEX sessions_user ON sessions (user_name);

CREATE TABLE login_tokens (
    token_sha256 TEXT PRIMARY KEY,          -- hex SHA-256 of the token in the link
    kind         TEXT NOT NULL,             -- invite or setup
    user_name    TEXT NOT NULL DEFAULT '',  -- invite: the user; setup: '' (the link names the admin)
    role         TEXT NOT NULL DEFAULT '',  -- setup: admin
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE login_failures (
    at        BIGINT NOT NULL,
    user_name TEXT NOT NULL,
    address   TEXT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (user_name, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
