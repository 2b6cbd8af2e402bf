-- Support asks "did this order's webhooks arrive?" (GET /admin/events?orderKey=): one index
-- probe per order instead of a scan of the whole log.
CREATE INDEX webhook_events_order_key_id_idx ON webhook_events (order_key, id);
