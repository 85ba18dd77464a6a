-- Who reset a person's second factor: an admin of the organisation (the person is told "Your
-- administrator reset your second factor") or the operator's command line ("Your second
-- factor was reset").

-- +goose Up
ALTER TABLE user_two_factor ADD COLUMN reset_by_admin boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE user_two_factor DROP COLUMN reset_by_admin;
