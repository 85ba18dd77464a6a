-- The approvals queue lists a person's open steps in the order of their ids (a round's steps
-- are stored when it is submitted, so this is the order of submission), a page at a time,
-- and counts them for the badge, from approval_steps alone: these indexes hold only the open
-- steps, by approver and by role, each in that order. They replace the indexes of 00028 on
-- the same open steps without the order.

-- +goose Up
CREATE INDEX approval_steps_pending_queue_idx ON approval_steps (approver_id, id) WHERE status = 'pending';
CREATE INDEX approval_steps_pending_role_queue_idx ON approval_steps (role, id) WHERE status = 'pending' AND kind = 'role';
DROP INDEX approval_steps_pending_approver_idx;
DROP INDEX approval_steps_pending_role_idx;

-- +goose Down
CREATE INDEX approval_steps_pending_approver_idx ON approval_steps (approver_id) WHERE status = 'pending';
CREATE INDEX approval_steps_pending_role_idx ON approval_steps (role) WHERE status = 'pending' AND kind = 'role';
DROP INDEX approval_steps_pending_role_queue_idx;
DROP INDEX approval_steps_pending_queue_idx;
