-- Action items of incidents' postmortems: what to change, who owns it
-- (a user of the config), the team it counts for, by when (a calendar
-- date, '' for none) and where it is tracked (an http(s) link, or '').
-- status is open, done or wont_do; done_at (ms) is when it left open, 0
-- while it is open. last_overdue_notice_at (ms, 0: never) is when its
-- owner was last told it is overdue, so that they hear it once a day.
CREATE TABLE action_items (
    id                     INTEGER PRIMARY KEY,
    incident_id            INTEGER NOT NULL REFERENCES incidents (id),
    title                  TEXT    NOT NULL,
    owner                  TEXT    NOT NULL,
    team                   TEXT    NOT NULL DEFAULT '',
    due                    TEXT    NOT NULL DEFAULT '',
    status                 TEXT    NOT NULL DEFAULT 'open',
    link                   TEXT    NOT NULL DEFAULT '',
    created_by             TEXT    NOT NULL,
    created_at             BIGINT  NOT NULL,
    updated_at             BIGINT  NOT NULL,
    done_at                BIGINT  NOT NULL DEFAULT 0,
    last_overdue_notice_at BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX action_items_incident ON action_items (incident_id);
CREATE INDEX action_items_open ON action_items (status, due);
