-- A payment run's History shows the bank accounts copied onto it.
--
-- The account a run pays each vendor is copied onto the run (payment_run_vendors, migration
-- 00117) when it is submitted, taken again when it is submitted once more, and completed when
-- it is approved; the log records each copy, its account masked and its sealed number
-- redacted. The run's History did not show them: it reads the rows that belong to a record
-- through audit_parent and audit_log_parent_idx (migration 00106), which knew the run's lines
-- and not its accounts, so what an approver approved the money to go to was missing from the
-- run's own trail.
--
-- audit_parent now names a copy's run, and the index holds the copies' rows by it. The index
-- is dropped before the function changes and made again after, with the table in its list:
-- Postgres keeps what an index computed when a row was written and never recomputes it for a
-- changed function, so the copies already logged are read into it only by building it anew.
-- Still one index, for the reason 00106 gives.

-- +goose Up
DROP INDEX audit_log_parent_idx;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_parent(table_name text, old jsonb, new jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE table_name
        WHEN 'approval_steps' THEN (coalesce(new, old) ->> 'doc_type') || ':' || (coalesce(new, old) ->> 'doc_id')
        WHEN 'comments' THEN (coalesce(new, old) ->> 'doc_type') || ':' || (coalesce(new, old) ->> 'doc_id')
        WHEN 'attachments' THEN (coalesce(new, old) ->> 'doc_type') || ':' || (coalesce(new, old) ->> 'doc_id')
        WHEN 'requisition_lines' THEN coalesce(new, old) ->> 'requisition_id'
        WHEN 'purchase_order_lines' THEN coalesce(new, old) ->> 'purchase_order_id'
        WHEN 'receipts' THEN coalesce(new, old) ->> 'purchase_order_id'
        WHEN 'expense_lines' THEN coalesce(new, old) ->> 'report_id'
        WHEN 'travel_legs' THEN coalesce(new, old) ->> 'travel_request_id'
        WHEN 'bill_lines' THEN coalesce(new, old) ->> 'bill_id'
        WHEN 'payment_lines' THEN coalesce(new, old) ->> 'payment_run_id'
        WHEN 'payment_run_vendors' THEN coalesce(new, old) ->> 'payment_run_id'
        WHEN 'user_roles' THEN coalesce(new, old) ->> 'user_id'
        WHEN 'casbin_rule' THEN coalesce(new, old) ->> 'v0'
        WHEN 'approval_rule_steps' THEN coalesce(new, old) ->> 'rule_id'
        WHEN 'vendor_bank_accounts' THEN coalesce(new, old) ->> 'vendor_id'
    END
$$;
-- +goose StatementEnd
CREATE INDEX audit_log_parent_idx ON audit_log (table_name, audit_parent(table_name, old, new), id)
    WHERE table_name IN ('approval_steps', 'comments', 'attachments', 'requisition_lines', 'purchase_order_lines', 'receipts',
        'expense_lines', 'travel_legs', 'bill_lines', 'payment_lines', 'payment_run_vendors', 'user_roles', 'casbin_rule',
        'approval_rule_steps', 'vendor_bank_accounts');

-- +goose Down
DROP INDEX audit_log_parent_idx;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_parent(table_name text, old jsonb, new jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE table_name
        WHEN 'approval_steps' THEN (coalesce(new, old) ->> 'doc_type') || ':' || (coalesce(new, old) ->> 'doc_id')
        WHEN 'comments' THEN (coalesce(new, old) ->> 'doc_type') || ':' || (coalesce(new, old) ->> 'doc_id')
        WHEN 'attachments' THEN (coalesce(new, old) ->> 'doc_type') || ':' || (coalesce(new, old) ->> 'doc_id')
        WHEN 'requisition_lines' THEN coalesce(new, old) ->> 'requisition_id'
        WHEN 'purchase_order_lines' THEN coalesce(new, old) ->> 'purchase_order_id'
        WHEN 'receipts' THEN coalesce(new, old) ->> 'purchase_order_id'
        WHEN 'expense_lines' THEN coalesce(new, old) ->> 'report_id'
        WHEN 'travel_legs' THEN coalesce(new, old) ->> 'travel_request_id'
        WHEN 'bill_lines' THEN coalesce(new, old) ->> 'bill_id'
        WHEN 'payment_lines' THEN coalesce(new, old) ->> 'payment_run_id'
        WHEN 'user_roles' THEN coalesce(new, old) ->> 'user_id'
        WHEN 'casbin_rule' THEN coalesce(new, old) ->> 'v0'
        WHEN 'approval_rule_steps' THEN coalesce(new, old) ->> 'rule_id'
        WHEN 'vendor_bank_accounts' THEN coalesce(new, old) ->> 'vendor_id'
    END
$$;
-- +goose StatementEnd
CREATE INDEX audit_log_parent_idx ON audit_log (table_name, audit_parent(table_name, old, new), id)
    WHERE table_name IN ('approval_steps', 'comments', 'attachments', 'requisition_lines', 'purchase_order_lines', 'receipts',
        'expense_lines', 'travel_legs', 'bill_lines', 'payment_lines', 'user_roles', 'casbin_rule', 'approval_rule_steps',
        'vendor_bank_accounts');
