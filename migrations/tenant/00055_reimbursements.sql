-- Paying expense reports back. People keep the bank account they are paid into (the IBAN
-- sealed like two-factor secrets, so the audit log records its changes redacted); the
-- organisation keeps the account it pays from. An AP clerk groups approved reports into a
-- reimbursement batch (the reports are then scheduled) and marks the batch paid, with the
-- day, how and a reference (the reports are then paid). A travel request's cash advance is
-- netted against the expense reports that follow the trip: each deduction is a row, and a
-- report keeps their sum. An owner may withdraw a report waiting for approval.

-- +goose Up
CREATE TABLE user_bank_accounts (
    user_id        bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    account_holder text NOT NULL CHECK (length(account_holder) BETWEEN 1 AND 140),
    -- The IBAN in its electronic form, sealed (auth.SecretBox) for this person.
    iban_sealed    bytea NOT NULL,
    bic            text NOT NULL DEFAULT '' CHECK (bic = '' OR bic ~ '^[A-Z0-9]{8}([A-Z0-9]{3})?$'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE org_settings
    ADD COLUMN bank_account_name text NOT NULL DEFAULT '' CHECK (length(bank_account_name) <= 140),
    ADD COLUMN bank_iban_sealed  bytea,
    ADD COLUMN bank_bic          text NOT NULL DEFAULT '' CHECK (bank_bic = '' OR bank_bic ~ '^[A-Z0-9]{8}([A-Z0-9]{3})?$');

INSERT INTO document_numbers (kind, prefix) VALUES ('reimbursement', 'RB') ON CONFLICT DO NOTHING;

-- Statuses: scheduled (its reports wait to be paid; reports may still be taken out), paid.
CREATE TABLE reimbursement_batches (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number        text NOT NULL UNIQUE,
    status        text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'paid')),
    created_by_id bigint NOT NULL REFERENCES users (id),
    paid_on       date,
    method        text CHECK (method IN ('bank_transfer', 'cheque', 'payroll', 'other')),
    reference     text NOT NULL DEFAULT '' CHECK (length(reference) <= 140),
    paid_by_id    bigint REFERENCES users (id),
    paid_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'paid' OR (paid_on IS NOT NULL AND method IS NOT NULL AND paid_by_id IS NOT NULL AND paid_at IS NOT NULL))
);

CREATE INDEX reimbursement_batches_status_idx ON reimbursement_batches (status, id DESC);

ALTER TABLE expense_reports
    ADD COLUMN reimbursement_batch_id bigint REFERENCES reimbursement_batches (id),
    -- The cash advances netted against this report (the sum of its deductions), in its currency.
    ADD COLUMN advance_minor bigint NOT NULL DEFAULT 0 CHECK (advance_minor >= 0),
    DROP CONSTRAINT expense_reports_status_check,
    ADD CONSTRAINT expense_reports_status_check
        CHECK (status IN ('draft', 'submitted', 'approved', 'returned', 'withdrawn', 'scheduled', 'paid'));

CREATE INDEX expense_reports_batch_idx ON expense_reports (reimbursement_batch_id) WHERE reimbursement_batch_id IS NOT NULL;

-- What of a trip's cash advance a report nets, taken when the report is approved.
CREATE TABLE expense_advance_deductions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id         bigint NOT NULL REFERENCES expense_reports (id),
    travel_request_id bigint NOT NULL REFERENCES travel_requests (id),
    amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (report_id, travel_request_id)
);

CREATE INDEX expense_advance_deductions_trip_idx ON expense_advance_deductions (travel_request_id);

INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'ap_clerk', 'expenses.reimburse', 'read'),
    ('p', 'ap_clerk', 'expenses.reimburse', 'create'),
    ('p', 'ap_clerk', 'expenses.reimburse', 'update'),
    ('p', 'ap_clerk', 'expenses.reimburse', 'export'),
    ('p', 'admin', 'expenses.reimburse', 'read'),
    ('p', 'admin', 'expenses.reimburse', 'create'),
    ('p', 'admin', 'expenses.reimburse', 'update'),
    ('p', 'admin', 'expenses.reimburse', 'export')
ON CONFLICT DO NOTHING;
UPDATE policy_state SET version = version + 1 WHERE id = 1;

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 = 'expenses.reimburse';
UPDATE policy_state SET version = version + 1 WHERE id = 1;
DROP TABLE expense_advance_deductions;
UPDATE expense_reports SET status = 'returned' WHERE status = 'withdrawn';
ALTER TABLE expense_reports
    DROP CONSTRAINT expense_reports_status_check,
    ADD CONSTRAINT expense_reports_status_check
        CHECK (status IN ('draft', 'submitted', 'approved', 'returned', 'scheduled', 'paid')),
    DROP COLUMN advance_minor,
    DROP COLUMN reimbursement_batch_id;
DROP TABLE reimbursement_batches;
DELETE FROM document_numbers WHERE kind = 'reimbursement';
ALTER TABLE org_settings DROP COLUMN bank_bic, DROP COLUMN bank_iban_sealed, DROP COLUMN bank_account_name;
DROP TABLE user_bank_accounts;
