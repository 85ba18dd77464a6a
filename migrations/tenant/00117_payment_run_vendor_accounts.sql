-- The bank account a payment run pays each of its vendors, copied from the vendor's bank
-- details when the run is submitted for approval (or, for a vendor that had none of the run's
-- scheme then, when it is approved). The approver sees it masked, and the run's bank file is
-- written from it alone: a change of the vendor's details after that does not change where
-- the run's money goes. The account number stays sealed as vendor_bank_accounts seals it
-- (bound to the vendor, so the copy opens with the same key and context); bank_updated_at is
-- the version of the vendor's details that was copied.

-- +goose Up
CREATE TABLE payment_run_vendors (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_run_id  bigint NOT NULL REFERENCES payment_runs (id) ON DELETE CASCADE,
    vendor_id       bigint NOT NULL REFERENCES vendors (id),
    scheme          text NOT NULL CHECK (scheme IN ('iban', 'us_ach')),
    holder_name     text NOT NULL CHECK (length(holder_name) BETWEEN 1 AND 140),
    bic             text NOT NULL DEFAULT '' CHECK (bic = '' OR length(bic) IN (8, 11)),
    routing_number  text NOT NULL DEFAULT '' CHECK (routing_number = '' OR routing_number ~ '^[0-9]{9}$'),
    account_type    text NOT NULL DEFAULT '' CHECK (account_type IN ('', 'checking', 'savings')),
    account_secret  bytea NOT NULL,
    account_masked  text NOT NULL,
    bank_updated_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payment_run_id, vendor_id),
    CHECK (scheme <> 'us_ach' OR (routing_number <> '' AND account_type <> ''))
);

CREATE INDEX payment_run_vendors_vendor_idx ON payment_run_vendors (vendor_id);

-- Runs already waiting for approval, approved or paid had no copy: they are given the details
-- on file now, which is what their bank file would have paid until this migration, of the
-- scheme their file pays (an IBAN for euro transfers, a US account for dollar ACH, as
-- models.BankFileKind says). Without it every approved run's bank file would be refused.
INSERT INTO payment_run_vendors (payment_run_id, vendor_id, scheme, holder_name, bic, routing_number, account_type,
    account_secret, account_masked, bank_updated_at)
SELECT r.id, b.vendor_id, b.scheme, b.holder_name, b.bic, b.routing_number, b.account_type,
    b.account_secret, b.account_masked, b.updated_at
FROM payment_runs r
JOIN (SELECT DISTINCT payment_run_id, vendor_id FROM payment_lines) l ON l.payment_run_id = r.id
JOIN vendor_bank_accounts b ON b.vendor_id = l.vendor_id
WHERE r.status IN ('submitted', 'approved', 'paid')
    AND b.scheme = CASE WHEN r.currency = 'EUR' AND r.method IN ('wire', 'ach') THEN 'iban'
        WHEN r.currency = 'USD' AND r.method = 'ach' THEN 'us_ach' END;

-- +goose Down
DROP TABLE payment_run_vendors;
