-- In-app notifications: what a person is told in the app, written in the same transaction as
-- the change that causes it, by the same code that writes the notification mails, so the bell
-- and the mail always agree on who is told.

-- +goose Up
CREATE TABLE notifications (
    id            bigserial PRIMARY KEY,
    recipient_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- kind names the event: notify_step_waiting, notify_decided, ...
    kind          text NOT NULL CHECK (length(kind) BETWEEN 1 AND 60),
    doc_type      text NOT NULL,
    doc_id        bigint NOT NULL,
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    summary       text NOT NULL DEFAULT '',
    link_path     text NOT NULL CHECK (link_path LIKE '/%'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_at       timestamptz
);

CREATE INDEX notifications_recipient ON notifications (recipient_id, read_at, created_at DESC);
-- Resolving a step's "waits for you" notifications when the step is decided.
CREATE INDEX notifications_document ON notifications (doc_type, doc_id) WHERE read_at IS NULL;

-- +goose Down
DROP TABLE notifications;
