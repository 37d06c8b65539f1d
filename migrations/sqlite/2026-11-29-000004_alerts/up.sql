-- Disappearance alerts. `data` holds the alert as JSON; the columns beside it are what listings
-- filter on and what the deadline sweep looks for, kept in step in the same transaction.
CREATE TABLE alerts (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    minor_id    TEXT NOT NULL REFERENCES minors (id),
    status      TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    risk        TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
    next_due_at TIMESTAMP,
    version     BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX alerts_minor ON alerts (minor_id);
CREATE INDEX alerts_due ON alerts (next_due_at);
-- At most one open alert per child.
CREATE UNIQUE INDEX alerts_one_open ON alerts (minor_id) WHERE status = 'open';

-- The agencies that reported or were notified of an alert, for `GET /v1/alerts?agency=`.
CREATE TABLE alert_agencies (
    alert_seq BIGINT NOT NULL REFERENCES alerts (seq),
    agency    TEXT NOT NULL,
    PRIMARY KEY (agency, alert_seq)
);

-- The transactional outbox: every alert event, written with the change that raised it, in order.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE,
    type       TEXT NOT NULL,
    alert_id   TEXT NOT NULL,
    minor_id   TEXT NOT NULL,
    time       TIMESTAMP NOT NULL,
    alert      TEXT NOT NULL
);
CREATE INDEX outbox_minor ON outbox (minor_id, seq);
