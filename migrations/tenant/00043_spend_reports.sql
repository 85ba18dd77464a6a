-- The spend report: who may read and export it, and the indexes its period filters use.
-- 'reports.spend' 'read' opens the report on the person's own departments (those they belong
-- to or head) and 'export' downloads it as CSV; 'reports.spend.all' 'read' widens it to every
-- department. Admins and auditors see everything; approvers their own departments.

-- +goose Up
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'admin', 'reports.spend', 'read'),
    ('p', 'admin', 'reports.spend', 'export'),
    ('p', 'admin', 'reports.spend.all', 'read'),
    ('p', 'auditor', 'reports.spend', 'read'),
    ('p', 'auditor', 'reports.spend', 'export'),
    ('p', 'auditor', 'reports.spend.all', 'read'),
    ('p', 'approver', 'reports.spend', 'read'),
    ('p', 'approver', 'reports.spend', 'export')
ON CONFLICT DO NOTHING;

-- Committed spend: approved requisitions by the day they were approved.
CREATE INDEX requisitions_approved_decided_idx ON requisitions (decided_at) WHERE status = 'approved';
-- Ordered spend: orders that are not cancelled by the day they were made.
CREATE INDEX purchase_orders_created_idx ON purchase_orders (created_at) WHERE status <> 'cancelled';
-- Received spend: receipts by the day the goods came, and their lines.
CREATE INDEX receipts_received_on_idx ON receipts (received_on);
CREATE INDEX receipt_lines_receipt_idx ON receipt_lines (receipt_id);

-- +goose Down
DROP INDEX receipt_lines_receipt_idx;
DROP INDEX receipts_received_on_idx;
DROP INDEX purchase_orders_created_idx;
DROP INDEX requisitions_approved_decided_idx;
DELETE FROM casbin_rule WHERE v1 IN ('reports.spend', 'reports.spend.all');
