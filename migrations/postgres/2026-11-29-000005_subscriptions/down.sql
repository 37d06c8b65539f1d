DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
DROP TABLE dead_letters;
DROP TABLE subscriptions;
