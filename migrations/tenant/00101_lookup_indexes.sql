-- Search-as-you-type fields (a vendor, a person) offer the first twenty matches of what is
-- typed, those starting with it first, then by name. Three letters or more match anywhere in
-- a name (or a person's email) through a trigram index; fewer match the start of names along
-- the name index, in its order, so a first letter reads twenty entries rather than the table.
--
-- 00097 indexed the names of active and of archived vendors apart; the order list's vendor
-- filter offers both, by name, hence one index over every vendor. People had no name index.

-- +goose Up
CREATE INDEX vendors_name_idx ON vendors (lower(name), id);
CREATE INDEX users_name_idx ON users (lower(name), id);
CREATE INDEX users_search_trgm ON users USING gin (name gin_trgm_ops, email gin_trgm_ops);

-- +goose Down
DROP INDEX users_search_trgm;
DROP INDEX users_name_idx;
DROP INDEX vendors_name_idx;
