-- Overrides of on-call schedules made at run time (through the API or the
-- pages), beside those of the config: User is on call in Schedule, in
-- place of its rotations, from starts_at until ends_at.
CREATE TABLE schedule_overrides (
    id         INTEGER PRIMARY KEY,
    schedule   TEXT    NOT NULL,
    user_name  TEXT    NOT NULL,
    starts_at  INTEGER  NOT NULL,
    ends_at    INTEGER  NOT NULL,
    created_by TEXT    NOT NULL,
    created_at INTEGER  NOT NULL,
    note       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX schedule_overrides_end ON schedule_overrides (schedule, ends_at);
