DROP TABLE lifecycle_sweeps;
ALTER TABLE minor_revisions DROP COLUMN redactions;
DROP INDEX minors_restricted;
ALTER TABLE minors DROP COLUMN lifecycle;
ALTER TABLE minors DROP COLUMN restricted;
