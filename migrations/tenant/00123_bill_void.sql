-- A bill entered in error (an invoice the vendor sent twice, one the vendor withdrew, a bill
-- keyed against the wrong vendor) is voided rather than deleted: it keeps its number and its
-- history, counts nowhere any more (not billed against its order, not in budgets, not to pay),
-- and says who voided it, when and why.

-- +goose Up
ALTER TABLE bills
    ADD COLUMN voided_by_id bigint REFERENCES users (id),
    ADD COLUMN voided_at timestamptz,
    ADD COLUMN void_reason text NOT NULL DEFAULT '' CHECK (length(void_reason) <= 1000),
    ADD CONSTRAINT bills_void_says_why CHECK (status <> 'void' OR (voided_by_id IS NOT NULL AND voided_at IS NOT NULL AND void_reason <> ''));

-- +goose Down
ALTER TABLE bills DROP CONSTRAINT bills_void_says_why, DROP COLUMN voided_by_id, DROP COLUMN voided_at, DROP COLUMN void_reason;
