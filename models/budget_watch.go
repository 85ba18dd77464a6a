package models

import (
	"context"
	"sort"

	"gorm.io/gorm"
)

// WatchedBudget is a budget near or over its limit, with what is spent and committed.
type WatchedBudget struct {
	BudgetRow
	BudgetTotal
}

// BudgetsNearLimit lists which of the budgets ids are near or over their limit, fullest
// first. Nothing is read for no ids.
func BudgetsNearLimit(ctx context.Context, db *gorm.DB, ids []int64) ([]WatchedBudget, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	totals, err := BudgetTotals(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	var rows []BudgetRow
	if err := budgetQuery(ctx, db).Where("b.id IN ?", ids).Select(budgetColumns).
		Order("lower(d.name), lower(g.code), b.id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	var out []WatchedBudget
	for _, r := range rows {
		if t := totals[r.ID]; t.Level(r.AmountMinor) != BudgetUnder {
			out = append(out, WatchedBudget{BudgetRow: r, BudgetTotal: t})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Percent(out[i].AmountMinor) > out[j].Percent(out[j].AmountMinor)
	})
	return out, nil
}
