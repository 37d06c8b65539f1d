-- Disappearance episodes (docs/episodes.md). `ledger_gap`: the alert's reporting ledger names a
-- party not told yet (for `GET /v1/alerts?ledger=incomplete`), kept in step with `data`.
ALTER TABLE alerts ADD COLUMN ledger_gap BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX alerts_ledger_gap ON alerts (ledger_gap, seq);

-- Unexplained absences found at roll calls. `data` holds the absence as JSON; `next_due_at` is
-- what the sweep looks for. At most one open absence per child.
CREATE TABLE absences (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    minor_id    TEXT NOT NULL REFERENCES minors (id),
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    next_due_at TIMESTAMP,
    version     BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX absences_minor ON absences (minor_id, seq);
CREATE INDEX absences_due ON absences (next_due_at);
CREATE UNIQUE INDEX absences_one_open ON absences (minor_id) WHERE status = 'open';

-- Follow-up tasks after a child is found, each assigned to one agency.
CREATE TABLE tasks (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    minor_id    TEXT NOT NULL,
    alert_id    TEXT NOT NULL,
    agency      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'done')),
    overdue     BOOLEAN NOT NULL DEFAULT FALSE,
    next_due_at TIMESTAMP,
    version     BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX tasks_agency ON tasks (agency, seq);
CREATE INDEX tasks_due ON tasks (next_due_at);
CREATE INDEX tasks_alert ON tasks (alert_id);
