-- Authentic events that can never be published (not what the catalog expects, identifiers past
-- its limits, text jsonb cannot hold, too large for Kafka) are kept as `quarantined`: answered
-- 200, never published, replayable once a fix makes them publishable. A payload the log cannot
-- store as jsonb is kept only as the body as it arrived, in raw_body (which also lets a replay
-- read the event again by the rules of the day).
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_status_check;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_status_check
  CHECK (status IN ('received', 'published', 'ignored', 'failed', 'quarantined'));
ALTER TABLE webhook_events ADD COLUMN raw_body BYTEA;
