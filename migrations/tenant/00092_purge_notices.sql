-- The notices a lapsed organisation's admins get before its data is purged (30, 7 and 1 day
-- ahead), one row per notice and purge date. The row is written in the transaction that
-- writes the notice, so each is sent once however often, and on however many servers, the
-- purge job runs; an organisation lapsed again gets a new purge date and new notices.

-- +goose Up
CREATE TABLE purge_notices (
    purge_after timestamptz NOT NULL,
    days_before int NOT NULL CHECK (days_before > 0),
    sent_at     timestamptz NOT NULL DEFAULT now(),
    recipients  int NOT NULL,
    PRIMARY KEY (purge_after, days_before)
);

-- +goose Down
DROP TABLE purge_notices;
