-- Without the column every subscription would deliver: one no agency confirmed must not.
DELETE FROM subscriptions WHERE status = 'pending';
ALTER TABLE subscriptions DROP COLUMN proposed_by;
ALTER TABLE subscriptions DROP COLUMN status;
