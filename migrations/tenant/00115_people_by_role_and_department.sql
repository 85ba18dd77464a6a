-- People by role and by department. A person's roles were indexed by person only (the key
-- user_id, role), so every question by role read all of them: the admins named on the SSO
-- page, the people a delegation may go to, the people list filtered by role (and removing a
-- role deleted its holders the same way). A department's members were counted, for each
-- department on its page, by reading every person. At a few hundred people neither shows; at
-- 5,000 (TestListPlansAtVolume) each read the whole table.

-- +goose Up
CREATE INDEX user_roles_by_role ON user_roles (role, user_id);
CREATE INDEX users_department_idx ON users (department_id) WHERE department_id IS NOT NULL;

-- +goose Down
DROP INDEX users_department_idx;
DROP INDEX user_roles_by_role;
