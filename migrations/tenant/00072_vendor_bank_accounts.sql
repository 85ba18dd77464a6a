-- Where a vendor is paid: an IBAN (with an optional BIC) for euro transfers, or a US routing
-- and account number for ACH. The account number itself is stored only sealed (AES-256-GCM
-- under a key derived from OUTLAY_SECRET_KEY, bound to the vendor), so neither a database
-- dump nor the audit log (a *_secret column is recorded as changed, never stored) shows it;
-- account_masked is what pages show.

-- +goose Up
CREATE TABLE vendor_bank_accounts (
    vendor_id      bigint PRIMARY KEY REFERENCES vendors (id),
    scheme         text NOT NULL CHECK (scheme IN ('iban', 'us_ach')),
    holder_name    text NOT NULL CHECK (length(holder_name) BETWEEN 1 AND 140),
    bic            text NOT NULL DEFAULT '' CHECK (bic = '' OR length(bic) IN (8, 11)),
    routing_number text NOT NULL DEFAULT '' CHECK (routing_number = '' OR routing_number ~ '^[0-9]{9}$'),
    account_type   text NOT NULL DEFAULT '' CHECK (account_type IN ('', 'checking', 'savings')),
    account_secret bytea NOT NULL,
    account_masked text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (scheme <> 'us_ach' OR (routing_number <> '' AND account_type <> ''))
);

-- 'vendors.bank' read shows a vendor's bank details masked; update changes them.
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'ap_clerk', 'vendors.bank', 'read'),
    ('p', 'ap_clerk', 'vendors.bank', 'update'),
    ('p', 'auditor', 'vendors.bank', 'read'),
    ('p', 'admin', 'vendors.bank', 'read'),
    ('p', 'admin', 'vendors.bank', 'update')
ON CONFLICT DO NOTHING;
UPDATE policy_state SET version = version + 1 WHERE id = 1;

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 = 'vendors.bank';
UPDATE policy_state SET version = version + 1 WHERE id = 1;
DROP TABLE vendor_bank_accounts;
