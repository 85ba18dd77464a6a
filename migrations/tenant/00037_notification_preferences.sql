-- How each person wants to be told of each kind of event: instantly by mail, in a daily
-- digest, or not by mail at all. A person with no row for a kind is told instantly. The in-app
-- notification is written whatever the choice.

-- +goose Up
CREATE TABLE notification_preferences (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (length(kind) BETWEEN 1 AND 60),
    delivery    text NOT NULL CHECK (delivery IN ('instantly', 'digest', 'off')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, kind)
);

-- +goose Down
DROP TABLE notification_preferences;
