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

DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_minors_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > (SELECT through_seq FROM audit_cut WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_minors_no_delete BEFORE DELETE ON audit_minors
WHEN OLD.audit_seq > (SELECT through_seq FROM audit_cut WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_cut_forward BEFORE UPDATE ON audit_cut
WHEN NEW.through_seq < OLD.through_seq
BEGIN SELECT RAISE(ABORT, 'the audit cut only moves forward'); END;
