-- One job per order: what to issue (the order snapshot), its attempts and when to try again.
-- Persisted, so a restart during a retry's backoff forgets nothing.
CREATE TABLE fulfillment_jobs (
  order_id        TEXT        PRIMARY KEY,
  instance_id     TEXT,
  status          TEXT        NOT NULL CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED', 'VOIDED')),
  snapshot        JSONB       NOT NULL,
  round           INTEGER     NOT NULL DEFAULT 1,
  attempts        INTEGER     NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_error      TEXT,
  retriable       BOOLEAN     NOT NULL DEFAULT true,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at    TIMESTAMPTZ,
  voided_at       TIMESTAMPTZ
);
CREATE INDEX fulfillment_jobs_due_idx ON fulfillment_jobs (status, next_attempt_at);

-- One ticket per seat of a ticket line: (line_id, seat) unique, so nothing issues one twice.
CREATE TABLE tickets (
  id           TEXT        PRIMARY KEY,
  code         TEXT        NOT NULL UNIQUE,
  order_id     TEXT        NOT NULL,
  instance_id  TEXT,
  line_id      TEXT        NOT NULL,
  seat         INTEGER     NOT NULL CHECK (seat >= 0),
  capacity_key TEXT,
  status       TEXT        NOT NULL CHECK (status IN ('ISSUED', 'VOIDED')),
  issued_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  voided_at    TIMESTAMPTZ,
  CONSTRAINT tickets_line_seat_key UNIQUE (line_id, seat)
);
CREATE INDEX tickets_order_id_idx ON tickets (order_id);

-- License pools: keys encrypted (sellers re-display them), deduplicated by an HMAC of the key.
-- (line_id, unit) unique: one key per license unit of an order line, ever.
CREATE TABLE license_keys (
  id          BIGSERIAL   PRIMARY KEY,
  product_id  TEXT        NOT NULL,
  ciphertext  TEXT        NOT NULL,
  key_hash    TEXT        NOT NULL,
  key_hint    TEXT        NOT NULL,
  status      TEXT        NOT NULL CHECK (status IN ('AVAILABLE', 'ASSIGNED', 'REVOKED')),
  order_id    TEXT,
  instance_id TEXT,
  line_id     TEXT,
  unit        INTEGER,
  added_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  assigned_at TIMESTAMPTZ,
  revoked_at  TIMESTAMPTZ,
  CONSTRAINT license_keys_product_hash_key UNIQUE (product_id, key_hash),
  CONSTRAINT license_keys_line_unit_key UNIQUE (line_id, unit)
);
CREATE INDEX license_keys_pool_idx ON license_keys (product_id, status, id);
CREATE INDEX license_keys_order_id_idx ON license_keys (order_id);

CREATE TABLE api_keys (
  key_hash    TEXT        PRIMARY KEY,
  instance_id TEXT        NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_instance_id_idx ON api_keys (instance_id);
