DROP INDEX minor_name_keys_by_minor;
DROP INDEX minor_name_keys_by_birth;
ALTER TABLE minor_name_keys DROP COLUMN birth_day;
ALTER TABLE minor_name_keys ADD COLUMN birth_year INTEGER;
CREATE INDEX minor_name_keys_by_year ON minor_name_keys (key, birth_year);
UPDATE name_index SET version = 0;
