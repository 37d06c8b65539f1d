-- A duplicate merged into the record that survives keeps its row, data and revisions, with status
-- 'merged' and the survivor's id in merged_into. SQLite cannot change a CHECK constraint in place:
-- the table is rebuilt as SQLite prescribes (https://sqlite.org/lang_altertable.html, "other kinds
-- of table schema changes"): foreign keys off, which only takes effect outside a transaction (hence
-- metadata.toml), the rebuild in a transaction of its own, then foreign keys on again. With foreign
-- keys on, dropping the old table would count every referencing row as a violation and the commit
-- would fail on any database that holds records.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE minors_new (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    registry_number  TEXT UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('active', 'missing', 'closed', 'merged')),
    version          BIGINT NOT NULL CHECK (version >= 1),
    placement_agency TEXT,
    guardian_agency  TEXT,
    registered_at    TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    data             TEXT NOT NULL,
    merged_into      TEXT
);
INSERT INTO minors_new (seq, id, registry_number, status, version, placement_agency, guardian_agency, registered_at, updated_at, data)
    SELECT seq, id, registry_number, status, version, placement_agency, guardian_agency, registered_at, updated_at, data FROM minors;
DROP TABLE minors;
ALTER TABLE minors_new RENAME TO minors;
CREATE INDEX minors_placement ON minors (placement_agency, seq);
CREATE INDEX minors_guardian ON minors (guardian_agency, seq);
CREATE INDEX minors_status ON minors (status, seq);
CREATE INDEX minors_registered ON minors (registered_at);
COMMIT;
PRAGMA foreign_keys = ON;
