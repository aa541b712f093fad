-- Runs started and not yet finished, each timed on its own finish: a JSON
-- array of {"rid": run id, "at": start (ms)}, oldest first, at most 10.
-- A pending start carries over as the one open run.
ALTER TABLE checks ADD COLUMN open_runs TEXT NOT NULL DEFAULT '[]';
UPDATE checks SET open_runs = json_build_array(json_build_object('rid', last_start_rid, 'at', last_start_at))::text WHERE last_start_at != 0;
-- A check's keyword filter, as JSON ({"failure": [...], "success": [...],
-- "start": [...], "default_fail": bool}); '' for none.
ALTER TABLE checks ADD COLUMN keyword_filter TEXT NOT NULL DEFAULT '';
