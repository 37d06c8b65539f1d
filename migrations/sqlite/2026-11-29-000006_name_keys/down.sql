DROP TABLE minor_name_keys;
