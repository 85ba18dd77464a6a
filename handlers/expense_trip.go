package handlers

import (
	"errors"
	"fmt"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/views"
	"outlay/views/expenses"
	"outlay/views/travel"
)

// An approved trip starts its expense report; the report shows what it claims against the
// trip's estimate, on its pages and to its approver.

func init() {
	approvalExtras[outlay.DocExpense] = expenseApprovalPanel
}

// tripExpensePath is where a trip's "Start expense report" posts.
func tripExpensePath(id int64) string { return travel.Path(id) + "/expense-report" }

// startTripExpense starts the expense report of an approved trip of the viewer's (as traveller
// or filer) and opens it. A trip that already has a report not yet paid names it instead.
func (s *Server) startTripExpense(c *fiber.Ctx) error {
	id, err := tripID(c)
	if err != nil {
		return err
	}
	me := currentUser(c).UserID
	r, err := models.StartExpenseFromTrip(c.UserContext(), tenantDB(c), me, id)
	var open *models.OpenTripReportError
	if errors.As(err, &open) {
		s.setFlash(c, "info", fmt.Sprintf("This trip already has an expense report (%s): here it is.", open.Name()))
		if open.Report.OwnerID != me {
			return redirect(c, travel.Path(id))
		}
		return redirect(c, expenses.Path(open.Report.ID))
	}
	if err != nil {
		return err
	}
	if r.OwnerID != me {
		s.setFlash(c, "success", "Started the trip's expense report: it is a draft in the traveller's expenses.")
		return redirect(c, travel.Path(id))
	}
	s.setFlash(c, "success", "Started the trip's expense report: check the lines, add what you spent and submit it.")
	return redirect(c, expenses.Path(r.ID))
}

// tripExpenseAction is what an approved trip's page offers its traveller or filer: start its
// report, or open the one it has. Anyone else, or a trip not approved, gets nothing.
func (s *Server) tripExpenseAction(c *fiber.Ctx, d *models.TravelDetail) (templ.Component, error) {
	me := currentUser(c).UserID
	if d.Status != models.TravelApproved || !d.BelongsTo(me) {
		return nil, nil
	}
	r, err := models.TripReport(c.UserContext(), tenantDB(c), d.ID)
	if err != nil {
		return nil, err
	}
	a := travel.ExpenseReportAction{CSRF: s.csrfToken(c)}
	switch {
	case r != nil:
		// A draft has no number yet: its status alone names it ("Draft", not "Draft (Draft)").
		a.Report = expenses.StatusLabel(r.Status)
		if r.Number != nil {
			a.Report, a.ReportStatus = *r.Number, expenses.StatusLabel(r.Status)
		}
		if r.OwnerID == me {
			a.ReportHref = expenses.Path(r.ID)
		}
	case s.can(c, expensesCreate):
		a.StartPath = tripExpensePath(d.ID)
	default:
		return nil, nil
	}
	return travel.StartExpenseReport(a), nil
}

// tripCosts is report id's claims against its trip's estimate, nil when it was not started
// from a trip; link links the trip's number.
func tripCosts(c *fiber.Ctx, id int64, link bool) (*expenses.TripCosts, error) {
	cmp, err := models.CompareWithTrip(c.UserContext(), tenantDB(c), id)
	if err != nil || cmp == nil {
		return nil, err
	}
	v := &expenses.TripCosts{TripNumber: cmp.TripNumber}
	if link {
		v.TripHref = travel.Path(cmp.TripID)
	}
	if !cmp.Comparable() {
		v.Note = fmt.Sprintf("The trip was estimated in %s and this report is in %s, so they are not compared.", cmp.Currency, cmp.ReportCurrency)
		return v, nil
	}
	row := func(label string, estimate, actual int64) expenses.TripCostRow {
		m := func(minor int64) string { return money.Money{Minor: minor, Currency: cmp.Currency}.String() }
		return expenses.TripCostRow{Label: label, Estimate: m(estimate), Actual: m(actual),
			Difference: differenceText(actual-estimate, cmp.Currency), Over: actual > estimate}
	}
	for _, k := range cmp.Costs {
		if k.Estimate != 0 || k.Actual != 0 { // a category neither estimated nor claimed says nothing
			v.Rows = append(v.Rows, row(models.TravelCostLabel(k.Category), k.Estimate, k.Actual))
		}
	}
	v.Total = row("Total", cmp.Estimate, cmp.Actual)
	return v, nil
}

// differenceText says a difference in words: "$12.50 over", "$30.00 under", "On estimate".
func differenceText(diff int64, currency string) string {
	switch {
	case diff > 0:
		return money.Money{Minor: diff, Currency: currency}.String() + " over"
	case diff < 0:
		return money.Money{Minor: -diff, Currency: currency}.String() + " under"
	}
	return "On estimate"
}

// expenseApprovalPanel shows the approver of a report started from a trip what it claims
// against the trip's estimate.
func expenseApprovalPanel(s *Server, c *fiber.Ctx, id int64) (templ.Component, error) {
	v, err := tripCosts(c, id, false)
	if err != nil || v == nil {
		return nil, err
	}
	return expenses.TripCostsSection(*v), nil
}

// offerTripPerDiem adds to the form of a report started from a trip, while it has no lines,
// the trip's per diem line that could not be priced when it was started, with what is left
// to choose. Before the trip starts nothing can be claimed for its days: a blank expense line
// is offered instead, and the trip's section says from when.
func offerTripPerDiem(c *fiber.Ctx, d *models.ExpenseDetail, in *models.ExpenseInput, hints map[int]string) (string, error) {
	if d.TravelRequestID == nil || len(in.Lines) > 0 {
		return "", nil
	}
	pd, err := models.TripPerDiemOf(c.UserContext(), tenantDB(c), *d.TravelRequestID)
	if err != nil || pd == nil {
		return "", err
	}
	what := fmt.Sprintf("%s in %s", views.Plural(pd.Days, "day", "days"), pd.Place)
	if !pd.ClaimableToday() {
		in.Lines = append(in.Lines, models.ExpenseLineInput{Kind: models.LineExpense})
		return fmt.Sprintf("The trip's per diem (%s) can be claimed from %s.", what, formatDate(&pd.From)), nil
	}
	hint := "The trip's per diem: " + what + "."
	switch {
	case !pd.RateFound:
		hint += fmt.Sprintf(" No per diem rate matches “%s”: choose the destination's rate, then save.", pd.Place)
	case pd.Line.Category == "":
		hint += " Choose its category, then save."
	default:
		hint += " Check it, then save."
	}
	hints[len(in.Lines)] = hint
	in.Lines = append(in.Lines, pd.Line)
	return "", nil
}

// expenseTotals prices the report form being typed: the live total and each line's amount.
func (s *Server) expenseTotals(c *fiber.Ctx) error {
	var in models.ExpenseInput
	bindForm(c, &in)
	live, err := models.PriceExpenseLive(c.UserContext(), tenantDB(c), in)
	if err != nil {
		return err
	}
	threshold, err := models.ReceiptThreshold(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	t := expenses.Totals{Threshold: threshold.String(), Total: "—", RatesGood: live.RatesGood}
	if live.Currency != "" {
		t.Total = money.Money{Minor: live.Total, Currency: live.Currency}.String()
		for _, a := range live.Lines {
			text := ""
			if a != nil {
				text = money.Money{Minor: *a, Currency: live.Currency}.String()
			}
			t.Lines = append(t.Lines, text)
		}
	}
	if live.Incomplete > 0 {
		t.Note = fmt.Sprintf("(%s not complete yet, left out.)", views.Plural(live.Incomplete, "line", "lines"))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return sendHTML(c, expenses.LiveTotals(t))
}

// tripTotals adds up the trip estimate being typed.
func (s *Server) tripTotals(c *fiber.Ctx) error {
	var in models.TravelInput
	bindForm(c, &in)
	total, note := tripEstimateTotal(in)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return sendHTML(c, travel.EstimateTotal(total, note))
}

// tripEstimateTotal is the estimate typed, summed, or why it cannot be.
func tripEstimateTotal(in models.TravelInput) (total, note string) {
	if !money.ValidCurrency(in.Currency) {
		return "", "Choose a currency to add up the estimate."
	}
	t, ok := models.TravelEstimateTotal(in)
	if !ok {
		return "", "An amount above cannot be read yet."
	}
	return t.String(), ""
}
