DROP INDEX minor_name_keys_by_year;
DROP TABLE name_index;
ALTER TABLE minor_name_keys DROP COLUMN birth_year;
