-- The organisation's IBAN and BIC are kept once, sealed, in org_settings (the account
-- reimbursements are paid from, /admin/settings/bank-account); vendor payments' pain.001
-- files use the same account, so payment_settings keeps only the US ACH originator.

-- +goose Up
ALTER TABLE payment_settings DROP COLUMN iban, DROP COLUMN bic;

-- +goose Down
ALTER TABLE payment_settings
    ADD COLUMN iban text NOT NULL DEFAULT '' CHECK (length(iban) <= 34),
    ADD COLUMN bic text NOT NULL DEFAULT '' CHECK (bic = '' OR length(bic) IN (8, 11));
