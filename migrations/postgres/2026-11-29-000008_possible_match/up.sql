-- The record a be.uam.minor.possible_match event points to, and its score (JSON); NULL for
-- every other event.
ALTER TABLE outbox ADD COLUMN possible_match TEXT;
