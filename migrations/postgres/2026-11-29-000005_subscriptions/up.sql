-- Agencies' subscriptions to the alert stream, with their delivery state.
CREATE TABLE subscriptions (
    id              TEXT PRIMARY KEY NOT NULL,
    agency          TEXT NOT NULL REFERENCES agencies (id),
    kind            TEXT NOT NULL CHECK (kind IN ('webhook', 'kafka')),
    url             TEXT,
    secret          TEXT,
    topic           TEXT,
    cursor          BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL
);

-- Events given up on after the last attempt, for a person to look at.
CREATE TABLE dead_letters (
    subscription_id TEXT NOT NULL,
    outbox_seq      BIGINT NOT NULL,
    event_id        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    at              TIMESTAMP NOT NULL,
    PRIMARY KEY (subscription_id, outbox_seq)
);

-- Wakes relays (LISTEN uam_outbox) when an event is written; delivered at commit.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('uam_outbox', NEW.seq::text);
    RETURN NEW;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_notify();
