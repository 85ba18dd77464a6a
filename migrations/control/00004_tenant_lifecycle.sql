-- A tenant's lifecycle: who lapsed it (the purge record names them), and what is left of a
-- purged tenant. A purge drops the tenant's database and deletes its attachments; the row in
-- tenant_purges is what remains, so an operator can say when, why and how much was deleted.

-- +goose Up
ALTER TABLE tenants ADD COLUMN lapsed_by text;

CREATE TABLE tenant_purges (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug          text NOT NULL REFERENCES tenants (slug),
    name          text NOT NULL,
    database_name text NOT NULL,
    lapsed_at     timestamptz,
    lapsed_by     text,
    -- The end of the export window the tenant was given, and when it was purged: before the
    -- window ended only with `outlay tenant purge --force`.
    purge_after   timestamptz,
    purged_at     timestamptz NOT NULL DEFAULT now(),
    purged_by     text NOT NULL,
    forced        boolean NOT NULL DEFAULT false,
    -- Rows per table of the dropped database ({"users": 12, ...}), their total, and the
    -- attachment files deleted.
    table_rows    jsonb NOT NULL DEFAULT '{}',
    rows          bigint NOT NULL DEFAULT 0,
    attachments   int NOT NULL DEFAULT 0
);
CREATE INDEX tenant_purges_slug_idx ON tenant_purges (slug);

-- +goose Down
DROP TABLE tenant_purges;
ALTER TABLE tenants DROP COLUMN lapsed_by;
