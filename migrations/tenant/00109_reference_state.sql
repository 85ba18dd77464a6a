-- reference_state.version changes with every change of the organisation's settings or of its
-- departments. Each request reads it in the same query as its session, so an app server may
-- keep the settings and the departments in memory (with the tenant's handle) and read them
-- again only once they changed, on any server: most pages show the departments as a filter
-- or a field, and many read the settings for the organisation's time zone or currency.

-- +goose Up
CREATE TABLE reference_state (
    id      int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    version bigint NOT NULL DEFAULT 1
);

INSERT INTO reference_state (id, version) VALUES (1, 1);

-- +goose StatementBegin
CREATE FUNCTION bump_reference_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reference_state SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER departments_reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
CREATE TRIGGER org_settings_reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON org_settings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();

-- +goose Down
-- Dropping the function drops the triggers that call it.
DROP FUNCTION bump_reference_version() CASCADE;
DROP TABLE reference_state;
