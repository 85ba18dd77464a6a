-- Who may read and export the audit log, and an index for its date filter.

-- +goose Up
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'admin', 'audit', 'read'),
    ('p', 'admin', 'audit', 'export'),
    ('p', 'auditor', 'audit', 'read'),
    ('p', 'auditor', 'audit', 'export')
ON CONFLICT DO NOTHING;

CREATE INDEX audit_log_at_idx ON audit_log (at);

-- +goose Down
DROP INDEX audit_log_at_idx;
DELETE FROM casbin_rule WHERE v1 = 'audit';
