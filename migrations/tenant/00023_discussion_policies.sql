-- Who may add comments and attach files. Reading a document's comments and downloading its
-- files follow the document's own read permission; writing them is a change, which the
-- auditor must not make, so it is a permission of its own ('comments' and 'attachments',
-- action 'create'). Which documents a person may comment on is still decided by the
-- document's record-level rules.

-- +goose Up
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'requester', 'comments', 'create'),
    ('p', 'requester', 'attachments', 'create'),
    ('p', 'approver', 'comments', 'create'),
    ('p', 'approver', 'attachments', 'create'),
    ('p', 'ap_clerk', 'comments', 'create'),
    ('p', 'ap_clerk', 'attachments', 'create'),
    ('p', 'admin', 'comments', 'create'),
    ('p', 'admin', 'attachments', 'create')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM casbin_rule WHERE v1 IN ('comments', 'attachments');
