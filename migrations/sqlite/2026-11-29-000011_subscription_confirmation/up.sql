-- A subscription belongs to the agency that receives it: one a registry administrator proposed
-- for an agency is 'pending', and delivers nothing, until a member of that agency confirms it.
-- proposed_by: the administrator's subject (NULL when the agency subscribed itself).
-- Every subscription made before this migration was made by an administrator in the agency's
-- name, so each becomes pending until its agency confirms it (docs/operations.md, "Upgrading").
ALTER TABLE subscriptions ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'pending'));
ALTER TABLE subscriptions ADD COLUMN proposed_by TEXT;
UPDATE subscriptions SET status = 'pending';
