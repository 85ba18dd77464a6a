-- An expense line's exchange rate is kept exactly as typed, as numeric: in millionths a
-- weak currency's rate lost most of its digits (one dong, 0.0000393 dollars, was 39
-- millionths, and a 25,000,000 dong hotel came to $975.00 instead of $982.50). It may be
-- written either way round: rate_inverted says it is units of the line's currency per unit
-- of the report's ("1 USD = 25450 VND") rather than the report's per unit of the line's.
-- Every line keeps its rate, exactly (a millionth is six decimals). rate_micro keeps, as it
-- was, the rate in millionths of each line saved before (a later change of the line leaves
-- it alone, and nothing reads it); lines saved since have none.

-- +goose Up
ALTER TABLE expense_lines
    ADD COLUMN rate numeric(30, 18),
    ADD COLUMN rate_inverted boolean NOT NULL DEFAULT false;
UPDATE expense_lines SET rate = rate_micro * 0.000001;
ALTER TABLE expense_lines
    ALTER COLUMN rate SET NOT NULL,
    ADD CONSTRAINT expense_lines_rate_check CHECK (rate > 0),
    ALTER COLUMN rate_micro DROP NOT NULL,
    ALTER COLUMN rate_micro DROP DEFAULT;

-- +goose Down
UPDATE expense_lines SET rate_micro = greatest(1, round(CASE WHEN rate_inverted THEN 1 / rate ELSE rate END * 1000000))
    WHERE rate_micro IS NULL;
ALTER TABLE expense_lines
    DROP COLUMN rate,
    DROP COLUMN rate_inverted,
    ALTER COLUMN rate_micro SET DEFAULT 1000000,
    ALTER COLUMN rate_micro SET NOT NULL;
