-- Comments and attachments, on every kind of document (requisition, purchase_order, and
-- later expense, travel and bill). The document's own visibility decides who sees them.

-- +goose Up
CREATE TABLE comments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_type   text NOT NULL,
    doc_id     bigint NOT NULL,
    author_id  bigint NOT NULL REFERENCES users (id),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX comments_doc_idx ON comments (doc_type, doc_id, id);

CREATE TABLE attachments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_type     text NOT NULL,
    doc_id       bigint NOT NULL,
    uploaded_by  bigint NOT NULL REFERENCES users (id),
    -- The name as uploaded, shown and used for the download.
    filename     text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    -- Sniffed from the bytes, never taken from the upload's header.
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- The blob's key: the tenant prefix and the content hash.
    storage_key  text NOT NULL,
    deleted_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX attachments_doc_idx ON attachments (doc_type, doc_id, id);

-- +goose Down
DROP TABLE attachments;
DROP TABLE comments;
