-- "Confirm it's you": when the person behind a session last proved who they are again, with
-- their password or a current code. Changes a stolen session must not be enough for (a
-- sign-in provider, an API token, an admin's reset of someone's second factor) need it within
-- the last few minutes.

-- +goose Up
ALTER TABLE sessions ADD COLUMN reauthenticated_at timestamptz;

-- +goose Down
ALTER TABLE sessions DROP COLUMN reauthenticated_at;
