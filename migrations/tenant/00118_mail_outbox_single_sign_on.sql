-- "Forgot password" for a person who signs in with single sign-on and has no password mails
-- them how they sign in, at most five times an hour per address: the cap counts that address's
-- recent mails of that kind through this index rather than by reading the whole outbox.

-- +goose Up
CREATE INDEX mail_outbox_single_sign_on ON mail_outbox (lower(recipient), created_at) WHERE kind = 'single_sign_on';

-- +goose Down
DROP INDEX mail_outbox_single_sign_on;
