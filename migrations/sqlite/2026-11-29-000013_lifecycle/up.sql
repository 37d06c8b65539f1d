-- The lifecycle of a record (docs/lifecycle.md): `restricted` copies whether the record is
-- restricted (GDPR Art. 18), for listings, search and statistics to leave it out; `lifecycle` holds
-- the restriction, closure, review hold and every lifecycle act (restrictions, erasures under a
-- retention rule, photo deletions, redactions), the tombstone of what was erased.
ALTER TABLE minors ADD COLUMN restricted BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE minors ADD COLUMN lifecycle TEXT NOT NULL DEFAULT '{}';
CREATE INDEX minors_restricted ON minors (restricted, seq);

-- A revision whose values were redacted: which categories, when, by whom and why (JSON); the
-- revision keeps who made it and when, its data no longer holds the redacted values.
ALTER TABLE minor_revisions ADD COLUMN redactions TEXT;

-- The lifecycle sweep runs once a day of the registry's clock, whichever instance comes first.
CREATE TABLE lifecycle_sweeps (
    day      TEXT PRIMARY KEY NOT NULL,
    started  TIMESTAMP NOT NULL
);
