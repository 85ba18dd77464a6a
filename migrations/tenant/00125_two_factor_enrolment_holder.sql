-- An authenticator's secret, until it is confirmed, belongs to the session (or half-finished
-- sign-in) that was shown it: another one, even the same person's after a password reset,
-- is shown a new secret, so a secret read earlier in a session that ended cannot become the
-- person's second factor. The digest of that session's id (or of the sign-in's token).

-- +goose Up
ALTER TABLE user_two_factor ADD COLUMN enrolment_holder_hash bytea;

-- +goose Down
ALTER TABLE user_two_factor DROP COLUMN enrolment_holder_hash;
