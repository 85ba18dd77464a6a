-- A move of a tenant to another cluster, recorded from its start until nothing of it is left
-- to undo: where the tenant was (its database, which the move makes read-only) and the new
-- database it makes on the other cluster. The process moving the tenant holds an advisory
-- lock keyed by the row's id in the control database for as long as it runs, so a row whose
-- lock nobody holds is a move that was interrupted (its process killed, its machine gone):
-- the tenant list shows it, another move of the tenant is refused, and
-- `outlay tenant move <slug> --abandon` undoes it.

-- +goose Up
CREATE TABLE tenant_moves (
    id            int GENERATED ALWAYS AS IDENTITY UNIQUE,
    -- One move of a tenant at a time.
    slug          text PRIMARY KEY REFERENCES tenants (slug) ON DELETE CASCADE,
    from_cluster  text NOT NULL REFERENCES clusters (id),
    from_database text NOT NULL,
    to_cluster    text NOT NULL REFERENCES clusters (id),
    to_database   text NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    -- Who started it: account@host of the operator's command.
    started_by    text NOT NULL,
    CHECK (from_cluster <> to_cluster)
);

-- The app servers keep each tenant's move in their copy of the registry (a request whose
-- session the move ended is told the organisation is being moved): a move starting or ending
-- notifies them as a change to the tenant does.
CREATE TRIGGER tenant_moves_changed
    AFTER INSERT OR UPDATE OR DELETE ON tenant_moves
    FOR EACH ROW EXECUTE FUNCTION notify_tenants_changed();

-- +goose Down
DROP TABLE tenant_moves;
