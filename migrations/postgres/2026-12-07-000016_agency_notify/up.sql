-- Tells the service's agency caches (LISTEN uam_agencies) that agencies changed, at commit: a
-- removed agency, or one whose kind changed, is refused from the next request after the
-- notification (infra/src/db/agencies.rs). SQLite has no notifications; the service does not
-- cache agencies there.
CREATE FUNCTION agencies_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('uam_agencies', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER agencies_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agencies
    FOR EACH STATEMENT EXECUTE FUNCTION agencies_notify();
