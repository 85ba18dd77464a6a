-- A bank file, once downloaded, may be at the bank: the first one made for a payment run or a
-- reimbursement batch is recorded with its message id, and every later download of the same
-- run or batch carries the same id, so that the bank refuses a second file as a duplicate.
-- Taking a report out of a batch, or cancelling a run, whose file was made asks the person to
-- say the bank will not pay from it; the batch's next file then gets a new id.

-- +goose Up
ALTER TABLE reimbursement_batches
    ADD COLUMN file_message_id text,
    ADD COLUMN file_made_at timestamptz,
    ADD COLUMN file_made_by_id bigint REFERENCES users (id);
ALTER TABLE payment_runs
    ADD COLUMN file_message_id text,
    ADD COLUMN file_made_at timestamptz,
    ADD COLUMN file_made_by_id bigint REFERENCES users (id);

-- +goose Down
ALTER TABLE payment_runs DROP COLUMN file_message_id, DROP COLUMN file_made_at, DROP COLUMN file_made_by_id;
ALTER TABLE reimbursement_batches DROP COLUMN file_message_id, DROP COLUMN file_made_at, DROP COLUMN file_made_by_id;
