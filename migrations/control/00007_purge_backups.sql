-- A purge deletes the tenant's backups too (the data goes wherever a copy of it was kept),
-- and its record says how many.

-- +goose Up
ALTER TABLE tenant_purges ADD COLUMN backups int NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE tenant_purges DROP COLUMN backups;
