-- The notification log: one row per (dedupe_key, channel, recipient), ever. dedupe_key is the
-- event ID, or a fact's own key where one fact arrives in several events (the order
-- confirmation: `order-confirmation:<order>`, the daily summary: `daily-summary:<date>`). The row
-- is written in the same transaction as processed_events, so a redelivered or replayed event
-- finds it and adds nothing; the sender only moves it to SENT or FAILED.
CREATE TABLE notifications (
  id              BIGSERIAL   PRIMARY KEY,
  dedupe_key      TEXT        NOT NULL,
  channel         TEXT        NOT NULL CHECK (channel IN ('email', 'discord', 'slack')),
  recipient       TEXT        NOT NULL,
  kind            TEXT        NOT NULL,
  event_id        TEXT,
  event_type      TEXT,
  order_id        TEXT,
  -- What is sent, rendered when the row is written: a retry or a resend sends the same thing.
  message         JSONB       NOT NULL,
  -- Tickets and licenses this mail carries, so a later fulfillment round mails only new ones.
  item_ids        TEXT[]      NOT NULL DEFAULT '{}',
  status          TEXT        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
  -- Sends started (a rate-limited one is given back); persisted with next_attempt_at so a
  -- restart during a backoff forgets nothing.
  attempts        INTEGER     NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_error      TEXT,
  -- Resends by hand: part of an email's Message-ID, so a resend is not collapsed into the first.
  resends         INTEGER     NOT NULL DEFAULT 0,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  sent_at         TIMESTAMPTZ,
  CONSTRAINT notifications_once UNIQUE (dedupe_key, channel, recipient)
);
-- The sender's claim: due rows of one channel, oldest first.
CREATE INDEX notifications_due_idx ON notifications (channel, next_attempt_at, id) WHERE status = 'PENDING';
CREATE INDEX notifications_order_id_idx ON notifications (order_id);
-- The claim's per-order ordering check: is an earlier notification of this order still pending?
CREATE INDEX notifications_pending_order_idx ON notifications (order_id, channel, id) WHERE status = 'PENDING';
CREATE INDEX notifications_status_idx ON notifications (status, id);

-- The latest snapshot of each order seen on orders.events: mails about a fulfillment (which
-- carries no lines or amounts) read the order's items from here.
CREATE TABLE orders (
  order_id   TEXT        PRIMARY KEY,
  snapshot   JSONB       NOT NULL,
  -- The snapshot's own updatedAt: an older snapshot arriving late never replaces a newer one.
  updated_at TIMESTAMPTZ NOT NULL
);

-- Provider event IDs seen on the ingress topics: a second message with one tells a retry
-- (an admin replay, a publish whose acknowledgement was lost) from a first delivery.
CREATE TABLE ingress_events (
  source        TEXT        NOT NULL,
  event_id      TEXT        NOT NULL,
  first_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (source, event_id)
);

-- Webhook activity per UTC day (of the ingress's receivedAt, or the dead letter's failure time),
-- source and type: what the daily summary reports.
CREATE TABLE webhook_activity (
  day      DATE    NOT NULL,
  source   TEXT    NOT NULL,
  type     TEXT    NOT NULL,
  received INTEGER NOT NULL DEFAULT 0,
  retried  INTEGER NOT NULL DEFAULT 0,
  failed   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, source, type)
);

-- Dead-lettered ingress events, for the "more than 5 in an hour" alert.
CREATE TABLE webhook_failures (
  id        BIGSERIAL   PRIMARY KEY,
  source    TEXT        NOT NULL,
  type      TEXT        NOT NULL,
  event_id  TEXT        NOT NULL,
  failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_failures_failed_at_idx ON webhook_failures (failed_at);

-- When a rate-limited alert last fired; its row lock serialises replicas deciding to raise it.
CREATE TABLE alert_state (
  name            TEXT        PRIMARY KEY,
  last_raised_at  TIMESTAMPTZ
);
