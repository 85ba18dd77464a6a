-- The organisation's time zone (an IANA name such as Europe/Berlin): the times History, the
-- audit log and notification digests show are read in it.

-- +goose Up
ALTER TABLE org_settings ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64);

-- +goose Down
ALTER TABLE org_settings DROP COLUMN time_zone;
