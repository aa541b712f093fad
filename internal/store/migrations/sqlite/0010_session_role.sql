-- The role a single sign-on login gave the session (from the provider's
-- groups); empty: the user's role from config, read at each request.
ALTER TABLE sessions ADD COLUMN role TEXT NOT NULL DEFAULT '';
