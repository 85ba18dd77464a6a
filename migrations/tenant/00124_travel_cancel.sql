-- An approved trip that will not take place is cancelled by its traveller or the person who
-- filed it, with the reason: it stops committing its estimate against the budget, its cash
-- advance is no longer netted against the traveller's expense reports (the canceller states
-- that it was never paid out or has been returned), and it says who cancelled it, when and why.

-- +goose Up
ALTER TABLE travel_requests
    DROP CONSTRAINT travel_requests_status_check,
    ADD CONSTRAINT travel_requests_status_check
        CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'withdrawn', 'cancelled')),
    ADD COLUMN cancelled_by_id bigint REFERENCES users (id),
    ADD COLUMN cancelled_at timestamptz,
    ADD COLUMN cancel_reason text NOT NULL DEFAULT '' CHECK (length(cancel_reason) <= 1000),
    ADD CONSTRAINT travel_requests_cancel_says_why
        CHECK (status <> 'cancelled' OR (cancelled_by_id IS NOT NULL AND cancelled_at IS NOT NULL AND cancel_reason <> ''));

-- +goose Down
-- Without the status, a cancelled trip reads as the approved trip it was.
UPDATE travel_requests SET status = 'approved' WHERE status = 'cancelled';
ALTER TABLE travel_requests
    DROP CONSTRAINT travel_requests_cancel_says_why,
    DROP COLUMN cancelled_by_id, DROP COLUMN cancelled_at, DROP COLUMN cancel_reason,
    DROP CONSTRAINT travel_requests_status_check,
    ADD CONSTRAINT travel_requests_status_check
        CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'withdrawn'));
