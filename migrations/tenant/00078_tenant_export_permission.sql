-- Admins export the whole tenant ("Export everything" at /admin/export).

-- +goose Up
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('p', 'admin', 'admin.export', 'export');

-- +goose Down
DELETE FROM casbin_rule WHERE v1 = 'admin.export';
