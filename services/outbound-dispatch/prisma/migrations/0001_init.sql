CREATE TABLE subscriptions (
  id                  TEXT        PRIMARY KEY,
  instance_id         TEXT        NOT NULL,
  url                 TEXT        NOT NULL,
  description         TEXT,
  event_types         TEXT[]      NOT NULL,
  ordered             BOOLEAN     NOT NULL DEFAULT false,
  active              BOOLEAN     NOT NULL DEFAULT true,
  disabled_reason     TEXT,
  secret              TEXT        NOT NULL,
  previous_secret     TEXT,
  previous_expires_at TIMESTAMPTZ,
  failing_since       TIMESTAMPTZ,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_instance_id_idx ON subscriptions (instance_id);

-- Every event partners may receive, in the order consumed (seq), for replays.
CREATE TABLE events (
  id          TEXT        PRIMARY KEY,
  type        TEXT        NOT NULL,
  instance_id TEXT,
  order_key   TEXT        NOT NULL,
  body        JSONB       NOT NULL,
  occurred_at TIMESTAMPTZ NOT NULL,
  seq         BIGSERIAL   NOT NULL
);
CREATE INDEX events_instance_occurred_idx ON events (instance_id, occurred_at);

-- One delivery per (subscription, event), ever: the partner's webhook-id is the event ID.
-- id order is consumption order, which ordered delivery follows per (subscription, order key).
CREATE TABLE deliveries (
  id              BIGSERIAL   PRIMARY KEY,
  subscription_id TEXT        NOT NULL REFERENCES subscriptions (id),
  event_id        TEXT        NOT NULL,
  event_type      TEXT        NOT NULL,
  order_key       TEXT        NOT NULL,
  status          TEXT        NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED', 'HELD')),
  attempts        INTEGER     NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  leased_until    TIMESTAMPTZ,
  last_status     INTEGER,
  last_error      TEXT,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  delivered_at    TIMESTAMPTZ,
  CONSTRAINT deliveries_subscription_event_key UNIQUE (subscription_id, event_id)
);
CREATE INDEX deliveries_due_idx ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_order_idx ON deliveries (subscription_id, order_key, id);

CREATE TABLE delivery_attempts (
  id          BIGSERIAL   PRIMARY KEY,
  delivery_id BIGINT      NOT NULL REFERENCES deliveries (id),
  at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  status_code INTEGER,
  latency_ms  INTEGER     NOT NULL,
  response    TEXT,
  error       TEXT
);
CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id, id);

CREATE TABLE api_keys (
  key_hash    TEXT        PRIMARY KEY,
  instance_id TEXT        NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_instance_id_idx ON api_keys (instance_id);
