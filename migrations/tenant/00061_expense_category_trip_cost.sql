-- Which of a trip's estimate categories (airfare, lodging, ground transport, meals and per
-- diem, other) an expense category counts towards, so that a report started from a trip shows
-- what was spent against what was estimated. Left empty, expense lines count as "other",
-- mileage as ground transport and per diem as meals.

-- +goose Up
ALTER TABLE expense_categories ADD COLUMN trip_cost text
    CHECK (trip_cost IN ('airfare', 'lodging', 'ground', 'meals', 'other'));

-- +goose Down
ALTER TABLE expense_categories DROP COLUMN trip_cost;
