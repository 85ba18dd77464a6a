-- Auditors read everything: reimbursement batches too (the list, a batch and who it paid).

-- +goose Up
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('p', 'auditor', 'expenses.reimburse', 'read')
ON CONFLICT DO NOTHING;
UPDATE policy_state SET version = version + 1 WHERE id = 1;

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = 'auditor' AND v1 = 'expenses.reimburse';
UPDATE policy_state SET version = version + 1 WHERE id = 1;
