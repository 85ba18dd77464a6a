-- The mails that go out once a day: the daily digest of the events a person chose to read that
-- way, and the reminder to approvers whose steps have waited too long.
--
-- A notification of a kind its recipient reads in a digest is marked digest_pending when it is
-- written; the digest that lists it clears the mark and names itself in digest_id. daily_mails
-- holds one row per person, kind of daily mail and local day (in the organisation's time
-- zone): the row is written in the transaction that queues the mail, so a retried job or a
-- second server finds it and sends nothing more that day.

-- +goose Up
CREATE TABLE daily_mails (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('digest', 'reminder')),
    local_day   date NOT NULL,
    -- The outbox mail; null when nothing was left to tell that day.
    mail_id     bigint REFERENCES mail_outbox(id) ON DELETE SET NULL,
    items       integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, kind, local_day)
);

ALTER TABLE notifications
    ADD COLUMN digest_pending boolean NOT NULL DEFAULT false,
    ADD COLUMN digest_id      bigint REFERENCES daily_mails(id) ON DELETE SET NULL;

-- The digest run finds the people with events waiting, and each person's events, here.
CREATE INDEX notifications_digest_pending ON notifications (recipient_id, created_at) WHERE digest_pending;

-- Remind the approvers of steps that have waited longer than this many days; 0 is off.
ALTER TABLE org_settings ADD COLUMN remind_approvers_after_days integer NOT NULL DEFAULT 0
    CHECK (remind_approvers_after_days BETWEEN 0 AND 365);

-- The reminder run finds the steps that have waited long enough here.
CREATE INDEX approval_steps_pending_since ON approval_steps (updated_at) WHERE status = 'pending';

-- +goose Down
DROP INDEX approval_steps_pending_since;
ALTER TABLE org_settings DROP COLUMN remind_approvers_after_days;
DROP INDEX notifications_digest_pending;
ALTER TABLE notifications DROP COLUMN digest_id, DROP COLUMN digest_pending;
DROP TABLE daily_mails;
