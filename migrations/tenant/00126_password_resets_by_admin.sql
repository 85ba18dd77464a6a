-- A reset link an admin sent is counted apart from those anyone asked for with "Forgot
-- password": the hourly cap on the anonymous ones (against flooding a person's inbox) must
-- not stop an admin from helping a locked-out person.

-- +goose Up
ALTER TABLE password_resets ADD COLUMN sent_by_admin boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE password_resets DROP COLUMN sent_by_admin;
