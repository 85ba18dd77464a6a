-- Payment approval rules: rules of their own kind (doc_type 'payment'), conditioned on the
-- payment's total (the rule's amount range) and on its method: a rule naming one applies
-- only to runs paid that way (NULL: any method).

-- +goose Up
ALTER TABLE approval_rules DROP CONSTRAINT approval_rules_doc_type_check;
ALTER TABLE approval_rules ADD CONSTRAINT approval_rules_doc_type_check
    CHECK (doc_type IN ('requisition', 'expense', 'travel', 'bill', 'payment'));
ALTER TABLE approval_rules
    ADD COLUMN payment_method text CHECK (payment_method IN ('ach', 'wire', 'cheque', 'card'));

-- +goose Down
ALTER TABLE approval_rules DROP COLUMN payment_method;
DELETE FROM approval_rules WHERE doc_type = 'payment';
ALTER TABLE approval_rules DROP CONSTRAINT approval_rules_doc_type_check;
ALTER TABLE approval_rules ADD CONSTRAINT approval_rules_doc_type_check
    CHECK (doc_type IN ('requisition', 'expense', 'travel', 'bill'));
