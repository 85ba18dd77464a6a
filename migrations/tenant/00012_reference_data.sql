-- Reference data the spend documents point at: the organisation's currency, department
-- heads, locations, vendors, general-ledger accounts and budgets. Amounts are integer minor
-- units beside an ISO 4217 currency code, never floating point.

-- +goose Up
-- One row: settings of the whole organisation.
CREATE TABLE org_settings (
    id               int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    default_currency text NOT NULL DEFAULT 'USD' CHECK (default_currency ~ '^[A-Z]{3}$'),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

INSERT INTO org_settings (id) VALUES (1);

ALTER TABLE departments
    ADD COLUMN code text NOT NULL DEFAULT '' CHECK (length(code) <= 20),
    ADD COLUMN head_id bigint REFERENCES users (id) ON DELETE SET NULL;

CREATE TABLE locations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address     text NOT NULL DEFAULT '' CHECK (length(address) <= 1000),
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX locations_name_key ON locations (lower(name));

CREATE TABLE vendors (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    contact_name       text NOT NULL DEFAULT '' CHECK (length(contact_name) <= 200),
    email              text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    phone              text NOT NULL DEFAULT '' CHECK (length(phone) <= 50),
    tax_id             text NOT NULL DEFAULT '' CHECK (length(tax_id) <= 50),
    -- Days after the invoice date that payment is due (0: due on receipt).
    payment_terms_days int NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 365),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- 'active' vendors can be ordered from; 'on_hold' ones are kept but take no new orders.
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'on_hold')),
    address            text NOT NULL DEFAULT '' CHECK (length(address) <= 1000),
    archived_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX vendors_name_key ON vendors (lower(name));

CREATE TABLE gl_accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9.-]{0,19}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX gl_accounts_code_key ON gl_accounts (lower(code));

-- A budget: how much a department may spend on one GL account over a period.
CREATE TABLE budgets (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    department_id bigint NOT NULL REFERENCES departments (id),
    gl_account_id bigint NOT NULL REFERENCES gl_accounts (id),
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    amount_minor  bigint NOT NULL CHECK (amount_minor >= 0),
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    archived_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (period_end >= period_start)
);

CREATE UNIQUE INDEX budgets_period_key ON budgets (department_id, gl_account_id, period_start)
    WHERE archived_at IS NULL;

-- +goose Down
DROP TABLE budgets;
DROP TABLE gl_accounts;
DROP TABLE vendors;
DROP TABLE locations;
ALTER TABLE departments DROP COLUMN head_id, DROP COLUMN code;
DROP TABLE org_settings;
