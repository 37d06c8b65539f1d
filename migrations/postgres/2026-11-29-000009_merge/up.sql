-- A duplicate merged into the record that survives keeps its row, data and revisions, with status
-- 'merged' and the survivor's id in merged_into.
ALTER TABLE minors DROP CONSTRAINT minors_status_check;
ALTER TABLE minors ADD CONSTRAINT minors_status_check
    CHECK (status IN ('active', 'missing', 'closed', 'merged'));
ALTER TABLE minors ADD COLUMN merged_into TEXT;
