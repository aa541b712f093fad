-- The notifications of an incident, by event: an acknowledgement or a
-- resolution goes to every channel its incident was paged on.
CREATE INDEX outbox_incident ON outbox (incident_id, event);
