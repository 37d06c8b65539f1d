DROP TABLE photos;
DROP TABLE minor_revisions;
DROP TABLE minor_nationalities;
DROP TABLE minors;
