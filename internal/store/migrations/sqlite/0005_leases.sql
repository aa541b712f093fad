-- Leases: the engine's leader lease, whose token fences every engine write,
-- and one row per running process ("member:<owner>"): the outbox claims of a
-- process whose row has lapsed may be taken by another.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    token      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
