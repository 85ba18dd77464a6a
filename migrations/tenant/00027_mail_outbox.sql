-- The mail outbox: every email the product sends is written here in the same transaction as
-- the change that causes it, and delivered by a background job after the commit. A rolled-back
-- change therefore sends nothing, and a committed one is sent even if the process stops before
-- its job was queued (a periodic sweep queues any row still waiting).

-- +goose Up
CREATE TABLE mail_outbox (
    id          bigserial PRIMARY KEY,
    -- kind names what the mail is for: invitation, password_reset, purchase_order, ...
    kind        text NOT NULL CHECK (length(kind) BETWEEN 1 AND 60),
    recipient   text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 320),
    subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 500),
    body        text NOT NULL,
    -- secret marks a mail carrying a sign-in link: its body is erased once it is sent or
    -- given up on, so the link does not outlive its delivery in the database.
    secret      boolean NOT NULL DEFAULT false,
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    failed_at   timestamptz
);

CREATE INDEX mail_outbox_queued ON mail_outbox (created_at) WHERE status = 'queued';

-- +goose Down
DROP TABLE mail_outbox;
