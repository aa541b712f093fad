-- The config's checks, which every start and reload reads to keep them in
-- step with the file: without an index that read was a scan of every
-- check, a million of them made through the API included. Pings never
-- change managed_by, so the index costs them nothing.
CREATE INDEX checks_config ON checks (id) WHERE managed_by = 'config';
