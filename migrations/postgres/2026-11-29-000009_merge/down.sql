ALTER TABLE minors DROP COLUMN merged_into;
ALTER TABLE minors DROP CONSTRAINT minors_status_check;
ALTER TABLE minors ADD CONSTRAINT minors_status_check
    CHECK (status IN ('active', 'missing', 'closed'));
