-- A new expense report's form carries a key drawn when the form was shown, so that the same
-- form posted twice (a double click on Submit, a resent request) makes one report, not two
-- whose costs could both be paid back.

-- +goose Up
ALTER TABLE expense_reports ADD COLUMN form_key text CHECK (length(form_key) BETWEEN 1 AND 64);
CREATE UNIQUE INDEX expense_reports_form_key ON expense_reports (owner_id, form_key) WHERE form_key IS NOT NULL;

-- +goose Down
DROP INDEX expense_reports_form_key;
ALTER TABLE expense_reports DROP COLUMN form_key;
