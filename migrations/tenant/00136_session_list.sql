-- "Where you're signed in": each person's Security page lists their live sessions and signs
-- any one of them out. A session's id is kept only as a digest, which no page should carry,
-- so each session gets a number the page names it by. How a session was signed in to is kept
-- too: a session begun through single sign-on is exempt from the organisation's two-factor
-- requirement, one begun with a password is sent to set it up when the requirement starts
-- while it is signed in. Sessions made before this column say nothing (NULL).

-- +goose Up
ALTER TABLE sessions ADD COLUMN number bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE sessions ADD COLUMN method text;
CREATE UNIQUE INDEX sessions_number_idx ON sessions (number);

-- +goose Down
DROP INDEX sessions_number_idx;
ALTER TABLE sessions DROP COLUMN method;
ALTER TABLE sessions DROP COLUMN number;
