-- An expense report may be started from an approved trip: it keeps the trip it claims for, so
-- that its page and its approver can compare what was spent with what the trip estimated.
-- A trip has at most one report that is not yet paid (a later report, for what came in after
-- the first was paid, is allowed).

-- +goose Up
ALTER TABLE expense_reports ADD COLUMN travel_request_id bigint REFERENCES travel_requests (id);

CREATE UNIQUE INDEX expense_reports_open_trip_key ON expense_reports (travel_request_id)
    WHERE travel_request_id IS NOT NULL AND status <> 'paid';
CREATE INDEX expense_reports_travel_request_idx ON expense_reports (travel_request_id)
    WHERE travel_request_id IS NOT NULL;

-- +goose Down
DROP INDEX expense_reports_travel_request_idx;
DROP INDEX expense_reports_open_trip_key;
ALTER TABLE expense_reports DROP COLUMN travel_request_id;
