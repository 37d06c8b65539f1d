-- Children's records. `data` holds the categorised record as JSON; the columns beside it are copies
-- of what listings filter on, kept in step by the application in the same transaction.
CREATE TABLE minors (
    seq              BIGSERIAL PRIMARY KEY,
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
CREATE INDEX minors_placement ON minors (placement_agency, seq);
CREATE INDEX minors_guardian ON minors (guardian_agency, seq);
CREATE INDEX minors_status ON minors (status, seq);
CREATE INDEX minors_registered ON minors (registered_at);

CREATE TABLE minor_nationalities (
    minor_seq BIGINT NOT NULL REFERENCES minors (seq),
    country   TEXT NOT NULL,
    PRIMARY KEY (minor_seq, country)
);
CREATE INDEX minor_nationalities_country ON minor_nationalities (country, minor_seq);

-- Every version of every record: what it held, who changed it, when and why.
CREATE TABLE minor_revisions (
    minor_seq BIGINT NOT NULL REFERENCES minors (seq),
    version   BIGINT NOT NULL,
    at        TIMESTAMP NOT NULL,
    subject   TEXT NOT NULL,
    agency    TEXT NOT NULL,
    role      TEXT NOT NULL,
    purpose   TEXT NOT NULL,
    changed   TEXT NOT NULL,
    data      TEXT NOT NULL,
    PRIMARY KEY (minor_seq, version)
);

CREATE TABLE photos (
    id           TEXT PRIMARY KEY NOT NULL,
    minor_seq    BIGINT NOT NULL REFERENCES minors (seq),
    content_type TEXT NOT NULL,
    bytes        BYTEA NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX photos_minor ON photos (minor_seq);
