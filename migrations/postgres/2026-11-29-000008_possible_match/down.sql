ALTER TABLE outbox DROP COLUMN possible_match;
