-- Searches and filters of the lists read what they show, not the table.
--
-- * Vendors and people are searched (their lists and the fields that choose one) as one
--   expression, their columns lowered and joined (models.searchedText, written here the same
--   way, or Postgres would not match it to the index). The trigram indexes of 00097 and 00101
--   held each column apart; the vendor list's search, an ILIKE per column ORed, was priced
--   above a read of the table and read all 5,000 vendors for every search (EXPLAIN ANALYZE at
--   bench volume: 52 ms, against 0.3 ms through this index). fastupdate is off so that rows
--   go straight into the index: a pending list (294 pages after the bench's COPY) is read
--   whole by every search until a vacuum merges it.
-- * The audit log's page, newest first, filtered by action (or security events) or by kind of
--   record, reads its first page along these indexes in its own order. A rare action was a
--   sequential scan of the log (30-40 ms over 100,000 rows); a kind of record was every row of
--   that kind, sorted.

-- +goose Up
DROP INDEX vendors_search_trgm;
CREATE INDEX vendors_search_trgm ON vendors USING gin ((lower(coalesce(name, '') || E'\n' || coalesce(contact_name, '')
    || E'\n' || coalesce(email, '') || E'\n' || coalesce(tax_id, ''))) gin_trgm_ops) WITH (fastupdate = off);
DROP INDEX users_search_trgm;
CREATE INDEX users_search_trgm ON users USING gin ((lower(coalesce(name, '') || E'\n' || coalesce(email, ''))) gin_trgm_ops)
    WITH (fastupdate = off);

CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_table_idx ON audit_log (table_name, id);

-- +goose Down
DROP INDEX audit_log_table_idx;
DROP INDEX audit_log_action_idx;
DROP INDEX users_search_trgm;
CREATE INDEX users_search_trgm ON users USING gin (name gin_trgm_ops, email gin_trgm_ops);
DROP INDEX vendors_search_trgm;
CREATE INDEX vendors_search_trgm ON vendors USING gin (name gin_trgm_ops, contact_name gin_trgm_ops, email gin_trgm_ops, tax_id gin_trgm_ops);
