-- How many documents of each kind are in each status, kept as the documents change.
--
-- A list's status tabs counted every document of the kind by status on every view: for
-- someone who sees every submitted requisition, 9,650 rows at 10,000 requisitions, about
-- 1 ms of the list's 2.4 ms of SQL, growing with the table.
--
-- Statement triggers on every document table add a row per status a statement changes, with
-- the change in its count (+2, -1); rows are only ever added, so concurrent writers never
-- wait on each other here. The count of a status is the sum of its rows. models.foldTallies
-- sums a table's rows into one per status once they are many; a fold deletes only the rows
-- it read and adds their sums, so changes committed meanwhile are kept and the sums stay
-- exact. The lists read the tallies only when nothing narrows them beyond the kind's
-- statuses (models.DocumentKind.countByStatus); a search or a filter counts the rows.

-- +goose Up
CREATE TABLE status_tallies (
    tbl text NOT NULL,
    status text NOT NULL,
    n bigint NOT NULL
);
CREATE INDEX status_tallies_tbl_idx ON status_tallies (tbl) INCLUDE (status, n);

-- +goose StatementBegin
CREATE FUNCTION tally_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO status_tallies (tbl, status, n) SELECT TG_TABLE_NAME, status, count(*) FROM tally_new GROUP BY status;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION tally_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO status_tallies (tbl, status, n) SELECT TG_TABLE_NAME, status, -count(*) FROM tally_old GROUP BY status;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION tally_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO status_tallies (tbl, status, n)
        SELECT TG_TABLE_NAME, status, sum(d) FROM (SELECT status, -1 AS d FROM tally_old UNION ALL SELECT status, 1 FROM tally_new) c
        GROUP BY status HAVING sum(d) <> 0;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['requisitions', 'purchase_orders', 'travel_requests', 'expense_reports', 'bills', 'payment_runs'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS tally_new FOR EACH STATEMENT EXECUTE FUNCTION tally_inserted()', t || '_tally_insert', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS tally_old NEW TABLE AS tally_new FOR EACH STATEMENT EXECUTE FUNCTION tally_updated()', t || '_tally_update', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS tally_old FOR EACH STATEMENT EXECUTE FUNCTION tally_deleted()', t || '_tally_delete', t);
        EXECUTE format('INSERT INTO status_tallies (tbl, status, n) SELECT %L, status, count(*) FROM %I GROUP BY status', t, t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Dropping the functions drops the triggers that call them.
DROP FUNCTION tally_inserted(), tally_deleted(), tally_updated() CASCADE;
DROP TABLE status_tallies;
