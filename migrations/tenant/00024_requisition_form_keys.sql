-- A new requisition's form carries a key drawn when the form was shown, so that the same form
-- posted twice (a double click on Submit, a resent request) makes one requisition, not two
-- that could both be approved and ordered.

-- +goose Up
ALTER TABLE requisitions ADD COLUMN form_key text CHECK (length(form_key) BETWEEN 1 AND 64);
CREATE UNIQUE INDEX requisitions_form_key ON requisitions (requester_id, form_key) WHERE form_key IS NOT NULL;

-- +goose Down
DROP INDEX requisitions_form_key;
ALTER TABLE requisitions DROP COLUMN form_key;
