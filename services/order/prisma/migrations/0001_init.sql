-- Orders: one row per order, whichever provider or checkout it came from. The status column is
-- only ever changed through the state machine (src/domain/order-state.ts).
CREATE TABLE orders (
  id                    TEXT        PRIMARY KEY,
  instance_id           TEXT,
  source                TEXT        NOT NULL CHECK (source IN ('checkout', 'stripe', 'wix')),
  status                TEXT        NOT NULL CHECK (status IN ('PENDING', 'PAID', 'APPROVED', 'FULFILLED', 'CANCELLED', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'DISPUTED')),
  provider_checkout_ref TEXT        UNIQUE,
  checkout_session_id   TEXT        UNIQUE,
  wix_order_id          TEXT        UNIQUE,
  wix_order_number      TEXT,
  cart_id               TEXT,
  checkout_id           TEXT,
  external_reference    TEXT,
  currency              TEXT        NOT NULL,
  total_cents           INTEGER     NOT NULL CHECK (total_cents >= 0),
  refunded_cents        INTEGER     NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
  customer_email        TEXT,
  customer_name         TEXT,
  reason                TEXT,
  fulfillment_failure   TEXT,
  version               INTEGER     NOT NULL DEFAULT 0,
  created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_instance_id_id_idx ON orders (instance_id, id);
CREATE INDEX orders_customer_email_idx ON orders (customer_email);
CREATE INDEX orders_status_created_at_idx ON orders (status, created_at);

CREATE TABLE order_lines (
  id                TEXT    PRIMARY KEY,
  order_id          TEXT    NOT NULL REFERENCES orders (id),
  product_id        TEXT    NOT NULL,
  name              TEXT,
  quantity          INTEGER NOT NULL CHECK (quantity > 0),
  unit_amount_cents INTEGER NOT NULL CHECK (unit_amount_cents >= 0),
  kind              TEXT    NOT NULL CHECK (kind IN ('ticket', 'license', 'external')),
  capacity_key      TEXT,
  position          INTEGER NOT NULL
);
CREATE INDEX order_lines_order_id_idx ON order_lines (order_id);

-- Payments, including unmatched ones (order_id NULL): money is never dropped.
CREATE TABLE payments (
  id                   BIGSERIAL   PRIMARY KEY,
  order_id             TEXT        REFERENCES orders (id),
  provider             TEXT        NOT NULL,
  provider_payment_ref TEXT        NOT NULL,
  status               TEXT        NOT NULL,
  amount_cents         INTEGER     NOT NULL,
  currency             TEXT        NOT NULL,
  event_id             TEXT        NOT NULL,
  raw_payload          JSONB       NOT NULL,
  created_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_id_idx ON payments (order_id);
CREATE INDEX payments_status_id_idx ON payments (status, id);

-- Places per event or session. No row: unlimited.
CREATE TABLE capacities (
  key         TEXT        PRIMARY KEY,
  instance_id TEXT,
  capacity    INTEGER     NOT NULL CHECK (capacity >= 0),
  reserved    INTEGER     NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE registrations (
  id           TEXT        PRIMARY KEY,
  order_id     TEXT        NOT NULL REFERENCES orders (id),
  line_id      TEXT        NOT NULL REFERENCES order_lines (id),
  capacity_key TEXT        NOT NULL,
  quantity     INTEGER     NOT NULL CHECK (quantity > 0),
  status       TEXT        NOT NULL CHECK (status IN ('PENDING', 'ACTIVE', 'CANCELLED', 'WAITLISTED')),
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX registrations_order_id_idx ON registrations (order_id);
-- The waitlist: oldest first per capacity.
CREATE INDEX registrations_waitlist_idx ON registrations (capacity_key, status, created_at);

-- Every change the state machine was asked for, applied or refused: an order's history.
CREATE TABLE order_transitions (
  id          BIGSERIAL   PRIMARY KEY,
  order_id    TEXT        NOT NULL REFERENCES orders (id),
  from_status TEXT,
  to_status   TEXT        NOT NULL,
  applied     BOOLEAN     NOT NULL,
  cause       TEXT        NOT NULL,
  event_id    TEXT,
  reason      TEXT,
  at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_transitions_order_id_id_idx ON order_transitions (order_id, id);

-- Orders created outside Orderflow (Wix checkouts), tracked per instance (seed 000).
CREATE TABLE external_order_records (
  id                 BIGSERIAL   PRIMARY KEY,
  instance_id        TEXT        NOT NULL,
  cart_id            TEXT,
  checkout_id        TEXT,
  order_id           TEXT,
  order_number       TEXT,
  external_reference TEXT,
  status             TEXT        NOT NULL,
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT external_order_records_instance_order_key UNIQUE (instance_id, order_id)
);
CREATE INDEX external_order_records_checkout_idx ON external_order_records (instance_id, checkout_id);
CREATE INDEX external_order_records_reference_idx ON external_order_records (instance_id, external_reference);

-- One lock per cart (seed 002). The row is reused: a new checkout takes it over only once the
-- previous one finished or its lock expired, in one conditional upsert.
CREATE TABLE checkout_locks (
  id                  TEXT        PRIMARY KEY,
  instance_id         TEXT        NOT NULL,
  cart_id             TEXT        NOT NULL,
  order_id            TEXT,
  state               TEXT        NOT NULL CHECK (state IN ('LOCKED', 'AWAITING_PAYMENT', 'COMPLETED', 'FAILED', 'EXPIRED')),
  phase               TEXT        NOT NULL,
  phases              JSONB       NOT NULL DEFAULT '[]'::jsonb,
  payment_intent_id   TEXT,
  checkout_session_id TEXT,
  error               TEXT,
  locked_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at          TIMESTAMPTZ NOT NULL,
  completed_at        TIMESTAMPTZ,
  CONSTRAINT checkout_locks_instance_cart_key UNIQUE (instance_id, cart_id)
);
CREATE INDEX checkout_locks_state_expires_at_idx ON checkout_locks (state, expires_at);

CREATE TABLE api_keys (
  key_hash    TEXT        PRIMARY KEY,
  instance_id TEXT        NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_instance_id_idx ON api_keys (instance_id);
