-- Active probes: a check is a heartbeat (schedule) or a probe (probe JSON).
ALTER TABLE checks ADD COLUMN probe TEXT NOT NULL DEFAULT '';          -- the probe's config as JSON; '' for heartbeats
ALTER TABLE checks ADD COLUMN probe_interval BIGINT NOT NULL DEFAULT 0; -- milliseconds
ALTER TABLE checks ADD COLUMN failures_before_down BIGINT NOT NULL DEFAULT 2;
ALTER TABLE checks ADD COLUMN successes_before_up BIGINT NOT NULL DEFAULT 1;
ALTER TABLE checks ADD COLUMN fail_streak BIGINT NOT NULL DEFAULT 0;
ALTER TABLE checks ADD COLUMN ok_streak BIGINT NOT NULL DEFAULT 0;

-- Every probe run, kept for a retention period; rolled up below.
CREATE TABLE probe_results (
    check_id BIGINT NOT NULL REFERENCES checks (id),
    at       BIGINT NOT NULL,
    ok       BIGINT NOT NULL,
    latency  BIGINT NOT NULL, -- microseconds
    class    TEXT    NOT NULL DEFAULT '',
    message  TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (check_id, at)
);

-- Hourly and daily totals: uptime and response times for a year stay small.
CREATE TABLE probe_rollups (
    check_id    BIGINT NOT NULL REFERENCES checks (id),
    granularity TEXT    NOT NULL, -- 'hour' or 'day'
    bucket      BIGINT NOT NULL, -- start of the hour or day, Unix milliseconds UTC
    runs        BIGINT NOT NULL,
    ok_runs     BIGINT NOT NULL,
    latency_sum BIGINT NOT NULL, -- microseconds, over all runs
    latency_max BIGINT NOT NULL,
    PRIMARY KEY (check_id, granularity, bucket)
);

-- Incidents not opened by a check (monitoring degraded) notify these channels.
ALTER TABLE incidents ADD COLUMN notify TEXT NOT NULL DEFAULT '[]';
