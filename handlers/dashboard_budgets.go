package handlers

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/views/dashboard"
	"outlay/views/refdata"
)

// budgetScope is whose budgets the viewer's dashboard watches: whoever may read budgets
// watches every department's, anyone else their own department's and those they head.
func (s *Server) budgetScope(c *fiber.Ctx) models.BudgetScope {
	if s.can(c, budgetsRef.perm(outlay.ActRead)) {
		return models.AllBudgets
	}
	return models.OwnBudgets
}

// budgetsCard lists the watched budgets (ids) near or over their limit, or nil when there
// is none and the viewer does not read budgets.
func (s *Server) budgetsCard(c *fiber.Ctx, scope models.BudgetScope, ids []int64) (templ.Component, error) {
	bs, err := models.BudgetsNearLimit(c.UserContext(), tenantDB(c), ids)
	if err != nil {
		return nil, err
	}
	all := scope == models.AllBudgets
	if len(bs) == 0 && !all {
		return nil, nil
	}
	out := make([]dashboard.WatchedBudget, len(bs))
	for i := range bs {
		b := &bs[i]
		fig := budgetFiguresOf(b.Budget, b.BudgetTotal)
		left := fig.Remaining.String() + " left"
		if fig.Remaining.Minor < 0 {
			left = money.Money{Minor: -fig.Remaining.Minor, Currency: fig.Remaining.Currency}.String() + " over"
		}
		out[i] = dashboard.WatchedBudget{Name: budgetName(&b.BudgetRow), Remaining: left, Meter: fig.Meter}
		if all {
			out[i].Href = refdata.ItemPath(budgetsRef.path, b.ID)
		}
	}
	return dashboard.BudgetsCard(out, models.BudgetNearPercent), nil
}
