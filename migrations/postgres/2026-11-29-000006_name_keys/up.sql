-- Phonetic name keys of every record (domain::matching skeletons of each name token): the index
-- that search uses to find candidates before scoring them.
CREATE TABLE minor_name_keys (
    key       TEXT NOT NULL,
    minor_seq BIGINT NOT NULL REFERENCES minors (seq),
    PRIMARY KEY (key, minor_seq)
);
