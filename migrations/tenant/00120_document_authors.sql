-- Everyone other than its clerk who changed or submitted a bill, and everyone other than its
-- maker who submitted a payment run: like the clerk and the maker, they never approve it.
-- Anyone who may see a returned bill may correct and resubmit it, so without this a clerk who
-- also approves could raise a bill someone else entered and approve the new amount.
-- Written only while a bill or run can still be changed (no open steps then), and read when
-- it is routed and decided.

-- +goose Up
ALTER TABLE bills ADD COLUMN authors bigint[] NOT NULL DEFAULT '{}';
ALTER TABLE payment_runs ADD COLUMN authors bigint[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE payment_runs DROP COLUMN authors;
ALTER TABLE bills DROP COLUMN authors;
