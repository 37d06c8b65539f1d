-- A failing subscription waits instead of skipping: since when it fails and on which outbox event
-- (attempts, next_attempt_at and last_error already exist); since when its agency paused it; how
-- long an event may wait before it is dead-lettered, in hours (at most the outbox's retention).
ALTER TABLE subscriptions ADD COLUMN failing_since TIMESTAMP;
ALTER TABLE subscriptions ADD COLUMN failing_seq BIGINT;
ALTER TABLE subscriptions ADD COLUMN paused_since TIMESTAMP;
ALTER TABLE subscriptions ADD COLUMN retry_hours INTEGER NOT NULL DEFAULT 168 CHECK (retry_hours > 0);
UPDATE subscriptions SET failing_since = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE attempts > 0;

-- A dead letter stays until its agency replays or discards it; it is then kept as resolved.
ALTER TABLE dead_letters ADD COLUMN resolved_at TIMESTAMP;
ALTER TABLE dead_letters ADD COLUMN resolution TEXT
    CHECK (resolution IN ('replayed', 'discarded', 'not_followed'));
ALTER TABLE dead_letters ADD COLUMN resolved_by TEXT;
ALTER TABLE dead_letters ADD COLUMN resolution_reason TEXT;
CREATE INDEX dead_letters_unresolved ON dead_letters (outbox_seq) WHERE resolved_at IS NULL;

-- The outbox keeps events for its retention: the last seq pruned, below which a stream cannot
-- resume.
CREATE TABLE outbox_horizon (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through BIGINT NOT NULL
);
INSERT INTO outbox_horizon (id, pruned_through) VALUES (1, 0);
CREATE INDEX outbox_time ON outbox (time);
