PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE minors_old (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    registry_number  TEXT UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('active', 'missing', 'closed')),
    version          BIGINT NOT NULL CHECK (version >= 1),
    placement_agency TEXT,
    guardian_agency  TEXT,
    registered_at    TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    data             TEXT NOT NULL
);
INSERT INTO minors_old (seq, id, registry_number, status, version, placement_agency, guardian_agency, registered_at, updated_at, data)
    SELECT seq, id, registry_number, status, version, placement_agency, guardian_agency, registered_at, updated_at, data FROM minors;
DROP TABLE minors;
ALTER TABLE minors_old RENAME TO minors;
CREATE INDEX minors_placement ON minors (placement_agency, seq);
CREATE INDEX minors_guardian ON minors (guardian_agency, seq);
CREATE INDEX minors_status ON minors (status, seq);
CREATE INDEX minors_registered ON minors (registered_at);
COMMIT;
PRAGMA foreign_keys = ON;
