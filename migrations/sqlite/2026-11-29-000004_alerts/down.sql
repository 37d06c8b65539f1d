DROP TABLE outbox;
DROP TABLE alert_agencies;
DROP TABLE alerts;
