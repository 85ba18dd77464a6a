-- The approval engine, shared by every kind of document (requisitions now; expenses,
-- travel and bills later): rules with conditions leading to ordered steps, the steps each
-- submitted document is routed through, and delegations while someone is away.

-- +goose Up
CREATE TABLE approval_rules (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_type         text NOT NULL CHECK (doc_type IN ('requisition', 'expense', 'travel', 'bill')),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Rules are considered in this order.
    priority         int NOT NULL DEFAULT 100,
    -- Conditions; NULL matches anything.
    department_id    bigint REFERENCES departments (id),
    gl_account_id    bigint REFERENCES gl_accounts (id),
    -- Amount conditions compare the document's total in this currency: from min (inclusive)
    -- up to max (exclusive).
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    min_amount_minor bigint CHECK (min_amount_minor >= 0),
    max_amount_minor bigint CHECK (max_amount_minor >= 0),
    -- What the budget check does at the last approval: nothing, warn, or block.
    budget_check     text NOT NULL DEFAULT 'warn' CHECK (budget_check IN ('none', 'warn', 'block')),
    active           boolean NOT NULL DEFAULT true,
    archived_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (max_amount_minor IS NULL OR min_amount_minor IS NULL OR max_amount_minor > min_amount_minor)
);

CREATE TABLE approval_rule_steps (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id  bigint NOT NULL REFERENCES approval_rules (id) ON DELETE CASCADE,
    position int NOT NULL CHECK (position >= 1),
    -- 'user': a named person; 'role': anyone holding the role; 'manager': the requester's
    -- manager; 'department_head': the head of the document's department.
    kind     text NOT NULL CHECK (kind IN ('user', 'role', 'manager', 'department_head')),
    user_id  bigint REFERENCES users (id),
    role     text REFERENCES roles (name) ON UPDATE CASCADE,
    UNIQUE (rule_id, position),
    CHECK (kind <> 'user' OR user_id IS NOT NULL),
    CHECK (kind <> 'role' OR role IS NOT NULL)
);

-- The route of one submitted document: one row per step and submission round. Exactly one
-- step of a document is 'pending' while it is in approval; later ones are 'waiting'.
CREATE TABLE approval_steps (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_type     text NOT NULL,
    doc_id       bigint NOT NULL,
    round        int NOT NULL CHECK (round >= 1),
    position     int NOT NULL CHECK (position >= 1),
    rule_id      bigint REFERENCES approval_rules (id) ON DELETE SET NULL,
    kind         text NOT NULL CHECK (kind IN ('user', 'role', 'manager', 'department_head')),
    -- Resolved when the route is built: the person who must act (user, manager, head);
    -- NULL for role steps, which anyone holding the role may take.
    approver_id  bigint REFERENCES users (id),
    role         text,
    status       text NOT NULL CHECK (status IN ('waiting', 'pending', 'approved', 'rejected', 'skipped', 'cancelled')),
    acted_by     bigint REFERENCES users (id),
    -- Set when acted_by acted as a delegate of this person.
    on_behalf_of bigint REFERENCES users (id),
    comment      text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    acted_at     timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (doc_type, doc_id, round, position)
);

CREATE UNIQUE INDEX approval_steps_one_pending ON approval_steps (doc_type, doc_id) WHERE status = 'pending';
CREATE INDEX approval_steps_queue_idx ON approval_steps (status, approver_id);

-- While user_id is away (starts_on..ends_on inclusive), delegate_id acts for them.
CREATE TABLE approval_delegations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    delegate_id bigint NOT NULL REFERENCES users (id),
    starts_on   date NOT NULL,
    ends_on     date NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on),
    CHECK (delegate_id <> user_id)
);

CREATE INDEX approval_delegations_delegate_idx ON approval_delegations (delegate_id, ends_on);

-- +goose Down
DROP TABLE approval_delegations;
DROP TABLE approval_steps;
DROP TABLE approval_rule_steps;
DROP TABLE approval_rules;
