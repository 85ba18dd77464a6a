-- A bill confirmed as not a duplicate records which bill it was confirmed against, so that
-- submitting it checks again only when it now looks like a duplicate of another one (it
-- changed since, or the other bill came later). Bills confirmed before this keep their
-- confirmation (NULL: confirmed against whichever bill was found then).

-- +goose Up
ALTER TABLE bills ADD COLUMN duplicate_confirmed_of_id bigint REFERENCES bills (id);

-- +goose Down
ALTER TABLE bills DROP COLUMN duplicate_confirmed_of_id;
