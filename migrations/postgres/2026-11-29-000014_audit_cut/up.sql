-- Audit entries may be aged out by a retention rule (docs/lifecycle.md): the sweep appends a cut
-- entry naming the last entry removed and its hash, records it here, then removes the entries up
-- to it. The database refuses the removal of any entry beyond the recorded cut, and any change.
CREATE TABLE audit_cut (
    id           INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    through_seq  BIGINT NOT NULL,
    through_hash TEXT NOT NULL
);
INSERT INTO audit_cut (id, through_seq, through_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_remove_below_cut() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    removed BIGINT;
BEGIN
    IF TG_TABLE_NAME = 'audit_log' THEN
        removed := OLD.seq;
    ELSE
        removed := OLD.audit_seq;
    END IF;
    IF removed <= (SELECT through_seq FROM audit_cut WHERE id = 1) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only';
END
$$;
DROP TRIGGER audit_log_append_only ON audit_log;
DROP TRIGGER audit_minors_append_only ON audit_minors;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_minors_append_only BEFORE UPDATE ON audit_minors
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_remove_below_cut BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_remove_below_cut();
CREATE TRIGGER audit_minors_remove_below_cut BEFORE DELETE ON audit_minors
    FOR EACH ROW EXECUTE FUNCTION audit_remove_below_cut();

-- The cut only moves forward.
CREATE FUNCTION audit_cut_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.through_seq < OLD.through_seq THEN
        RAISE EXCEPTION 'the audit cut only moves forward';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_cut_forward BEFORE UPDATE ON audit_cut
    FOR EACH ROW EXECUTE FUNCTION audit_cut_forward();
REVOKE DELETE, TRUNCATE ON audit_cut FROM PUBLIC;

-- DELETE stays revoked from the service's role: the cut grants it to itself inside its own
-- transaction and revokes it before committing (infra/src/db/audit.rs), so that outside a cut
-- no statement of the service can remove an entry, and within one only entries up to the cut.
