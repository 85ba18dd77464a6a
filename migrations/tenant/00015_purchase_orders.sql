-- Purchase orders made from approved requisitions, and the goods received against them.

-- +goose Up
-- Statuses: open (nothing received), partially_received, received (every line in full),
-- closed (closed by hand before or after full receipt), cancelled.
CREATE TABLE purchase_orders (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number         text NOT NULL UNIQUE,
    requisition_id bigint NOT NULL UNIQUE REFERENCES requisitions (id),
    vendor_id      bigint NOT NULL REFERENCES vendors (id),
    location_id    bigint REFERENCES locations (id),
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal_minor bigint NOT NULL,
    tax_minor      bigint NOT NULL,
    total_minor    bigint NOT NULL,
    status         text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'partially_received', 'received', 'closed', 'cancelled')),
    created_by     bigint NOT NULL REFERENCES users (id),
    emailed_at     timestamptz,
    closed_at      timestamptz,
    closed_by      bigint REFERENCES users (id),
    close_reason   text NOT NULL DEFAULT '' CHECK (length(close_reason) <= 1000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX purchase_orders_status_idx ON purchase_orders (status, created_at);

CREATE TABLE purchase_order_lines (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purchase_order_id   bigint NOT NULL REFERENCES purchase_orders (id) ON DELETE CASCADE,
    requisition_line_id bigint REFERENCES requisition_lines (id),
    position            int NOT NULL CHECK (position >= 1),
    description         text NOT NULL,
    quantity_milli      bigint NOT NULL CHECK (quantity_milli > 0),
    unit_price_minor    bigint NOT NULL CHECK (unit_price_minor >= 0),
    tax_rate_bp         int NOT NULL DEFAULT 0,
    gl_account_id       bigint REFERENCES gl_accounts (id),
    amount_minor        bigint NOT NULL,
    tax_minor           bigint NOT NULL DEFAULT 0,
    -- Over-receipt is refused by the app and, as a last line, by this constraint.
    received_milli      bigint NOT NULL DEFAULT 0 CHECK (received_milli >= 0 AND received_milli <= quantity_milli),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (purchase_order_id, position)
);

CREATE TABLE receipts (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purchase_order_id bigint NOT NULL REFERENCES purchase_orders (id),
    received_by       bigint NOT NULL REFERENCES users (id),
    received_on       date NOT NULL,
    note              text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE receipt_lines (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    receipt_id             bigint NOT NULL REFERENCES receipts (id) ON DELETE CASCADE,
    purchase_order_line_id bigint NOT NULL REFERENCES purchase_order_lines (id),
    quantity_milli         bigint NOT NULL CHECK (quantity_milli > 0)
);

-- +goose Down
DROP TABLE receipt_lines;
DROP TABLE receipts;
DROP TABLE purchase_order_lines;
DROP TABLE purchase_orders;
