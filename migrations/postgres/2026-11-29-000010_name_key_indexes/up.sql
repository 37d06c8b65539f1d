-- Name index, key scheme 3 (domain::matching::keys): each key row holds the record's date of birth
-- (birth_day: days from 0001-01-01, chrono's num_days_from_ce) instead of its year, so that under a
-- common key search reads only the records born nearest to the date sought, walking the index
-- from that date. The service re-keys every record at start-up (name_index.version < 3).
-- And the index each write needs: a record's keys by record, for the delete that replaces them
-- (the primary key leads with the key, so without it each write scanned the whole index).
DROP INDEX minor_name_keys_by_year;
ALTER TABLE minor_name_keys DROP COLUMN birth_year;
ALTER TABLE minor_name_keys ADD COLUMN birth_day INTEGER;
CREATE INDEX minor_name_keys_by_birth ON minor_name_keys (key, birth_day, minor_seq);
CREATE INDEX minor_name_keys_by_minor ON minor_name_keys (minor_seq);
