DROP TRIGGER audit_cut_forward;
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_minors_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_minors_no_delete BEFORE DELETE ON audit_minors
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
DROP TABLE audit_cut;
