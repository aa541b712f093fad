-- A check's tags, space-separated (as Healthchecks stores them): words
-- the dashboard and the API filter checks by.
ALTER TABLE checks ADD COLUMN tags TEXT NOT NULL DEFAULT '';
