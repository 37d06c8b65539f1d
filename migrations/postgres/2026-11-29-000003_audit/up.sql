-- The audit trail: append-only, hash-chained (see docs/architecture.md, "Audit").
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY NOT NULL,
    at         TIMESTAMP NOT NULL,
    subject    TEXT,
    agency     TEXT,
    role       TEXT,
    purpose    TEXT,
    action     TEXT NOT NULL,
    minors     TEXT NOT NULL,
    categories TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    request_id TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

-- Which entries name which child, for a child's access log.
CREATE TABLE audit_minors (
    minor_id  TEXT NOT NULL,
    audit_seq BIGINT NOT NULL REFERENCES audit_log (seq),
    PRIMARY KEY (minor_id, audit_seq)
);

-- The last entry written: appends lock this row, so entries are chained one after the other, also
-- across several service instances.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only for everyone who does not disable triggers (which needs ownership or superuser).
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_minors_append_only BEFORE UPDATE OR DELETE ON audit_minors
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_minors_no_truncate BEFORE TRUNCATE ON audit_minors
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- The service's own role (the one running migrations) may insert and read, never change or remove.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_minors FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_minors FROM CURRENT_USER;
