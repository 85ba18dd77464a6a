-- The organisation's matching of bills to orders and what its budgets count as spent.
-- Tolerances: a unit price may exceed the ordered one by at most price_tolerance_bp basis
-- points of it (500 = 5%) and, on bills in the organisation's default currency, by at most
-- price_tolerance_minor of that currency per unit (NULL: no absolute limit); a quantity may
-- exceed what may be billed (received, or ordered for two-way) by quantity_tolerance_bp.
-- budget_spent_basis: whether a budget's "spent" is what was received or what was billed.

-- +goose Up
ALTER TABLE org_settings
    ADD COLUMN bill_match_mode            text NOT NULL DEFAULT 'three_way' CHECK (bill_match_mode IN ('two_way', 'three_way')),
    ADD COLUMN bill_price_tolerance_bp    int NOT NULL DEFAULT 0 CHECK (bill_price_tolerance_bp BETWEEN 0 AND 10000),
    ADD COLUMN bill_price_tolerance_minor bigint CHECK (bill_price_tolerance_minor >= 0),
    ADD COLUMN bill_quantity_tolerance_bp int NOT NULL DEFAULT 0 CHECK (bill_quantity_tolerance_bp BETWEEN 0 AND 10000),
    ADD COLUMN budget_spent_basis         text NOT NULL DEFAULT 'received' CHECK (budget_spent_basis IN ('received', 'billed'));

-- +goose Down
ALTER TABLE org_settings
    DROP COLUMN budget_spent_basis,
    DROP COLUMN bill_quantity_tolerance_bp,
    DROP COLUMN bill_price_tolerance_minor,
    DROP COLUMN bill_price_tolerance_bp,
    DROP COLUMN bill_match_mode;
