-- Imports of setup data (users, departments, vendors, ...) from a CSV or XLSX file.
--
-- A row holds the uploaded file from the upload until the import is done (the preview reads
-- it again when the admin corrects the column mapping, and a background job reads it when the
-- file is large), the mapping chosen, the progress and the outcome. What an import writes is
-- audited row by row, tied to its import event by the request id 'import-<id>'; this table
-- is bookkeeping and not audited (audit.NotAudited says so).

-- +goose Up
CREATE TABLE imports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL,
    filename        text NOT NULL,
    file            bytea,
    header_row      integer NOT NULL DEFAULT 0,
    mapping         jsonb NOT NULL DEFAULT '[]',
    status          text NOT NULL DEFAULT 'uploaded'
                    CHECK (status IN ('uploaded', 'queued', 'running', 'done', 'refused', 'failed')),
    total_rows      integer NOT NULL DEFAULT 0,
    done_rows       integer NOT NULL DEFAULT 0,
    created_count   integer NOT NULL DEFAULT 0,
    updated_count   integer NOT NULL DEFAULT 0,
    unchanged_count integer NOT NULL DEFAULT 0,
    refused_count   integer NOT NULL DEFAULT 0,
    -- The refused rows and a sample of the others, when the import ran as a job.
    result          jsonb,
    message         text NOT NULL DEFAULT '',
    created_by      bigint NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

CREATE INDEX imports_created_idx ON imports (created_at DESC);

-- +goose Down
DROP TABLE imports;
