-- Expense reports: what people spent on the organisation's behalf and ask to be paid back.
-- A report is a document kind of its own (approval, comments, attachments, History and
-- budgets are the shared ones); its lines are expenses, mileage or per diem. The admin keeps
-- the expense categories (each booked to a GL account, with an optional limit), the mileage
-- rates (with the day each takes effect, so an old report keeps its price), the per diem
-- rates per destination, and the amount above which a line needs a receipt.

-- +goose Up
-- The amount (in the organisation's default currency) above which an expense line needs a
-- receipt; a line of exactly this amount needs none.
ALTER TABLE org_settings
    ADD COLUMN receipt_threshold_minor bigint NOT NULL DEFAULT 2500 CHECK (receipt_threshold_minor >= 0);

INSERT INTO document_numbers (kind, prefix) VALUES ('expense', 'EXP') ON CONFLICT DO NOTHING;

CREATE TABLE expense_categories (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    gl_account_id bigint NOT NULL REFERENCES gl_accounts (id),
    -- An optional limit, per line or per day (the lines of one date in one report), in
    -- currency.
    limit_minor   bigint CHECK (limit_minor > 0),
    limit_per     text CHECK (limit_per IN ('line', 'day')),
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    archived_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((limit_minor IS NULL) = (limit_per IS NULL))
);

CREATE UNIQUE INDEX expense_categories_name_key ON expense_categories (lower(name));

-- The organisation's mileage rate per unit, from a day on: the rate of a trip is the one of
-- its unit with the latest effective_from on or before the trip's date.
CREATE TABLE mileage_rates (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit           text NOT NULL CHECK (unit IN ('km', 'mi')),
    effective_from date NOT NULL,
    -- Thousandths of a minor unit per km or mile (0.585 USD a mile = 58500).
    rate_milli     bigint NOT NULL CHECK (rate_milli > 0),
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    archived_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX mileage_rates_day_key ON mileage_rates (unit, effective_from) WHERE archived_at IS NULL;

-- A daily allowance per destination.
CREATE TABLE per_diem_rates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination text NOT NULL CHECK (length(destination) BETWEEN 1 AND 200),
    daily_minor bigint NOT NULL CHECK (daily_minor > 0),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX per_diem_rates_destination_key ON per_diem_rates (lower(destination));

-- Statuses: draft (never submitted), submitted (in approval), approved, returned (sent back
-- by an approver, editable), scheduled (in a reimbursement batch), paid.
CREATE TABLE expense_reports (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number        text UNIQUE,
    owner_id      bigint NOT NULL REFERENCES users (id),
    department_id bigint REFERENCES departments (id),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    purpose       text NOT NULL DEFAULT '' CHECK (length(purpose) <= 4000),
    period_from   date,
    period_to     date,
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total_minor   bigint NOT NULL DEFAULT 0,
    status        text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'submitted', 'approved', 'returned', 'scheduled', 'paid')),
    submitted_at  timestamptz,
    decided_at    timestamptz,
    paid_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'draft' OR number IS NOT NULL),
    CHECK (period_to IS NULL OR period_from IS NULL OR period_to >= period_from)
);

CREATE INDEX expense_reports_owner_idx ON expense_reports (owner_id, status);
CREATE INDEX expense_reports_status_idx ON expense_reports (status, submitted_at);

CREATE TABLE expense_lines (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id         bigint NOT NULL REFERENCES expense_reports (id) ON DELETE CASCADE,
    position          int NOT NULL CHECK (position >= 1),
    kind              text NOT NULL CHECK (kind IN ('expense', 'mileage', 'per_diem')),
    spent_on          date NOT NULL,
    category_id       bigint NOT NULL REFERENCES expense_categories (id),
    -- Copied from the category when the line is saved, for rules and budgets.
    gl_account_id     bigint REFERENCES gl_accounts (id),
    merchant          text NOT NULL DEFAULT '' CHECK (length(merchant) <= 200),
    note              text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    -- Why a line over its category's limit is still claimed.
    justification     text NOT NULL DEFAULT '' CHECK (length(justification) <= 1000),
    -- The line's amount in its own currency, tax included; tax is the part that is tax.
    amount_minor      bigint NOT NULL CHECK (amount_minor >= 0),
    tax_minor         bigint NOT NULL DEFAULT 0 CHECK (tax_minor >= 0),
    currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Report-currency units per unit of the line's currency, in millionths, as the person
    -- entered it (1 when the currencies are the same).
    rate_micro        bigint NOT NULL DEFAULT 1000000 CHECK (rate_micro > 0),
    -- The amount in the report's currency (see models.ConvertAmount for the rounding).
    report_minor      bigint NOT NULL,
    over_limit        boolean NOT NULL DEFAULT false,
    receipt_id        bigint REFERENCES attachments (id),
    -- Mileage: from, to, distance in thousandths of the unit, and the rate it was priced at.
    from_place        text NOT NULL DEFAULT '' CHECK (length(from_place) <= 200),
    to_place          text NOT NULL DEFAULT '' CHECK (length(to_place) <= 200),
    distance_milli    bigint CHECK (distance_milli > 0),
    unit              text CHECK (unit IN ('km', 'mi')),
    mileage_rate_id   bigint REFERENCES mileage_rates (id),
    -- Per diem: the days and the destination's rate.
    days              int CHECK (days > 0),
    per_diem_rate_id  bigint REFERENCES per_diem_rates (id),
    -- The rate the line was priced at (mileage: thousandths of a minor unit per unit; per
    -- diem: minor units a day), kept so that a later rate change leaves it as it was.
    unit_rate         bigint,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (report_id, position),
    CHECK (kind <> 'mileage' OR (distance_milli IS NOT NULL AND unit IS NOT NULL AND mileage_rate_id IS NOT NULL)),
    CHECK (kind <> 'per_diem' OR (days IS NOT NULL AND per_diem_rate_id IS NOT NULL))
);

-- Duplicates are looked for by person, date, merchant and amount.
CREATE INDEX expense_lines_duplicate_idx ON expense_lines (spent_on, amount_minor);

INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'requester', 'expenses', 'read'),
    ('p', 'requester', 'expenses', 'create'),
    ('p', 'requester', 'expenses', 'update'),
    ('p', 'approver', 'expenses', 'read'),
    ('p', 'approver', 'expenses', 'create'),
    ('p', 'approver', 'expenses', 'update'),
    ('p', 'ap_clerk', 'expenses', 'read'),
    ('p', 'ap_clerk', 'expenses', 'create'),
    ('p', 'ap_clerk', 'expenses', 'update'),
    ('p', 'ap_clerk', 'expenses.all', 'read'),
    ('p', 'auditor', 'expenses', 'read'),
    ('p', 'auditor', 'expenses.all', 'read'),
    ('p', 'auditor', 'admin.expense_policy', 'read'),
    ('p', 'admin', 'expenses', 'read'),
    ('p', 'admin', 'expenses', 'create'),
    ('p', 'admin', 'expenses', 'update'),
    ('p', 'admin', 'expenses.all', 'read'),
    ('p', 'admin', 'admin.expense_policy', 'read'),
    ('p', 'admin', 'admin.expense_policy', 'create'),
    ('p', 'admin', 'admin.expense_policy', 'update')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM casbin_rule WHERE v1 IN ('expenses', 'expenses.all', 'admin.expense_policy');
DROP TABLE expense_lines;
DROP TABLE expense_reports;
DROP TABLE per_diem_rates;
DROP TABLE mileage_rates;
DROP TABLE expense_categories;
DELETE FROM document_numbers WHERE kind = 'expense';
ALTER TABLE org_settings DROP COLUMN receipt_threshold_minor;
