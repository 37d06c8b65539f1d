DROP TRIGGER agencies_notify ON agencies;
DROP FUNCTION agencies_notify();
