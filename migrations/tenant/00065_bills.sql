-- Vendor bills (accounts payable): an invoice a vendor sent, keyed in by an AP clerk, either
-- against a purchase order (its lines billing the order's lines, matched two- or three-way)
-- or coded straight to GL accounts and departments. A bill is a document kind like a
-- requisition: approval, comments, attachments, History and audit.

-- +goose Up
INSERT INTO document_numbers (kind, prefix) VALUES ('bill', 'BILL') ON CONFLICT DO NOTHING;

-- How a vendor's bills are matched to their orders: 'two_way' (bill against order) or
-- 'three_way' (bill against order and what was received); NULL follows the organisation.
ALTER TABLE vendors ADD COLUMN match_mode text CHECK (match_mode IN ('two_way', 'three_way'));

-- Statuses: draft (being keyed in), submitted (in bill approval), approved, rejected
-- (returned to the clerk, editable), partially_paid and paid (set by payments), void.
-- match_status: 'none' (no order, or not yet matched), 'matched' (every line within
-- tolerance), 'held' (a line outside it), 'released' (held, then released with a reason).
CREATE TABLE bills (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Our own number, taken when the bill is first saved.
    number                text NOT NULL UNIQUE,
    vendor_id             bigint NOT NULL REFERENCES vendors (id),
    purchase_order_id     bigint REFERENCES purchase_orders (id),
    -- The vendor's own number for the invoice, as printed on it.
    vendor_invoice_number text NOT NULL CHECK (length(vendor_invoice_number) BETWEEN 1 AND 100),
    invoice_date          date NOT NULL,
    due_date              date NOT NULL,
    currency              text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal_minor        bigint NOT NULL DEFAULT 0,
    tax_minor             bigint NOT NULL DEFAULT 0,
    total_minor           bigint NOT NULL DEFAULT 0,
    -- Paid so far (payments write it); open is total_minor - paid_minor.
    paid_minor            bigint NOT NULL DEFAULT 0 CHECK (paid_minor >= 0),
    status                text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'partially_paid', 'paid', 'void')),
    match_mode            text CHECK (match_mode IN ('two_way', 'three_way')),
    match_status          text NOT NULL DEFAULT 'none' CHECK (match_status IN ('none', 'matched', 'held', 'released')),
    -- The largest unit-price variance over the ordered price on any line, in basis points
    -- (530 is +5.3%), for bill approval rules; 0 without an order.
    variance_bp           int NOT NULL DEFAULT 0,
    -- The clerk confirmed that a bill of the same vendor and amount dated within a few days
    -- of another is not a duplicate.
    duplicate_confirmed   boolean NOT NULL DEFAULT false,
    -- The invoice file (one of the bill's attachments, a PDF or an image).
    invoice_attachment_id bigint REFERENCES attachments (id),
    memo                  text NOT NULL DEFAULT '' CHECK (length(memo) <= 2000),
    entered_by_id         bigint NOT NULL REFERENCES users (id),
    submitted_at          timestamptz,
    decided_at            timestamptz,
    released_by_id        bigint REFERENCES users (id),
    released_at           timestamptz,
    release_reason        text NOT NULL DEFAULT '' CHECK (length(release_reason) <= 1000),
    form_key              text CHECK (length(form_key) <= 64),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (due_date >= invoice_date),
    CHECK (total_minor = subtotal_minor + tax_minor),
    CHECK (match_status <> 'released' OR (released_by_id IS NOT NULL AND release_reason <> ''))
);

-- The same vendor never bills the same invoice number twice (case and outer spaces aside).
CREATE UNIQUE INDEX bills_vendor_invoice_key ON bills (vendor_id, lower(vendor_invoice_number));
CREATE INDEX bills_status_idx ON bills (status, due_date);
CREATE INDEX bills_order_idx ON bills (purchase_order_id) WHERE purchase_order_id IS NOT NULL;
CREATE INDEX bills_vendor_date_idx ON bills (vendor_id, invoice_date);
CREATE UNIQUE INDEX bills_form_key ON bills (entered_by_id, form_key) WHERE form_key IS NOT NULL;

-- One line of a bill: a line of the order it bills (purchase_order_line_id), or, without an
-- order, coded to a GL account and a department. match_note says why a held line is held.
CREATE TABLE bill_lines (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bill_id                bigint NOT NULL REFERENCES bills (id) ON DELETE CASCADE,
    position               int NOT NULL CHECK (position >= 1),
    purchase_order_line_id bigint REFERENCES purchase_order_lines (id),
    description            text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    quantity_milli         bigint NOT NULL CHECK (quantity_milli > 0),
    unit_price_minor       bigint NOT NULL CHECK (unit_price_minor >= 0),
    tax_rate_bp            int NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    amount_minor           bigint NOT NULL,
    tax_minor              bigint NOT NULL DEFAULT 0,
    gl_account_id          bigint REFERENCES gl_accounts (id),
    department_id          bigint REFERENCES departments (id),
    match_status           text NOT NULL DEFAULT 'none' CHECK (match_status IN ('none', 'matched', 'held')),
    match_note             text NOT NULL DEFAULT '' CHECK (length(match_note) <= 500),
    price_variance_bp      int NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bill_id, position)
);

CREATE INDEX bill_lines_order_line_idx ON bill_lines (purchase_order_line_id) WHERE purchase_order_line_id IS NOT NULL;

-- Who may do what with bills. 'bills' read opens a bill routed to one for approval;
-- 'bills.all' read sees every bill; 'bills' create/update enter and change them;
-- 'bills.release' approve releases a held bill with a reason.
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'requester', 'bills', 'read'),
    ('p', 'approver', 'bills', 'read'),
    ('p', 'ap_clerk', 'bills', 'read'),
    ('p', 'ap_clerk', 'bills', 'create'),
    ('p', 'ap_clerk', 'bills', 'update'),
    ('p', 'ap_clerk', 'bills.all', 'read'),
    ('p', 'auditor', 'bills', 'read'),
    ('p', 'auditor', 'bills.all', 'read'),
    ('p', 'admin', 'bills', 'read'),
    ('p', 'admin', 'bills', 'create'),
    ('p', 'admin', 'bills', 'update'),
    ('p', 'admin', 'bills.all', 'read'),
    ('p', 'admin', 'bills.release', 'approve')
ON CONFLICT DO NOTHING;
UPDATE policy_state SET version = version + 1 WHERE id = 1;

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 IN ('bills', 'bills.all', 'bills.release');
UPDATE policy_state SET version = version + 1 WHERE id = 1;
DROP TABLE bill_lines;
DROP TABLE bills;
ALTER TABLE vendors DROP COLUMN match_mode;
DELETE FROM document_numbers WHERE kind = 'bill';
