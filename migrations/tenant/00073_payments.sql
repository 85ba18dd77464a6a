-- Payment runs: approved bills due by a date, chosen by an AP clerk (a bill may be paid in
-- part), grouped per vendor, approved through payment approval rules, then marked paid with
-- the date, method and bank reference. A run is a document kind (number PAY-…), in one
-- currency; its lines name the bills and how much of each it pays. Bills record what is
-- paid in bills.paid_minor, written when the run is marked paid.

-- +goose Up
INSERT INTO document_numbers (kind, prefix) VALUES ('payment', 'PAY') ON CONFLICT DO NOTHING;

-- Statuses: draft (being put together), submitted (in payment approval), approved, rejected
-- (returned to the clerk, editable), paid, cancelled.
CREATE TABLE payment_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number        text NOT NULL UNIQUE,
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    method        text NOT NULL CHECK (method IN ('ach', 'wire', 'cheque', 'card')),
    -- Bills due on or before this day were offered.
    due_by        date NOT NULL,
    -- The day the bank is asked to pay (a bank file's execution or effective date).
    pay_on        date NOT NULL,
    total_minor   bigint NOT NULL DEFAULT 0 CHECK (total_minor >= 0),
    status        text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'paid', 'cancelled')),
    memo          text NOT NULL DEFAULT '' CHECK (length(memo) <= 1000),
    created_by_id bigint NOT NULL REFERENCES users (id),
    submitted_at  timestamptz,
    decided_at    timestamptz,
    -- How it was paid, as marked: the day, the method (which may differ from the plan) and
    -- the bank's or cheque's reference.
    paid_on       date,
    paid_method   text CHECK (paid_method IN ('ach', 'wire', 'cheque', 'card')),
    reference     text NOT NULL DEFAULT '' CHECK (length(reference) <= 100),
    paid_by_id    bigint REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'paid' OR (paid_on IS NOT NULL AND paid_method IS NOT NULL AND paid_by_id IS NOT NULL))
);

CREATE INDEX payment_runs_status_idx ON payment_runs (status, created_at);

-- One bill paid by a run, and how much of it.
CREATE TABLE payment_lines (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_run_id bigint NOT NULL REFERENCES payment_runs (id) ON DELETE CASCADE,
    bill_id        bigint NOT NULL REFERENCES bills (id),
    vendor_id      bigint NOT NULL REFERENCES vendors (id),
    amount_minor   bigint NOT NULL CHECK (amount_minor > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payment_run_id, bill_id)
);

CREATE INDEX payment_lines_bill_idx ON payment_lines (bill_id);
CREATE INDEX payment_lines_vendor_idx ON payment_lines (vendor_id);

-- The organisation's own bank account payments leave from: the debtor of a pain.001 file,
-- and the originator of a NACHA file (its bank's routing number and the company
-- identification the bank gave it).
CREATE TABLE payment_settings (
    id                 int PRIMARY KEY CHECK (id = 1),
    company_name       text NOT NULL DEFAULT '' CHECK (length(company_name) <= 140),
    iban               text NOT NULL DEFAULT '' CHECK (length(iban) <= 34),
    bic                text NOT NULL DEFAULT '' CHECK (bic = '' OR length(bic) IN (8, 11)),
    ach_routing_number text NOT NULL DEFAULT '' CHECK (ach_routing_number = '' OR ach_routing_number ~ '^[0-9]{9}$'),
    ach_bank_name      text NOT NULL DEFAULT '' CHECK (length(ach_bank_name) <= 23),
    ach_company_id     text NOT NULL DEFAULT '' CHECK (length(ach_company_id) <= 10),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO payment_settings (id) VALUES (1);

-- Who may do what with payments. 'payments' read opens a run routed to one for approval;
-- 'payments.all' read sees every run; 'payments' create/update put runs together, submit
-- them and mark them paid; 'payments' export downloads their bank files.
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'requester', 'payments', 'read'),
    ('p', 'approver', 'payments', 'read'),
    ('p', 'ap_clerk', 'payments', 'read'),
    ('p', 'ap_clerk', 'payments', 'create'),
    ('p', 'ap_clerk', 'payments', 'update'),
    ('p', 'ap_clerk', 'payments', 'export'),
    ('p', 'ap_clerk', 'payments.all', 'read'),
    ('p', 'auditor', 'payments', 'read'),
    ('p', 'auditor', 'payments.all', 'read'),
    ('p', 'admin', 'payments', 'read'),
    ('p', 'admin', 'payments', 'create'),
    ('p', 'admin', 'payments', 'update'),
    ('p', 'admin', 'payments', 'export'),
    ('p', 'admin', 'payments.all', 'read')
ON CONFLICT DO NOTHING;
UPDATE policy_state SET version = version + 1 WHERE id = 1;

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 IN ('payments', 'payments.all');
UPDATE policy_state SET version = version + 1 WHERE id = 1;
DROP TABLE payment_settings;
DROP TABLE payment_lines;
DROP TABLE payment_runs;
DELETE FROM document_numbers WHERE kind = 'payment';
