-- A comment's form carries a key drawn when the form was shown, so that the same form posted
-- again (a double click on Post comment, a resent request) makes one comment and tells its
-- readers once; a new comment, typed in the form shown again, has a key of its own.

-- +goose Up
ALTER TABLE comments ADD COLUMN form_key text CHECK (length(form_key) BETWEEN 1 AND 64);
CREATE UNIQUE INDEX comments_form_key ON comments (author_id, form_key) WHERE form_key IS NOT NULL;

-- +goose Down
DROP INDEX comments_form_key;
ALTER TABLE comments DROP COLUMN form_key;
