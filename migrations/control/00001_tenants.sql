-- The tenant registry: one row per customer organisation, naming the database and the
-- Postgres cluster that hold its data.

-- +goose Up
CREATE TABLE clusters (
    id         text PRIMARY KEY,
    -- dsn is the connection string of the cluster's maintenance database; NULL means the
    -- cluster that holds the control plane itself.
    dsn        text,
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO clusters (id) VALUES ('default');

CREATE TABLE tenants (
    slug          text PRIMARY KEY
                  CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{1,38})[a-z0-9]$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status        text NOT NULL DEFAULT 'provisioning'
                  CHECK (status IN ('provisioning', 'active', 'suspended', 'lapsed', 'purged')),
    database_name text NOT NULL UNIQUE,
    cluster_id    text NOT NULL DEFAULT 'default' REFERENCES clusters (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    suspended_at  timestamptz,
    lapsed_at     timestamptz,
    purge_after   timestamptz,
    purged_at     timestamptz
);

-- Every change to the registry notifies the app servers so their cached copy is refreshed.
-- +goose StatementBegin
CREATE FUNCTION notify_tenants_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outlay_tenants', COALESCE(NEW.slug, OLD.slug));
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER tenants_changed
    AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION notify_tenants_changed();

-- +goose Down
DROP TABLE tenants;
DROP FUNCTION notify_tenants_changed();
DROP TABLE clusters;
