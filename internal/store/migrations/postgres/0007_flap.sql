-- Flap damping and re-paging of incidents resolved by hand while their
-- check is still down. Settings first (the defaults are the built-in ones,
-- which checks made through the API keep), then state.
ALTER TABLE checks ADD COLUMN flap_changes BIGINT NOT NULL DEFAULT 4;        -- up/down changes within flap_window that make a check flapping; 0: off
ALTER TABLE checks ADD COLUMN flap_window BIGINT NOT NULL DEFAULT 600000;    -- milliseconds
ALTER TABLE checks ADD COLUMN flap_stable BIGINT NOT NULL DEFAULT 600000;    -- milliseconds up that end flapping
ALTER TABLE checks ADD COLUMN reopen_after BIGINT NOT NULL DEFAULT 3600000;  -- milliseconds; 0: never
ALTER TABLE checks ADD COLUMN state_changes TEXT NOT NULL DEFAULT '[]';  -- JSON array of the latest change times (ms)
ALTER TABLE checks ADD COLUMN flapping_since BIGINT NOT NULL DEFAULT 0;
ALTER TABLE checks ADD COLUMN flap_count BIGINT NOT NULL DEFAULT 0;          -- changes since flapping began
ALTER TABLE checks ADD COLUMN reopen_at BIGINT NOT NULL DEFAULT 0;           -- when a down check whose incident was resolved by hand pages again
ALTER TABLE checks ADD COLUMN reopen_note TEXT NOT NULL DEFAULT '';      -- who resolved it, for the next incident
ALTER TABLE checks ADD COLUMN wake_at BIGINT NOT NULL DEFAULT 0;             -- earliest of the end of flapping and reopen_at: the engine's other deadline

-- The latest incident of a check: a flapping check re-opens it.
CREATE INDEX incidents_check ON incidents (check_id, id);
