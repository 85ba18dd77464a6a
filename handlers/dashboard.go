package handlers

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/views/approvals"
	"outlay/views/bills"
	"outlay/views/dashboard"
	"outlay/views/purchasing"
	"outlay/views/requisitions"
)

func (s *Server) dashboard(c *fiber.Ctx) error {
	u, t := currentUser(c), tenantOf(c)
	d := dashboard.Dashboard{
		TenantName: t.Name,
		TenantURL:  s.cfg.TenantURL(t.Slug, "/"),
		UserName:   u.Name,
		UserEmail:  u.Email,
		Roles:      u.RoleLabels,
	}
	mine, waiting := s.can(c, policy.Permission{Object: outlay.ObjRequisitions, Action: outlay.ActRead}), s.can(c, policy.Permission{Object: outlay.ObjApprovals, Action: outlay.ActRead})
	spend := s.can(c, policy.Permission{Object: outlay.ObjPurchaseOrders, Action: outlay.ActRead}) || s.can(c, policy.Permission{Object: outlay.ObjRequisitionsAll, Action: outlay.ActRead})
	toOrder, trips, myExpenses := s.can(c, purchaseOrdersCreate), s.can(c, travelDocs.Read), s.can(c, expenseDocs.Read)
	// Whoever sees every bill (accounts payable, finance) is shown what is left to do with them.
	payables := s.can(c, billsAll) && s.can(c, billDocs.Read)
	if mine || waiting || spend || toOrder || trips || myExpenses || payables {
		now := time.Now().UTC()
		scope := s.budgetScope(c)
		sum, err := models.Dashboard(c.UserContext(), tenantDB(c), s.viewer(c),
			models.DashboardCards{Spend: spend, ToOrder: toOrder, Payables: payables, Budgets: scope}, now)
		if err != nil {
			return err
		}
		// Only people who may start a requisition are offered a link to do so.
		canCreate := s.can(c, requisitionsCreate)
		d.Cards = dashboardCards(sum, mine, waiting, spend, canCreate, now)
		if toOrder {
			d.Cards = append(d.Cards, purchasing.ToOrderCard(sum.ToOrder))
		}
		if payables {
			d.Cards = append(d.Cards, bills.WorkCard(bills.Work{ByStatus: sum.Payables.ByStatus, Held: sum.Payables.Held,
				Overdue: sum.Payables.Overdue, CanEnter: s.can(c, billsCreate)}))
		}
		if trips {
			d.Cards = append(d.Cards, s.tripsCard(c, sum))
		}
		if myExpenses {
			d.Cards = append(d.Cards, s.openExpensesCard(c, sum))
		}
		if card, err := s.budgetsCard(c, scope, sum.BudgetIDs); err != nil {
			return err
		} else if card != nil {
			d.Cards = append(d.Cards, card)
		}
	}
	return s.render(c, http.StatusOK, page{Title: "Dashboard", Nav: dashboard.Path, Content: dashboard.Page(d)})
}

// dashboardStatuses are the requisition statuses the dashboard counts, in its order; each is
// named as the lists name it.
var dashboardStatuses = []string{models.RequisitionRejected, models.RequisitionDraft, models.RequisitionWithdrawn,
	models.RequisitionPending, models.RequisitionApproved}

func dashboardCards(sum models.DashboardSummary, mine, waiting, spend, canCreate bool, now time.Time) []templ.Component {
	var cards []templ.Component
	if mine {
		o := dashboard.OpenRequests{Total: sum.OpenTotal, ListURL: requisitions.ListPath}
		if canCreate {
			o.NewURL = requisitions.NewPath
		}
		for _, st := range dashboardStatuses {
			if n := sum.OpenByStatus[st]; n > 0 {
				o.ByStatus = append(o.ByStatus, dashboard.StatusCount{Label: requisitions.StatusLabel(st), Count: n, URL: requisitions.ListPath + "?status=" + st})
			}
		}
		cards = append(cards, dashboard.OpenRequestsCard(o))
	}
	if waiting {
		cards = append(cards, dashboard.WaitingCard(sum.Waiting, approvals.QueuePath))
	}
	if spend {
		cards = append(cards, dashboard.SpendCard(spendChart(sum, now)))
	}
	return cards
}

// spendChart lays the month's spend out as horizontal bars, the largest spanning the track.
func spendChart(sum models.DashboardSummary, now time.Time) dashboard.SpendChart {
	ch := dashboard.SpendChart{Month: now.Format("January 2006"), OtherCurrencies: sum.OtherCurrencies}
	total := money.Money{Currency: sum.Currency}
	var largest int64
	for _, b := range sum.Spend {
		largest = max(largest, b.Amount.Minor)
		if t, err := money.Add(total, b.Amount); err == nil {
			total = t
		}
	}
	ch.Total = total.String()
	for i, b := range sum.Spend {
		width := 0
		if largest > 0 {
			// At least a sliver, so that a small department still shows a bar.
			a, l := b.Amount.Minor, largest
			for l > 1<<40 { // keep a×ChartBarMax inside int64
				a, l = a>>1, l>>1
			}
			width = max(2, int(a*dashboard.ChartBarMax/l))
		}
		ch.Bars = append(ch.Bars, dashboard.Bar{Label: shorten(b.Department, 22), Full: b.Department, Amount: b.Amount.String(), Width: width, Y: i * dashboard.ChartRowHeight})
	}
	descs := make([]string, len(ch.Bars))
	for i, b := range ch.Bars {
		descs[i] = b.Full + ": " + b.Amount
	}
	ch.Description = strings.Join(descs, "; ")
	ch.Height = max(1, len(ch.Bars)) * dashboard.ChartRowHeight
	return ch
}

// shorten cuts s to at most n characters, ending with an ellipsis when cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
