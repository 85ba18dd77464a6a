-- A person's location: where they work. With their departments it scopes the spend they see
-- without the right to see all of it (documents delivered to their location).

-- +goose Up
ALTER TABLE users ADD COLUMN location_id bigint REFERENCES locations (id);
CREATE INDEX requisitions_location_id_idx ON requisitions (location_id);

-- +goose Down
DROP INDEX requisitions_location_id_idx;
ALTER TABLE users DROP COLUMN location_id;
