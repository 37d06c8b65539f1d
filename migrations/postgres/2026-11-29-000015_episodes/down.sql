DROP TABLE tasks;
DROP TABLE absences;
DROP INDEX alerts_ledger_gap;
ALTER TABLE alerts DROP COLUMN ledger_gap;
