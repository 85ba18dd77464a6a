-- A department's usual GL account: a requisition for the department starts its lines on it.

-- +goose Up
ALTER TABLE departments ADD COLUMN default_gl_account_id bigint REFERENCES gl_accounts (id);

-- +goose Down
ALTER TABLE departments DROP COLUMN default_gl_account_id;
