-- Escalation of alert incidents through a service's policy: the policy,
-- how many steps have been paged (a step is a level of one round of the
-- policy), and when the next step pages unless someone acknowledges (0:
-- none).
ALTER TABLE incidents ADD COLUMN escalation_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN escalation_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN escalate_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN team TEXT NOT NULL DEFAULT '';
CREATE INDEX incidents_escalate_at ON incidents (escalate_at) WHERE escalate_at <> 0;

-- A check may page people through a policy too (its incident then
-- escalates like an alert incident's).
ALTER TABLE checks ADD COLUMN escalation_policy TEXT NOT NULL DEFAULT '';
