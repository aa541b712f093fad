-- Postmortems: every saved revision of an incident's postmortem, its
-- Markdown, who saved it and when (ms). Revisions count from 1 per
-- incident and are never rewritten; the latest is the postmortem.
CREATE TABLE postmortems (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    revision    INTEGER NOT NULL,
    markdown    TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    saved_at    BIGINT  NOT NULL,
    PRIMARY KEY (incident_id, revision)
);
