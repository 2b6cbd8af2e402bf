-- Ordered subscriptions: one order key's deliveries after its head wait as WAITING, and the
-- head's end (delivered, or failed for good) promotes the next. Every PENDING delivery can then
-- be claimed as it is, and the claim reads them in (next_attempt_at, id) order and stops at its
-- limit: before, it checked every pending delivery's ordering rule and sorted them all (~50 ms
-- per claim with 10,000 pending, and claims run one after another). Prisma's schema has no
-- partial indexes, so the claim index lives here only (see the note in schema.prisma).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check CHECK (status IN ('PENDING', 'WAITING', 'DELIVERED', 'FAILED', 'HELD'));

UPDATE deliveries d SET status = 'WAITING'
FROM subscriptions s
WHERE s.id = d.subscription_id AND s.ordered AND d.status IN ('PENDING', 'HELD')
  AND EXISTS (SELECT 1 FROM deliveries e WHERE e.subscription_id = d.subscription_id AND e.order_key = d.order_key
              AND e.id < d.id AND e.status IN ('PENDING', 'HELD'));

CREATE INDEX deliveries_claim_idx ON deliveries (next_attempt_at, id) WHERE status = 'PENDING';
-- Promotion: the first WAITING delivery of each key, and whether the key has a head.
CREATE INDEX deliveries_waiting_idx ON deliveries (subscription_id, order_key, id) WHERE status = 'WAITING';
CREATE INDEX deliveries_head_idx ON deliveries (subscription_id, order_key) WHERE status IN ('PENDING', 'HELD');
