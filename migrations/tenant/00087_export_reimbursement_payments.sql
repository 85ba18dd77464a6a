-- Accounting exports carry paid reimbursement batches too (expense reimbursements paid to
-- employees), as payments: a batch's documents may now be 'reimbursement' batches.

-- +goose Up
ALTER TABLE export_batch_documents DROP CONSTRAINT export_batch_documents_doc_type_check,
    ADD CONSTRAINT export_batch_documents_doc_type_check CHECK (doc_type IN ('bill', 'expense', 'payment', 'reimbursement'));

-- +goose Down
DELETE FROM export_batch_documents WHERE doc_type = 'reimbursement';
ALTER TABLE export_batch_documents DROP CONSTRAINT export_batch_documents_doc_type_check,
    ADD CONSTRAINT export_batch_documents_doc_type_check CHECK (doc_type IN ('bill', 'expense', 'payment'));
