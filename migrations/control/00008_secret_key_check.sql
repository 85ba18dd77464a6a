-- The deployment's secret key (OUTLAY_SECRET_KEY) keys every tenant's audit chain and seals its
-- SSO secrets. A server or operator command started with another key would write audit rows
-- that never verify again, so the first one to start records a check value of the key (a MAC
-- under it of a fixed text, which does not reveal the key), and every later one compares.

-- +goose Up
CREATE TABLE secret_key_check (
    id         int PRIMARY KEY CHECK (id = 1),
    mac        text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE secret_key_check;
