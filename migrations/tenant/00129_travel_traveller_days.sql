-- Submitting a trip names the traveller's other trips on some of the same days (a warning,
-- never a refusal), and the trip's page notes them for its approver. This index finds them by
-- traveller from the first day on, so the traveller's past trips are never read:
-- travel_requests_traveller_idx (traveller_id, status) would read every trip of theirs in
-- each status asked for.

-- +goose Up
CREATE INDEX travel_requests_traveller_days_idx ON travel_requests (traveller_id, last_day, first_day);

-- +goose Down
DROP INDEX travel_requests_traveller_days_idx;
