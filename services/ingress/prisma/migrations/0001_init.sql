-- The webhook event log. (source, event_id) is the exactly-once authority: Redis is only a
-- fast path in front of this constraint.
CREATE TABLE webhook_events (
  id            BIGSERIAL PRIMARY KEY,
  source        TEXT        NOT NULL,
  event_id      TEXT        NOT NULL,
  type          TEXT        NOT NULL,
  order_key     TEXT,
  instance_id   TEXT,
  status        TEXT        NOT NULL CHECK (status IN ('received', 'published', 'ignored', 'failed')),
  payload       JSONB       NOT NULL,
  error         TEXT,
  attempts      INTEGER     NOT NULL DEFAULT 0,
  duplicates    INTEGER     NOT NULL DEFAULT 0,
  trace_id      TEXT        NOT NULL,
  occurred_at   TIMESTAMPTZ NOT NULL,
  received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  published_at  TIMESTAMPTZ,
  last_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT webhook_events_source_event_id_key UNIQUE (source, event_id)
);

CREATE INDEX webhook_events_status_id_idx ON webhook_events (status, id);
CREATE INDEX webhook_events_received_at_idx ON webhook_events (received_at);
