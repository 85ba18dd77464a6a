-- Backups of tenant databases, as the control plane remembers them: where each was written
-- (the blob store's URL and the folder in it) and what its manifest says, so that
-- `outlay tenant restore --from NAME` finds it and the daily schedule knows what to keep.
-- The files themselves (the pg_dump archive, the attachment list and the manifest) are in
-- the blob store; a backup is listed here only once all three are written.

-- +goose Up
CREATE TABLE tenant_backups (
    -- name is "<slug>/<UTC time>", which is also the backup's folder under backups/.
    name         text PRIMARY KEY,
    slug         text NOT NULL,
    -- The blob store the backup is in, without credentials (an s3:// or gs:// URL takes
    -- them from the environment, a file:// URL is a folder).
    blob_url     text NOT NULL,
    -- scheduled backups are pruned by the retention rules; the others are kept until deleted.
    kind         text NOT NULL CHECK (kind IN ('manual', 'scheduled', 'move')),
    database_name text NOT NULL,
    cluster_id   text NOT NULL,
    dump_bytes   bigint NOT NULL,
    dump_sha256  text NOT NULL,
    rows         bigint NOT NULL,
    attachments  int NOT NULL,
    audit_head   bigint NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX tenant_backups_slug_idx ON tenant_backups (slug, created_at DESC);

-- +goose Down
DROP TABLE tenant_backups;
