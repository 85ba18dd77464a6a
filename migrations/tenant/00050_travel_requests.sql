-- Travel requests: a trip asked for before it is taken, approved through the shared approval
-- engine like a requisition. A request belongs to its traveller; it may be filed by someone
-- else for them (an assistant holding 'travel.others' 'create'), who then sees and edits it
-- too. Its estimate is kept by category, and an approved trip commits its estimated total
-- against the budget of its department and GL account.

-- +goose Up
INSERT INTO document_numbers (kind, prefix) VALUES ('travel', 'TRV') ON CONFLICT DO NOTHING;

-- Statuses: draft (never submitted), submitted (in approval), approved, rejected (returned to
-- the traveller by an approver, editable), withdrawn (pulled back while in approval,
-- editable).
CREATE TABLE travel_requests (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Taken at first submit and kept through resubmits; drafts have none.
    number               text UNIQUE,
    traveller_id         bigint NOT NULL REFERENCES users (id),
    filed_by_id          bigint NOT NULL REFERENCES users (id),
    department_id        bigint REFERENCES departments (id),
    gl_account_id        bigint REFERENCES gl_accounts (id),
    purpose              text NOT NULL DEFAULT '' CHECK (length(purpose) <= 4000),
    currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Where the legs go, in order ("Paris, Berlin"), kept from the legs for lists and search.
    destinations         text NOT NULL DEFAULT '' CHECK (length(destinations) <= 2000),
    -- The first departure and the last day away, kept from the legs.
    first_day            date,
    last_day             date,
    -- The estimate by category, in currency's minor units.
    airfare_minor        bigint NOT NULL DEFAULT 0 CHECK (airfare_minor >= 0),
    lodging_minor        bigint NOT NULL DEFAULT 0 CHECK (lodging_minor >= 0),
    ground_minor         bigint NOT NULL DEFAULT 0 CHECK (ground_minor >= 0),
    meals_minor          bigint NOT NULL DEFAULT 0 CHECK (meals_minor >= 0),
    other_minor          bigint NOT NULL DEFAULT 0 CHECK (other_minor >= 0),
    estimate_total_minor bigint NOT NULL DEFAULT 0 CHECK (estimate_total_minor >= 0),
    -- Cash paid to the traveller before the trip; 0 for none.
    advance_minor        bigint NOT NULL DEFAULT 0 CHECK (advance_minor >= 0),
    status               text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'withdrawn')),
    submitted_at         timestamptz,
    decided_at           timestamptz,
    -- The new-request form that made it: that form posted again finds this request.
    form_key             text CHECK (length(form_key) <= 64),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'draft' OR number IS NOT NULL),
    CHECK (last_day IS NULL OR first_day IS NULL OR last_day >= first_day),
    CHECK (estimate_total_minor = airfare_minor + lodging_minor + ground_minor + meals_minor + other_minor)
);

CREATE INDEX travel_requests_traveller_idx ON travel_requests (traveller_id, status);
CREATE INDEX travel_requests_filed_by_idx ON travel_requests (filed_by_id, status);
CREATE INDEX travel_requests_status_idx ON travel_requests (status, submitted_at);
CREATE UNIQUE INDEX travel_requests_form_key ON travel_requests (filed_by_id, form_key) WHERE form_key IS NOT NULL;

-- One leg of a trip: from, to, the day of departure, the day back for a return leg (none for
-- one way) and how.
CREATE TABLE travel_legs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    travel_request_id bigint NOT NULL REFERENCES travel_requests (id) ON DELETE CASCADE,
    position          int NOT NULL CHECK (position >= 1),
    from_place        text NOT NULL CHECK (length(from_place) BETWEEN 1 AND 200),
    to_place          text NOT NULL CHECK (length(to_place) BETWEEN 1 AND 200),
    depart_on         date NOT NULL,
    return_on         date,
    mode              text NOT NULL CHECK (mode IN ('air', 'rail', 'car', 'other')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (travel_request_id, position),
    CHECK (return_on IS NULL OR return_on >= depart_on)
);

-- Who may do what with trips. 'travel.all' 'read' sees every submitted trip; 'travel.others'
-- 'create' files trips for other people.
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'requester', 'travel', 'read'),
    ('p', 'requester', 'travel', 'create'),
    ('p', 'requester', 'travel', 'update'),
    ('p', 'approver', 'travel', 'read'),
    ('p', 'approver', 'travel', 'create'),
    ('p', 'approver', 'travel', 'update'),
    ('p', 'ap_clerk', 'travel', 'read'),
    ('p', 'ap_clerk', 'travel.all', 'read'),
    ('p', 'auditor', 'travel', 'read'),
    ('p', 'auditor', 'travel.all', 'read'),
    ('p', 'admin', 'travel', 'read'),
    ('p', 'admin', 'travel', 'create'),
    ('p', 'admin', 'travel', 'update'),
    ('p', 'admin', 'travel.all', 'read'),
    ('p', 'admin', 'travel.others', 'create')
ON CONFLICT DO NOTHING;
UPDATE policy_state SET version = version + 1 WHERE id = 1;

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 IN ('travel', 'travel.all', 'travel.others');
UPDATE policy_state SET version = version + 1 WHERE id = 1;
DROP TABLE travel_legs;
DROP TABLE travel_requests;
DELETE FROM document_numbers WHERE kind = 'travel';
