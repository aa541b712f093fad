-- A notification may carry its own target (an address or URL), sent to
-- over its channel's type: a status page's subscribers are many and
-- change at run time, so they are not channels of the config. The
-- channel then names the lane and the metrics, the target the recipient.
ALTER TABLE outbox ADD COLUMN target TEXT NOT NULL DEFAULT '';
