-- Checks: their definition (from config or API) and their state.
-- Times are Unix milliseconds in UTC; 0 means "none".
CREATE TABLE checks (
    id               INTEGER PRIMARY KEY,
    uuid             TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL UNIQUE,
    slug             TEXT    NOT NULL,
    schedule_every   INTEGER NOT NULL DEFAULT 0,  -- milliseconds
    schedule_cron    TEXT    NOT NULL DEFAULT '',
    schedule_tz      TEXT    NOT NULL DEFAULT '',
    grace            INTEGER NOT NULL,            -- milliseconds
    notify           TEXT    NOT NULL DEFAULT '[]', -- JSON array of channel names
    auto_resolve     INTEGER NOT NULL DEFAULT 1,
    methods          TEXT    NOT NULL DEFAULT '',
    manual_resume    INTEGER NOT NULL DEFAULT 0,
    runbook_url      TEXT    NOT NULL DEFAULT '',
    description      TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL DEFAULT 'new',
    last_ping_at     INTEGER NOT NULL DEFAULT 0,
    last_start_at    INTEGER NOT NULL DEFAULT 0,
    last_start_rid   TEXT    NOT NULL DEFAULT '',
    last_duration    INTEGER NOT NULL DEFAULT 0,  -- milliseconds
    alert_after      INTEGER NOT NULL DEFAULT 0,  -- when the check goes down unless pinged
    pings            INTEGER NOT NULL DEFAULT 0,  -- pings received, numbering them
    version          INTEGER NOT NULL DEFAULT 0,  -- bumped by every write: cached copies compare it
    managed_by       TEXT    NOT NULL DEFAULT 'api', -- 'config': kept in step with the config file
    created_at       INTEGER NOT NULL,
    deleted_at       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX checks_slug ON checks (slug) WHERE deleted_at = 0;
-- No index on alert_after: it changes with every ping, and the engine
-- reads all deadlines only once, at start.

-- Keyed by check and sequence number, without a rowid: one b-tree to
-- insert into per ping, and a check's pings are stored together.
CREATE TABLE pings (
    check_id    INTEGER NOT NULL REFERENCES checks (id),
    n           INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    exit_status INTEGER,
    rid         TEXT    NOT NULL DEFAULT '',
    method      TEXT    NOT NULL DEFAULT '',
    remote_addr TEXT    NOT NULL DEFAULT '',
    scheme      TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    body        BLOB,
    truncated   INTEGER NOT NULL DEFAULT 0,
    duration    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (check_id, n)
) WITHOUT ROWID;

CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,
    check_id    INTEGER REFERENCES checks (id),
    title       TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    opened_at   INTEGER NOT NULL,
    acked_at    INTEGER NOT NULL DEFAULT 0,
    acked_by    TEXT    NOT NULL DEFAULT '',
    resolved_at INTEGER NOT NULL DEFAULT 0,
    resolved_by TEXT    NOT NULL DEFAULT ''
);
-- One open incident per check.
CREATE UNIQUE INDEX incidents_open_check ON incidents (check_id) WHERE status <> 'resolved' AND check_id IS NOT NULL;
CREATE INDEX incidents_opened ON incidents (opened_at);

-- Append-only: rows are inserted, never updated or deleted.
CREATE TABLE timeline (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    data        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX timeline_incident ON timeline (incident_id, id);

-- The durable notification outbox: a row exists before any send.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    incident_id     INTEGER NOT NULL DEFAULT 0,
    payload         BLOB    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_by      TEXT    NOT NULL DEFAULT '',
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

-- Automated decisions that belong to no incident (config swaps, watchdog).
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    message TEXT    NOT NULL,
    data    TEXT    NOT NULL DEFAULT ''
);
