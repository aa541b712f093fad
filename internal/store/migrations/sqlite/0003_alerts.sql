-- Alerts pushed by other tools (Alertmanager, PagerDuty Events API, the
-- generic form). One row per alert identity: the integration it came in by
-- and its key (Alertmanager group key and fingerprint, or dedup_key).
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    integration   TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    service       TEXT    NOT NULL,
    status        TEXT    NOT NULL, -- firing, acknowledged, resolved
    summary       TEXT    NOT NULL DEFAULT '',
    source        TEXT    NOT NULL DEFAULT '',
    severity      TEXT    NOT NULL DEFAULT '',
    labels        TEXT    NOT NULL DEFAULT '{}',
    annotations   TEXT    NOT NULL DEFAULT '{}',
    starts_at     INTEGER NOT NULL DEFAULT 0,
    ends_at       INTEGER NOT NULL DEFAULT 0,
    generator_url TEXT    NOT NULL DEFAULT '',
    links         TEXT    NOT NULL DEFAULT '[]',
    images        TEXT    NOT NULL DEFAULT '[]',
    details       TEXT    NOT NULL DEFAULT '',
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    deliveries    INTEGER NOT NULL DEFAULT 1,
    group_key     TEXT    NOT NULL DEFAULT '', -- the group it fired in; '' while suppressed
    incident_id   INTEGER REFERENCES incidents (id),
    suppressed    TEXT    NOT NULL DEFAULT '', -- '', 'silence' or 'inhibit'
    suppressor_id INTEGER NOT NULL DEFAULT 0,  -- the silence, or the inhibiting alert
    UNIQUE (integration, key)
);
CREATE INDEX alerts_incident ON alerts (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX alerts_firing ON alerts (id) WHERE status <> 'resolved';
CREATE INDEX alerts_suppressor ON alerts (suppressed, suppressor_id) WHERE suppressed <> '';

-- Silences and maintenance windows: fixed (starts_at..ends_at) or recurring
-- (a window of duration opening at each cron fire time in tz, within the
-- optional starts_at..ends_at bounds).
CREATE TABLE silences (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL DEFAULT '', -- config silences: their name
    managed_by TEXT    NOT NULL,            -- 'config' or 'api'
    matchers   TEXT    NOT NULL,            -- JSON array of matcher strings
    starts_at  INTEGER NOT NULL DEFAULT 0,
    ends_at    INTEGER NOT NULL DEFAULT 0,
    cron       TEXT    NOT NULL DEFAULT '',
    duration   INTEGER NOT NULL DEFAULT 0, -- milliseconds
    tz         TEXT    NOT NULL DEFAULT '',
    comment    TEXT    NOT NULL DEFAULT '',
    created_by TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expired_at INTEGER NOT NULL DEFAULT 0 -- ended early by hand or removed from config
);
CREATE UNIQUE INDEX silences_config_name ON silences (name) WHERE managed_by = 'config' AND expired_at = 0;

-- Incidents opened by alerts belong to a service and a group; one group has
-- at most one open incident. page_at is when the first page goes out
-- (group_wait); 0 once paged or when not waiting.
ALTER TABLE incidents ADD COLUMN service TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN group_key TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN priority TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN page_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN paged INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX incidents_open_group ON incidents (service, group_key) WHERE status <> 'resolved' AND group_key <> '';
CREATE INDEX incidents_page_at ON incidents (page_at) WHERE page_at <> 0;
