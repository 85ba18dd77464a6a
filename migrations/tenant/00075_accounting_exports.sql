-- Accounting export batches: each batch is recorded with the documents it carried (approved
-- bills, approved expense reports owed to their employees, paid payment runs). A document
-- goes into one batch only, unless a batch is explicitly re-exported: that makes a new batch
-- of the same documents, marked as a re-export of the first.

-- +goose Up
CREATE TABLE export_batches (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The batch this one re-exports (its documents again), or NULL for a batch of new ones.
    reexport_of_id bigint REFERENCES export_batches (id),
    document_count int NOT NULL CHECK (document_count > 0),
    created_by_id  bigint NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE export_batch_documents (
    batch_id   bigint NOT NULL REFERENCES export_batches (id),
    doc_type   text NOT NULL CHECK (doc_type IN ('bill', 'expense', 'payment')),
    doc_id     bigint NOT NULL,
    -- Copied from the batch, so that the index below can tell first exports apart.
    reexport   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, doc_type, doc_id)
);

-- A document is exported once: only re-exports may name it again.
CREATE UNIQUE INDEX export_batch_documents_once ON export_batch_documents (doc_type, doc_id) WHERE NOT reexport;

-- 'accounting' read shows the export page; create makes a batch (or re-exports one);
-- export downloads a batch's files.
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'ap_clerk', 'accounting', 'read'),
    ('p', 'ap_clerk', 'accounting', 'create'),
    ('p', 'ap_clerk', 'accounting', 'export'),
    ('p', 'auditor', 'accounting', 'read'),
    ('p', 'auditor', 'accounting', 'export'),
    ('p', 'admin', 'accounting', 'read'),
    ('p', 'admin', 'accounting', 'create'),
    ('p', 'admin', 'accounting', 'export')
ON CONFLICT DO NOTHING;
UPDATE policy_state SET version = version + 1 WHERE id = 1;

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 = 'accounting';
UPDATE policy_state SET version = version + 1 WHERE id = 1;
DROP TABLE export_batch_documents;
DROP TABLE export_batches;
