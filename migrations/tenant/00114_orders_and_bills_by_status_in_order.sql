-- The order and bill lists show newest first (id DESC), by status when a tab is chosen. Their
-- status indexes are in another order (orders by creation, bills by due date, which the
-- payment and aging pages read), so a tab read every order or bill in its status and sorted
-- them before showing the first 25, growing with the table. Indexes in the lists' own order
-- let a tab's page read only the rows it shows, as the requisitions' did since 00108.

-- +goose Up
CREATE INDEX purchase_orders_status_newest_idx ON purchase_orders (status, id DESC);
CREATE INDEX bills_status_newest_idx ON bills (status, id DESC);

-- +goose Down
DROP INDEX bills_status_newest_idx;
DROP INDEX purchase_orders_status_newest_idx;
