-- Remembered browsers are signed cookies, checkable by any server, so none can be deleted: when
-- an organisation stops letting browsers be remembered, the time it did is kept, and a browser
-- remembered before it is not remembered again when the setting is turned back on.

-- +goose Up
ALTER TABLE two_factor_settings ADD COLUMN forgot_remembered_at timestamptz;

-- +goose Down
ALTER TABLE two_factor_settings DROP COLUMN forgot_remembered_at;
