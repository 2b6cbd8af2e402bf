import { migration, type Migration } from './migration-files';

/**
 * Tables this lib's own code reads and writes (processOnce, the outbox and its relay), applied
 * by openDatabase before the service's migrations. They ship with the lib rather than as
 * snippets each service copies because the SQL in process-once.ts and outbox*.ts depends on
 * their exact shape: the table and the code that uses it change together, and no service can
 * forget or fork them. Names are prefixed so they never collide with a service's files.
 * Never edit one once released: add the next.
 */
export const libraryMigrations: readonly Migration[] = [
  migration(
    'orderflow-db/0001_processed_events_outbox.sql',
    `
-- Idempotent consumers: one row per (consumer, event) handled, written in the same
-- transaction as the handler's effects, so "effects applied" and "marked done" are atomic.
CREATE TABLE processed_events (
  consumer     text        NOT NULL,
  event_id     text        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Transactional outbox: messages written with the business change, published by the relay.
CREATE TABLE outbox (
  id           bigserial   PRIMARY KEY,
  topic        text        NOT NULL,
  key          text,
  value        bytea       NOT NULL,
  headers      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  attempts     integer     NOT NULL DEFAULT 0,
  last_error   text
);

-- The relay's scan (unpublished in id order) and its per-key ordering check stay small
-- however many published rows accumulate.
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_unpublished_key_idx ON outbox (key, id) WHERE published_at IS NULL;
`,
  ),
  migration(
    'orderflow-db/0002_outbox_set_aside.sql',
    `
-- Rows the relay gave up on (outbox-relay.ts): a message that can never be published as it is
-- (too large, key too long, refused by the broker), or one whose publishing kept failing while
-- the rest of its batches went out. Kept with the reason (last_error) for an operator to requeue
-- or discard; the relay no longer claims them, nor the later rows of their key.
ALTER TABLE outbox ADD COLUMN set_aside_at timestamptz;
-- 'unpublishable' or 'attempts-exhausted'.
ALTER TABLE outbox ADD COLUMN set_aside_reason text;
-- Failed attempts that count toward setting the row aside: those while other rows of its batch
-- were published. (attempts counts every failure, outages included.)
ALTER TABLE outbox ADD COLUMN charged_failures integer NOT NULL DEFAULT 0;

-- The relay's scan and ordering check cover only rows it may still publish.
DROP INDEX outbox_unpublished_idx;
DROP INDEX outbox_unpublished_key_idx;
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL AND set_aside_at IS NULL;
CREATE INDEX outbox_pending_key_idx ON outbox (key, id) WHERE published_at IS NULL AND set_aside_at IS NULL;
-- Which keys are held behind a set-aside row: a handful of rows, looked up per claimed row.
CREATE INDEX outbox_set_aside_key_idx ON outbox (key, id) WHERE set_aside_at IS NOT NULL;
`,
  ),
];
