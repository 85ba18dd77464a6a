-- People, their roles, and how they sign in.

-- +goose Up
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status        text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('invited', 'active', 'deactivated')),
    -- NULL until the person sets a password (invited users, SSO-only users).
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Emails are unique regardless of case: Ana@Acme.com and ana@acme.com are one person.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE roles (
    name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{1,39}$'),
    label      text NOT NULL,
    builtin    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO roles (name, label, builtin) VALUES
    ('requester', 'Requester', true),
    ('approver', 'Approver', true),
    ('ap_clerk', 'AP clerk', true),
    ('auditor', 'Auditor', true),
    ('admin', 'Admin', true);

CREATE TABLE user_roles (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    text NOT NULL REFERENCES roles (name) ON UPDATE CASCADE ON DELETE CASCADE,
    PRIMARY KEY (user_id, role)
);

-- +goose Down
DROP TABLE user_roles;
DROP TABLE roles;
DROP TABLE users;
