-- An approved expense report that AP finds wrong (a rate typed wrong, a receipt that does not
-- match) is sent back to its owner before it is paid, with the reason: who sent it back, when,
-- and why. The owner corrects it and submits it again, for a new round of approval.

-- +goose Up
ALTER TABLE expense_reports
    ADD COLUMN sent_back_by_id bigint REFERENCES users (id),
    ADD COLUMN sent_back_at timestamptz,
    ADD COLUMN sent_back_reason text;

-- +goose Down
ALTER TABLE expense_reports DROP COLUMN sent_back_by_id, DROP COLUMN sent_back_at, DROP COLUMN sent_back_reason;
