-- Sign-in failures remember the browser they came from. A browser someone signed in from
-- carries a device cookie (signed with the deployment's secret, naming the person); the right
-- password from it gets through while the account or the address is throttled, and its own
-- failures are counted here so that a stolen cookie buys no more guesses than anyone else.

-- +goose Up
ALTER TABLE login_failures ADD COLUMN device text;
CREATE INDEX login_failures_device_idx ON login_failures (device, at) WHERE device IS NOT NULL;

-- +goose Down
DROP INDEX login_failures_device_idx;
ALTER TABLE login_failures DROP COLUMN device;
