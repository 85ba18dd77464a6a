-- Conditions of bill approval rules besides department, GL account and amount: the vendor,
-- whether the bill is held by its match (NULL: either), and the least unit-price variance
-- over the order, in basis points, a bill must show (NULL: any).

-- +goose Up
ALTER TABLE approval_rules
    ADD COLUMN vendor_id       bigint REFERENCES vendors (id),
    ADD COLUMN held            boolean,
    ADD COLUMN min_variance_bp int CHECK (min_variance_bp >= 0);

-- +goose Down
ALTER TABLE approval_rules
    DROP COLUMN min_variance_bp,
    DROP COLUMN held,
    DROP COLUMN vendor_id;
