-- Purchase requisitions and their lines, and the gap-free per-tenant document numbers
-- (REQ-000123, PO-000045) they and later documents take.

-- +goose Up
-- The last number handed out per kind of document. A number is taken in the same
-- transaction as the document that carries it (UPDATE ... RETURNING locks the row), so a
-- rolled-back submit returns its number and concurrent submits queue: no gaps, no duplicates.
CREATE TABLE document_numbers (
    kind   text PRIMARY KEY,
    prefix text NOT NULL,
    last   bigint NOT NULL DEFAULT 0 CHECK (last >= 0)
);

INSERT INTO document_numbers (kind, prefix) VALUES
    ('requisition', 'REQ'),
    ('purchase_order', 'PO');

-- Statuses: draft (never submitted), pending (in approval), approved, rejected (back with
-- its requester, editable), withdrawn (pulled back by its requester, editable), ordered (a
-- purchase order was made from it), cancelled.
CREATE TABLE requisitions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Taken at first submit and kept through resubmits; drafts have none.
    number         text UNIQUE,
    requester_id   bigint NOT NULL REFERENCES users (id),
    department_id  bigint REFERENCES departments (id),
    vendor_id      bigint REFERENCES vendors (id),
    location_id    bigint REFERENCES locations (id),
    needed_by      date,
    justification  text NOT NULL DEFAULT '' CHECK (length(justification) <= 4000),
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal_minor bigint NOT NULL DEFAULT 0,
    tax_minor      bigint NOT NULL DEFAULT 0,
    total_minor    bigint NOT NULL DEFAULT 0,
    status         text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'pending', 'approved', 'rejected', 'withdrawn', 'ordered', 'cancelled')),
    submitted_at   timestamptz,
    decided_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'draft' OR number IS NOT NULL)
);

CREATE INDEX requisitions_requester_idx ON requisitions (requester_id, status);
CREATE INDEX requisitions_status_idx ON requisitions (status, submitted_at);

CREATE TABLE requisition_lines (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requisition_id   bigint NOT NULL REFERENCES requisitions (id) ON DELETE CASCADE,
    position         int NOT NULL CHECK (position >= 1),
    description      text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    -- Quantities are thousandths of a unit (2.5 boxes = 2500).
    quantity_milli   bigint NOT NULL CHECK (quantity_milli > 0),
    unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
    -- Tax rate in basis points (20% = 2000).
    tax_rate_bp      int NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    gl_account_id    bigint REFERENCES gl_accounts (id),
    -- Computed on the server from quantity, unit price and tax rate.
    amount_minor     bigint NOT NULL,
    tax_minor        bigint NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (requisition_id, position)
);

-- +goose Down
DROP TABLE requisition_lines;
DROP TABLE requisitions;
DROP TABLE document_numbers;
