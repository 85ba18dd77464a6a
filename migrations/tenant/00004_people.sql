-- Where people sit: departments and reporting lines, used by approval routing later.

-- +goose Up
CREATE TABLE departments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX departments_name_key ON departments (lower(name));

ALTER TABLE users
    ADD COLUMN department_id bigint REFERENCES departments (id),
    ADD COLUMN manager_id bigint REFERENCES users (id),
    ADD CONSTRAINT users_manager_not_self CHECK (manager_id <> id);

CREATE INDEX users_status_idx ON users (status);

-- +goose Down
ALTER TABLE users DROP COLUMN manager_id, DROP COLUMN department_id;
DROP TABLE departments;
