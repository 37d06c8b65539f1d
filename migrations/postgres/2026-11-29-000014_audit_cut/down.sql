DROP TRIGGER audit_cut_forward ON audit_cut;
DROP FUNCTION audit_cut_forward();
DROP TRIGGER audit_log_remove_below_cut ON audit_log;
DROP TRIGGER audit_minors_remove_below_cut ON audit_minors;
DROP TRIGGER audit_log_append_only ON audit_log;
DROP TRIGGER audit_minors_append_only ON audit_minors;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_minors_append_only BEFORE UPDATE OR DELETE ON audit_minors
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
DROP FUNCTION audit_remove_below_cut();
DROP TABLE audit_cut;
