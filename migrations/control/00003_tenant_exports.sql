-- Archives of a whole tenant ("Export everything"), kept in the control plane so that an
-- export is queued, run and downloaded without writing to the tenant's own database (it works
-- while the tenant cannot be changed). The archive itself is a blob in the attachment store
-- under the tenant's prefix, named by its SHA-256.

-- +goose Up
CREATE TABLE tenant_exports (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug               text NOT NULL REFERENCES tenants (slug) ON DELETE CASCADE,
    -- Who asked: the person's id in the tenant and their email, as the audit log shows them.
    requested_by       bigint NOT NULL,
    requested_by_label text NOT NULL,
    status             text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'ready', 'failed')),
    blob_key           text,
    sha256             text,
    size_bytes         bigint,
    tables             int,
    rows               bigint,
    attachments        int,
    error              text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    CHECK ((status = 'ready') = (blob_key IS NOT NULL AND finished_at IS NOT NULL))
);
CREATE INDEX tenant_exports_slug_idx ON tenant_exports (slug, id DESC);

-- +goose Down
DROP TABLE tenant_exports;
