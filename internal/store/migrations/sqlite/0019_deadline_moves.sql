-- PostgreSQL only (deadline_moves, for the leader of several replicas):
-- SQLite's one server is told of every deadline it sets.
SELECT 1;
