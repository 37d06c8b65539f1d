-- Agencies: the administrations that share the registry. Times are UTC.
CREATE TABLE agencies (
    id         TEXT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('reception_centre', 'guardianship_service', 'guardian',
                   'immigration_office', 'police', 'child_focus', 'youth_care', 'registry')),
    name       TEXT NOT NULL,
    country    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The operator's own agency, from which a registry_admin creates the others.
INSERT INTO agencies (id, kind, name, country, created_at)
VALUES ('registry', 'registry', 'UAM Registry operator', 'BE', strftime('%Y-%m-%d %H:%M:%f', 'now'));
