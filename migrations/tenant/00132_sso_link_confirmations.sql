-- A first single sign-on whose email names a person who can already sign in another way
-- (a password, a second factor, another linked account) links nothing until that person
-- confirms with their own password and code: the sign-in waits here, for ten minutes, under
-- the digest of a token only the browser that signed in holds.

-- +goose Up
CREATE TABLE sso_link_confirmations (
    id_hash    bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider   text NOT NULL,
    subject    text NOT NULL,
    email      text NOT NULL DEFAULT '',
    next       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX sso_link_confirmations_user_id_idx ON sso_link_confirmations (user_id);

-- +goose Down
DROP TABLE sso_link_confirmations;
