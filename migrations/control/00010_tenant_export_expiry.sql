-- An export's archive holds everything of its tenant, password hashes among it, and its
-- download link works for a day: once the link has expired the archive is deleted from the
-- blob store, and the export is kept as a record with the status 'expired' (no blob_key).

-- +goose Up
ALTER TABLE tenant_exports DROP CONSTRAINT tenant_exports_status_check;
ALTER TABLE tenant_exports ADD CONSTRAINT tenant_exports_status_check
    CHECK (status IN ('queued', 'running', 'ready', 'failed', 'expired'));

-- +goose Down
UPDATE tenant_exports SET status = 'failed', error = 'The archive was deleted once its link had expired.' WHERE status = 'expired';
ALTER TABLE tenant_exports DROP CONSTRAINT tenant_exports_status_check;
ALTER TABLE tenant_exports ADD CONSTRAINT tenant_exports_status_check
    CHECK (status IN ('queued', 'running', 'ready', 'failed'));
