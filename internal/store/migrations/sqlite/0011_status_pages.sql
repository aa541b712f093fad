-- Public status pages. Pages and components live in the config; what
-- happens to them lives here. Components are named by their public id.

-- Public incidents and scheduled maintenance of a page.
CREATE TABLE status_incidents (
    id              INTEGER PRIMARY KEY,
    page            TEXT    NOT NULL,          -- slug
    kind            TEXT    NOT NULL,          -- incident or maintenance
    name            TEXT    NOT NULL,
    status          TEXT    NOT NULL,          -- investigating .. resolved; scheduled .. completed
    impact          TEXT    NOT NULL,          -- none, minor, major, critical
    components      TEXT    NOT NULL,          -- JSON array of component ids
    auto            INTEGER  NOT NULL DEFAULT 0,  -- 1: opened by Tocsin from a component's status
    taken_over      INTEGER  NOT NULL DEFAULT 0,  -- 1: a responder posted, so Tocsin no longer resolves it
    published_at    INTEGER  NOT NULL DEFAULT 0,  -- 0: a draft, not shown
    created_at      INTEGER  NOT NULL,
    created_by      TEXT    NOT NULL,
    updated_at      INTEGER  NOT NULL,
    monitoring_at   INTEGER  NOT NULL DEFAULT 0,
    resolved_at     INTEGER  NOT NULL DEFAULT 0,  -- resolved or completed; 0: open
    scheduled_for   INTEGER  NOT NULL DEFAULT 0,  -- maintenance window
    scheduled_until INTEGER  NOT NULL DEFAULT 0
);
CREATE INDEX status_incidents_page ON status_incidents (page, kind, id);
-- A page has at most one open incident opened by Tocsin: further
-- components join it.
CREATE UNIQUE INDEX status_incidents_open_auto ON status_incidents (page) WHERE auto = 1 AND resolved_at = 0 AND kind = 'incident';

-- The internal incidents a public one tells of: each public update lands
-- on their timelines.
CREATE TABLE status_incident_links (
    status_incident_id INTEGER NOT NULL REFERENCES status_incidents (id),
    incident_id        INTEGER NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (status_incident_id, incident_id)
);
CREATE INDEX status_incident_links_incident ON status_incident_links (incident_id);

-- The messages of a public incident, oldest first by id.
CREATE TABLE status_updates (
    id                  INTEGER PRIMARY KEY,
    status_incident_id  INTEGER  NOT NULL REFERENCES status_incidents (id),
    status              TEXT    NOT NULL,
    body                TEXT    NOT NULL,
    created_at          INTEGER  NOT NULL,
    display_at          INTEGER  NOT NULL,
    author              TEXT    NOT NULL,     -- a person, or "tocsin"
    affected_components TEXT    NOT NULL DEFAULT ''  -- JSON array of component ids; '': not said
);
CREATE INDEX status_updates_incident ON status_updates (status_incident_id, id);

-- A component's status set by hand until a time.
CREATE TABLE status_overrides (
    page       TEXT    NOT NULL,
    component  TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    until      INTEGER  NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    set_by     TEXT    NOT NULL,
    set_at     INTEGER  NOT NULL,
    PRIMARY KEY (page, component)
);

-- The status each component was last shown with, and since when: what
-- the job compares with to see a change.
CREATE TABLE status_components (
    page      TEXT    NOT NULL,
    component TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    since     INTEGER  NOT NULL,
    PRIMARY KEY (page, component)
);

-- Who hears of a page's incidents: an email address (after confirming)
-- or a webhook, for the whole page or one component. Only the SHA-256 of
-- the token in their confirm and unsubscribe links is kept.
CREATE TABLE status_subscribers (
    id              INTEGER PRIMARY KEY,
    page            TEXT    NOT NULL,
    component       TEXT    NOT NULL DEFAULT '',  -- '': the whole page
    kind            TEXT    NOT NULL,             -- email or webhook
    target          TEXT    NOT NULL,             -- the address or URL
    token_sha256    TEXT    NOT NULL,             -- hex
    created_at      INTEGER  NOT NULL,
    confirmed_at    INTEGER  NOT NULL DEFAULT 0,     -- 0: waiting for the email's confirmation
    unsubscribed_at INTEGER  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX status_subscribers_token ON status_subscribers (token_sha256);
CREATE UNIQUE INDEX status_subscribers_live ON status_subscribers (page, component, kind, target) WHERE unsubscribed_at = 0;
