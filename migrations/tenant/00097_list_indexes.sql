-- Every list reads its first page through an index in the list's own order, whatever its
-- filter, so that a page costs the same with ten rows or ten thousand.
--
-- Measured at volume (10,000 requisitions, 5,000 orders, expense reports, trips, bills and
-- vendors; TestListPlansAtVolume): without these, the lists of requisitions, trips and expense
-- reports sorted the whole table for each page (ordered by the last change, newest first),
-- and their department filter and text search read every row.
--
-- Text search ("part of the number or of the description") is a substring match (ILIKE
-- '%…%'), which only a trigram index serves; pg_trgm is a trusted extension, so the tenant
-- database's owner may create it.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX requisitions_updated_idx ON requisitions (updated_at DESC, id DESC);
CREATE INDEX requisitions_requester_updated_idx ON requisitions (requester_id, updated_at DESC, id DESC);
CREATE INDEX requisitions_department_updated_idx ON requisitions (department_id, updated_at DESC, id DESC);
CREATE INDEX requisitions_number_trgm ON requisitions USING gin (number gin_trgm_ops);
CREATE INDEX requisitions_justification_trgm ON requisitions USING gin (justification gin_trgm_ops);

CREATE INDEX travel_requests_updated_idx ON travel_requests (updated_at DESC, id DESC);
CREATE INDEX travel_requests_traveller_updated_idx ON travel_requests (traveller_id, updated_at DESC, id DESC);
CREATE INDEX travel_requests_filed_by_updated_idx ON travel_requests (filed_by_id, updated_at DESC, id DESC);
CREATE INDEX travel_requests_department_updated_idx ON travel_requests (department_id, updated_at DESC, id DESC);
CREATE INDEX travel_requests_search_trgm ON travel_requests USING gin (number gin_trgm_ops, purpose gin_trgm_ops, destinations gin_trgm_ops);

CREATE INDEX expense_reports_updated_idx ON expense_reports (updated_at DESC, id DESC);
CREATE INDEX expense_reports_owner_updated_idx ON expense_reports (owner_id, updated_at DESC, id DESC);
CREATE INDEX expense_reports_department_updated_idx ON expense_reports (department_id, updated_at DESC, id DESC);
CREATE INDEX expense_reports_search_trgm ON expense_reports USING gin (number gin_trgm_ops, title gin_trgm_ops, purpose gin_trgm_ops);

-- Orders, newest first, of one vendor; and found by number.
CREATE INDEX purchase_orders_vendor_idx ON purchase_orders (vendor_id, id DESC);
CREATE INDEX purchase_orders_number_trgm ON purchase_orders USING gin (number gin_trgm_ops);

-- Bills, newest first, in one match state; and found by their numbers.
CREATE INDEX bills_match_status_idx ON bills (match_status, id DESC);
-- A clerk's own open bills (the dashboard).
CREATE INDEX bills_entered_by_idx ON bills (entered_by_id, status);
CREATE INDEX bills_search_trgm ON bills USING gin (number gin_trgm_ops, vendor_invoice_number gin_trgm_ops);

-- Vendors by name, active and archived apart (the list and every choice of a vendor), and
-- found by part of a name, contact, email or tax id.
CREATE INDEX vendors_active_name_idx ON vendors (lower(name), id) WHERE archived_at IS NULL;
CREATE INDEX vendors_archived_name_idx ON vendors (lower(name), id) WHERE archived_at IS NOT NULL;
CREATE INDEX vendors_search_trgm ON vendors USING gin (name gin_trgm_ops, contact_name gin_trgm_ops, email gin_trgm_ops, tax_id gin_trgm_ops);

-- +goose Down
DROP INDEX vendors_search_trgm;
DROP INDEX vendors_archived_name_idx;
DROP INDEX vendors_active_name_idx;
DROP INDEX bills_search_trgm;
DROP INDEX bills_entered_by_idx;
DROP INDEX bills_match_status_idx;
DROP INDEX purchase_orders_number_trgm;
DROP INDEX purchase_orders_vendor_idx;
DROP INDEX expense_reports_search_trgm;
DROP INDEX expense_reports_department_updated_idx;
DROP INDEX expense_reports_owner_updated_idx;
DROP INDEX expense_reports_updated_idx;
DROP INDEX travel_requests_search_trgm;
DROP INDEX travel_requests_department_updated_idx;
DROP INDEX travel_requests_filed_by_updated_idx;
DROP INDEX travel_requests_traveller_updated_idx;
DROP INDEX travel_requests_updated_idx;
DROP INDEX requisitions_justification_trgm;
DROP INDEX requisitions_number_trgm;
DROP INDEX requisitions_department_updated_idx;
DROP INDEX requisitions_requester_updated_idx;
DROP INDEX requisitions_updated_idx;
