-- Admins import setup data: the permission the /admin/import pages need.

-- +goose Up
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('p', 'admin', 'admin.import', 'import');

-- +goose Down
DELETE FROM casbin_rule WHERE v1 = 'admin.import';
