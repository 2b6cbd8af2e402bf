-- Support's order search (GET /admin/orders?q=) matches these exactly; without indexes each
-- search would read the whole orders table.
CREATE INDEX orders_external_reference_idx ON orders (external_reference);
CREATE INDEX orders_wix_order_number_idx ON orders (wix_order_number);
CREATE INDEX orders_cart_id_idx ON orders (cart_id);
CREATE INDEX orders_checkout_id_idx ON orders (checkout_id);
