-- Incident fields set by people: the services affected beyond the
-- incident's own, the roles held (JSON [{"role", "user"}]), the links
-- (JSON [{"kind", "title", "url"}]), and, for a duplicate merged into
-- another incident, that incident's id. A merge moves the duplicate's
-- timeline rows, alerts and outbox rows to the target incident: the one
-- change of a timeline row besides its insertion.
ALTER TABLE incidents ADD COLUMN services TEXT NOT NULL DEFAULT '[]';
ALTER TABLE incidents ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';
ALTER TABLE incidents ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
ALTER TABLE incidents ADD COLUMN merged_into BIGINT REFERENCES incidents (id);

-- Key moments of an incident (detection, cause_identified, mitigation,
-- resolution): each held by at most one timeline entry of the incident,
-- each entry holding at most one. Kept beside the append-only timeline so
-- that marking an entry does not rewrite it.
CREATE TABLE timeline_key_moments (
    timeline_id BIGINT  NOT NULL PRIMARY KEY REFERENCES timeline (id),
    incident_id BIGINT  NOT NULL REFERENCES incidents (id),
    kind        TEXT    NOT NULL
);
CREATE UNIQUE INDEX timeline_key_moments_kind ON timeline_key_moments (incident_id, kind);
