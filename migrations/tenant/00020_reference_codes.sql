-- Department codes are how finance names a department in exports and GL postings, so two
-- departments may not share one (in any case). An empty code means "none" and may repeat.

-- +goose Up
CREATE UNIQUE INDEX departments_code_key ON departments (lower(code)) WHERE code <> '';

-- +goose Down
DROP INDEX departments_code_key;
