-- Name index, key scheme 2 (domain::matching::keys): pair keys beside single keys, and each
-- record's birth year to rank candidates. The service rebuilds the keys at start-up whenever
-- name_index.version differs from the scheme it runs (version 0: never built).
ALTER TABLE minor_name_keys ADD COLUMN birth_year INTEGER;
CREATE TABLE name_index (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO name_index (id, version) VALUES (1, 0);
CREATE INDEX minor_name_keys_by_year ON minor_name_keys (key, birth_year);
