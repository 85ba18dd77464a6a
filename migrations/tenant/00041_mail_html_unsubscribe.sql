-- Notification mails go out as plain text with an HTML version of the same text, and carry
-- the address that stops mail of their kind (sent as the List-Unsubscribe header).

-- +goose Up
ALTER TABLE mail_outbox
    ADD COLUMN html        text NOT NULL DEFAULT '',
    ADD COLUMN unsubscribe text NOT NULL DEFAULT '' CHECK (length(unsubscribe) <= 2000);

-- +goose Down
ALTER TABLE mail_outbox DROP COLUMN unsubscribe, DROP COLUMN html;
