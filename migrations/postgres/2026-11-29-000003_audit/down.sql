DROP TABLE audit_minors;
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP FUNCTION audit_append_only();
