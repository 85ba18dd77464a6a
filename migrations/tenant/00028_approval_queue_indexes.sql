-- The approvals queue and its count start from the open steps routed to one person: those
-- naming them (or someone they stand in for) and those open to one of their roles. Partial
-- indexes on the open steps alone answer each way in, however many steps were ever decided.

-- +goose Up
CREATE INDEX approval_steps_pending_approver_idx ON approval_steps (approver_id) WHERE status = 'pending';
CREATE INDEX approval_steps_pending_role_idx ON approval_steps (role) WHERE status = 'pending' AND kind = 'role';
-- Nobody approves twice in a round: the rounds a person already approved in, by person.
CREATE INDEX approval_steps_approved_by_idx ON approval_steps (acted_by, doc_type, doc_id, round) WHERE status = 'approved';

-- +goose Down
DROP INDEX approval_steps_approved_by_idx;
DROP INDEX approval_steps_pending_role_idx;
DROP INDEX approval_steps_pending_approver_idx;
