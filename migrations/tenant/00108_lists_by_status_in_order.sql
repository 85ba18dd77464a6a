-- Everyone's requisitions, expense reports and trips, by status or searched, read a page.
--
-- * By status: those lists filtered by a status (/requisitions/all?status=pending) order by
--   the last change, newest first. The status indexes are in submission order (for reminders
--   and ageing), so Postgres walked the whole table newest first and skipped the other
--   statuses: 3,525 rows read for a page of 25 pending requisitions at 10,000 requisitions
--   (EXPLAIN ANALYZE, 2.4 ms against 0.2 ms with the index). With these, a page reads its rows.
-- * Searched: expense reports and trips are searched as one expression (models.searchedText
--   of expenseSearchColumns and travelSearchColumns), as vendors and people are since 00104.
--   Three ORed ILIKEs over a trigram index of three columns were priced above reading the
--   table: a search read all 5,000 reports or trips (TestListPlansAtVolume).

-- +goose Up
CREATE INDEX requisitions_status_updated_idx ON requisitions (status, updated_at DESC, id DESC);
CREATE INDEX expense_reports_status_updated_idx ON expense_reports (status, updated_at DESC, id DESC);
CREATE INDEX travel_requests_status_updated_idx ON travel_requests (status, updated_at DESC, id DESC);

DROP INDEX expense_reports_search_trgm;
CREATE INDEX expense_reports_search_trgm ON expense_reports USING gin ((lower(coalesce(number, '') || E'\n' || coalesce(title, '')
    || E'\n' || coalesce(purpose, ''))) gin_trgm_ops) WITH (fastupdate = off);
DROP INDEX travel_requests_search_trgm;
CREATE INDEX travel_requests_search_trgm ON travel_requests USING gin ((lower(coalesce(number, '') || E'\n' || coalesce(purpose, '')
    || E'\n' || coalesce(destinations, ''))) gin_trgm_ops) WITH (fastupdate = off);

-- +goose Down
DROP INDEX travel_requests_search_trgm;
CREATE INDEX travel_requests_search_trgm ON travel_requests USING gin (number gin_trgm_ops, purpose gin_trgm_ops, destinations gin_trgm_ops);
DROP INDEX expense_reports_search_trgm;
CREATE INDEX expense_reports_search_trgm ON expense_reports USING gin (number gin_trgm_ops, title gin_trgm_ops, purpose gin_trgm_ops);
DROP INDEX requisitions_status_updated_idx;
DROP INDEX expense_reports_status_updated_idx;
DROP INDEX travel_requests_status_updated_idx;
