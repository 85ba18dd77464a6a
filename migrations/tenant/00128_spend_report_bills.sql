-- The spend report counts bills without an order by their invoice date (as budgets do):
-- this index serves its period filter, as 00043's serve the other stages' dates. Bills of
-- an order are the order's in the report, so they are left out of it.

-- +goose Up
CREATE INDEX bills_without_order_invoice_idx ON bills (invoice_date) WHERE purchase_order_id IS NULL;

-- +goose Down
DROP INDEX bills_without_order_invoice_idx;
