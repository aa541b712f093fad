-- The deadlines that writes moved earlier, or set where a check had none,
-- for the engine's leader to queue (follow_deadlines): a replica's pings
-- and API calls move deadlines that the leader was not told of. A deadline
-- moved later needs no word, since the leader's earlier entry fires and the
-- engine then reads the check and queues its new deadline: so a ping, which
-- moves its check's deadline later, writes nothing here, and checks needs
-- no index on its deadlines (one would cost every ping its index writes).
CREATE TABLE deadline_moves (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_id BIGINT NOT NULL,
    at       BIGINT NOT NULL   -- the check's next deadline then (ms)
);

-- A check's next deadline: the earlier of alert_after and wake_at that is
-- set, or 0 (as store.DB.Deadlines reads it).
CREATE FUNCTION tocsin_deadline(alert_after BIGINT, wake_at BIGINT) RETURNS BIGINT
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN alert_after = 0 OR (wake_at != 0 AND wake_at < alert_after) THEN wake_at ELSE alert_after END
$$;

CREATE FUNCTION tocsin_deadline_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deadline_moves (check_id, at) VALUES (NEW.id, tocsin_deadline(NEW.alert_after, NEW.wake_at));
    RETURN NULL;
END
$$;

CREATE TRIGGER checks_deadline_set AFTER INSERT ON checks FOR EACH ROW
    WHEN (NEW.deleted_at = 0 AND tocsin_deadline(NEW.alert_after, NEW.wake_at) > 0)
    EXECUTE FUNCTION tocsin_deadline_moved();

CREATE TRIGGER checks_deadline_moved AFTER UPDATE ON checks FOR EACH ROW
    WHEN (NEW.deleted_at = 0 AND tocsin_deadline(NEW.alert_after, NEW.wake_at) > 0
          AND (OLD.deleted_at != 0 OR tocsin_deadline(OLD.alert_after, OLD.wake_at) = 0
               OR tocsin_deadline(NEW.alert_after, NEW.wake_at) < tocsin_deadline(OLD.alert_after, OLD.wake_at)))
    EXECUTE FUNCTION tocsin_deadline_moved();
