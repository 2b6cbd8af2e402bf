-- The claim reads each subscription's due deliveries on their own (src/delivery/claim.ts), so a
-- subscription at its concurrency bound is skipped instead of read past: with one index in due
-- order over all subscriptions, every claim read through the backlog of the throttled ones
-- (5 ms a claim in the bench, more than half of Postgres' time there).
DROP INDEX deliveries_claim_idx;
CREATE INDEX deliveries_claim_idx ON deliveries (subscription_id, next_attempt_at, id) WHERE status = 'PENDING';

-- Whether an order key has a head is answered by deliveries_order_idx (a key has a handful of
-- deliveries); this one only cost every insert and update of a PENDING delivery an index entry,
-- and without statistics (a new table) the planner took it for the claim and sorted a whole
-- subscription's backlog.
DROP INDEX deliveries_head_idx;

-- Room on each page for a claim's lease: an update that changes no indexed column stays on its
-- page (a HOT update) and writes no index entry, if the page has space for the new version. In
-- the bench about 87 % of leases were then HOT, and Postgres' CPU per delivery fell by a fifth.
ALTER TABLE deliveries SET (fillfactor = 70);
