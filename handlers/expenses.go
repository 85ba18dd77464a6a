package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/sheet"
	"outlay/storage"
	"outlay/views"
	"outlay/views/expenses"
)

var (
	expenseDocs    = registeredKind(outlay.DocExpense)
	expensesCreate = policy.Permission{Object: outlay.ObjExpenses, Action: outlay.ActCreate}
)

// maxReceiptBytes is the largest receipt: a phone photo or a scanned PDF.
const maxReceiptBytes = 10 << 20

func (s *Server) myExpenses(c *fiber.Ctx) error  { return s.expenseList(c, false) }
func (s *Server) allExpenses(c *fiber.Ctx) error { return s.expenseList(c, true) }

// expenseFilter reads an expense list's filters from the address: the list page and its
// export read them here, so an export holds what the page shows.
func (s *Server) expenseFilter(c *fiber.Ctx, everyone bool) (expenses.List, expenses.Filter, models.ExpenseFilter, error) {
	l := expenses.List{Title: "My expenses", Everyone: everyone, CanCreate: s.can(c, expensesCreate)}
	f := expenses.Filter{Base: expenses.ListPath}
	f.Q, f.Page = listQuery(c)
	mf := models.ExpenseFilter{Mine: !everyone, Query: f.Q}
	if everyone {
		l.Title, f.Base = "All expense reports", expenses.AllPath
		ch, err := s.listChoices(c, "", "")
		if err != nil {
			return l, f, mf, err
		}
		l.Departments, f.Department, mf.DepartmentID = ch.Departments, ch.Department, ch.DepartmentID
	}
	f.Status = expenseStatuses.chosen(c, everyone)
	mf.Status = f.Status
	return l, f, mf, nil
}

// expenseExport exports an expense list (the person's own reports, or everyone's).
func expenseExport(everyone bool) *listExport {
	name := "expenses"
	if everyone {
		name = "all-expenses"
	}
	return &listExport{name: name,
		columns: cols("id", "ID", "number", "Number", "status", "Status", "title", "Title", "owner", "Owner", "department", "Department",
			"period_from", "From", "period_to", "To", "currency", "Currency", "total", "Total", "lines", "Lines", "updated_at", "Updated"),
		rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
			_, _, mf, err := s.expenseFilter(c, everyone)
			ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
			return func(emit func(...any) error) (int, error) {
				return models.EachExpense(ctx, db, v, mf, func(r models.ExpenseSummary) error {
					return emit(r.ID, r.Number, expenses.StatusLabel(r.Status), r.Title, r.OwnerName, r.DepartmentName,
						sheet.DayOf(r.PeriodFrom), sheet.DayOf(r.PeriodTo), r.Currency, amount(r.TotalMinor, r.Currency), r.LineCount, r.UpdatedAt)
				})
			}, err
		},
	}
}

// expenseList shows the person's own reports, or (everyone) every submitted one they may
// see, with search, filters and pages.
func (s *Server) expenseList(c *fiber.Ctx, everyone bool) error {
	ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
	l, f, mf, err := s.expenseFilter(c, everyone)
	if err != nil {
		return err
	}
	l.ExportURL = exportURL(c, f.Base)
	mf.Limit, mf.ByStatus = expenses.PerPage, true
	list, err := fetchPage(&f.Page, expenses.PerPage, func(offset int) (models.ExpenseList, error) {
		mf.Offset = offset
		return models.ListExpenses(ctx, db, v, mf)
	}, func(l models.ExpenseList) (int, int) { return len(l.Rows), l.Total })
	if err != nil {
		return err
	}
	l.Filter, l.Total, l.Summary = f, list.Total, expenseStatuses.summary(list.ByStatus)
	l.Pager = views.Pagination{Page: f.Page, PerPage: expenses.PerPage, Total: list.Total, URL: f.URL, Target: expenses.ResultsID}
	for _, r := range list.Rows {
		row := expenses.Row{ID: r.ID, Title: r.Title, Status: r.Status, Owner: r.OwnerName, Department: r.DepartmentName,
			Period: periodText(r.PeriodFrom, r.PeriodTo), Total: money.Money{Minor: r.TotalMinor, Currency: r.Currency}.String(),
			Lines: r.LineCount, Updated: r.UpdatedAt.UTC().Format("2 Jan 2006")}
		if r.Number != nil {
			row.Number = *r.Number
		}
		l.Rows = append(l.Rows, row)
	}
	p := page{Title: l.Title, Nav: f.Base, Content: expenses.ListPage(l),
		Partials: partials{expenses.ResultsID: expenses.Results(l)}, PushURL: f.URL(f.Page)}
	return s.render(c, http.StatusOK, p)
}

func periodText(from, to *time.Time) string {
	switch {
	case from == nil && to == nil:
		return ""
	case to == nil:
		return "From " + formatDate(from)
	case from == nil:
		return "Until " + formatDate(to)
	}
	return formatDate(from) + " – " + formatDate(to)
}

// expenseInputOf is a stored report as its form shows it, with the version it was read at.
func expenseInputOf(d *models.ExpenseDetail) models.ExpenseInput {
	in := models.ExpenseInput{Title: d.Title, Purpose: d.Purpose, Department: optionalValue(d.DepartmentID),
		PeriodFrom: dateValue(d.PeriodFrom), PeriodTo: dateValue(d.PeriodTo), Currency: d.Currency,
		FormVersion: models.FormVersion{Version: models.VersionAt(d.UpdatedAt)}}
	for _, l := range d.Lines {
		li := models.ExpenseLineInput{Kind: l.Kind, Date: l.SpentOn.Format(models.DateLayout), Category: strconv.FormatInt(l.CategoryID, 10),
			Note: l.Note, Justification: l.Justification, Receipt: optionalValue(l.ReceiptID), From: l.FromPlace, To: l.ToPlace}
		if l.Rate != money.RateOf(1, 0) || l.Currency != d.Currency {
			li.Rate = l.Rate.String()
		}
		if l.RateInverted {
			li.RateAs = models.RatePerReportUnit
		}
		switch l.Kind {
		case models.LineExpense:
			li.Merchant, li.Amount, li.Currency = l.Merchant, l.Amount().Plain(), l.Currency
			if l.TaxMinor != 0 {
				li.Tax = money.Money{Minor: l.TaxMinor, Currency: l.Currency}.Plain()
			}
		case models.LineMileage:
			if l.DistanceMilli != nil && l.Unit != nil {
				li.Distance, li.Unit = l.DistanceMilli.String(), *l.Unit
			}
		case models.LinePerDiem:
			li.Destination = optionalValue(l.PerDiemRateID)
			if l.Days != nil {
				li.Days = strconv.Itoa(*l.Days)
			}
		}
		in.Lines = append(in.Lines, li)
	}
	return in
}

func dateValue(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(models.DateLayout)
}

// expenseForm builds the form's view: what was typed, its messages and its choices. cur is
// the stored report when editing one.
func (s *Server) expenseForm(c *fiber.Ctx, in models.ExpenseInput, errs outlay.ValidationErrors, cur *models.ExpenseDetail) (expenses.Form, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	f := expenses.Form{CSRF: s.csrfToken(c), Title: in.Title, Purpose: in.Purpose, Department: in.Department, PeriodFrom: in.PeriodFrom,
		PeriodTo: in.PeriodTo, Currency: in.Currency, FormKey: in.FormKey, Version: in.Version, Errors: views.FieldErrors{}}
	for k, msg := range errs {
		f.Errors[k] = msg
	}
	threshold, err := models.ReceiptThreshold(ctx, db)
	if err != nil {
		return f, err
	}
	f.Threshold = threshold.String()
	if f.Currency == "" {
		f.Currency = threshold.Currency
	}
	depts, err := s.departments(c)
	if err != nil {
		return f, err
	}
	for _, d := range depts {
		f.Departments = append(f.Departments, expenses.Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
	}
	cats, err := models.ActiveExpenseCategories(ctx, db)
	if err != nil {
		return f, err
	}
	for _, k := range cats {
		label := k.Name
		if lt := k.LimitText(); lt != "" {
			label += " (up to " + lt + ")"
		}
		f.Categories = append(f.Categories, expenses.Option{Value: strconv.FormatInt(k.ID, 10), Label: label})
	}
	rates, err := models.ActivePerDiemRates(ctx, db)
	if err != nil {
		return f, err
	}
	for _, r := range rates {
		f.Destinations = append(f.Destinations, expenses.Option{Value: strconv.FormatInt(r.ID, 10), Label: r.Destination + " (" + r.Daily().String() + " a day)"})
	}
	have := []string{f.Currency}
	for _, l := range in.Lines {
		have = append(have, l.Currency)
	}
	f.Currencies = currencyOptions(have...)
	total := int64(0)
	if cur != nil {
		f.ID, f.Status, f.CanDelete = cur.ID, cur.Status, cur.Status == models.ExpenseDraft && cur.Number == nil
		f.HistoryURL = expenseDocs.Path(cur.ID) + "/history"
		if cur.Number != nil {
			f.Number = *cur.Number
		}
		if r := cur.Returned(); r != nil {
			f.Returned = &expenses.Decision{By: r.ActedByName, At: formatMoment(r.ActedAt), Comment: r.Comment}
		}
		f.Steps = expenseSteps(cur.Steps)
		total = cur.TotalMinor
		comments, attachments, err := s.documentActivity(c, expenseDocs, cur.Seen())
		if err != nil {
			return f, err
		}
		f.Comments, f.Attachments = &comments, &attachments
		if f.Trip, err = tripCosts(c, cur.ID, true); err != nil {
			return f, err
		}
	}
	f.Total = money.Money{Minor: total, Currency: f.Currency}.String()
	for i, l := range in.Lines {
		f.Lines = append(f.Lines, expenseFormLine(l, i, cur, threshold))
	}
	return f, nil
}

// expenseFormLine is row i of the form as typed (l), with what the stored report cur (nil for
// none) knows of its line there: its id, flags, price and receipt.
func expenseFormLine(l models.ExpenseLineInput, i int, cur *models.ExpenseDetail, threshold money.Money) expenses.FormLine {
	fl := expenses.FormLine{Kind: l.Kind, Date: l.Date, Category: l.Category, Merchant: l.Merchant, Amount: l.Amount, Tax: l.Tax,
		Currency: l.Currency, Rate: l.Rate, RateAs: l.RateAs, Note: l.Note, Justification: l.Justification, Receipt: l.Receipt, From: l.From, To: l.To,
		Distance: l.Distance, Unit: l.Unit, Days: l.Days, Destination: l.Destination}
	if cur != nil && i < len(cur.LineDetails) && cur.LineDetails[i].Kind == l.Kind {
		d := cur.LineDetails[i]
		fl.LineID, fl.Flags = d.ID, d.Flags()
		fl.Priced = money.Money{Minor: d.ReportMinor, Currency: cur.Currency}.String()
		if d.ReceiptID != nil && d.ReceiptName != "" {
			fl.ReceiptName, fl.ReceiptHref = d.ReceiptName, expenses.AttachmentPath(cur.ID, *d.ReceiptID)
		}
		fl.ReceiptNeeded, _ = models.ReceiptRequired(d.ExpenseLine, cur.Currency, threshold)
	}
	return fl
}

func expenseSteps(steps []models.ApprovalStepDetail) []expenses.Step {
	var out []expenses.Step
	for _, st := range steps {
		step := expenses.Step{Round: st.Round, Position: st.Position, Who: stepWho(st), Status: st.Status,
			ActedBy: st.ActedByName, At: formatMoment(st.ActedAt), Comment: st.Comment, Rule: st.RuleName}
		if st.OnBehalfOfName != "" {
			step.ActedBy += " for " + st.OnBehalfOfName
		}
		out = append(out, step)
	}
	return out
}

func (s *Server) renderExpenseForm(c *fiber.Ctx, status int, f expenses.Form) error {
	// A form answering a post shows what was typed, not what is stored.
	f.Unsaved = c.Method() == fiber.MethodPost
	title := "New expense report"
	if f.Number != "" {
		title = "Expense report " + f.Number
	} else if f.ID != 0 {
		title = "Draft expense report"
	}
	return s.render(c, status, page{Title: title, Nav: expenses.ListPath, Content: expenses.FormPage(f)})
}

func (s *Server) newExpensePage(c *fiber.Ctx) error {
	in := models.ExpenseInput{FormKey: newFormKey(), Lines: []models.ExpenseLineInput{{Kind: models.LineExpense}}}
	f, err := s.expenseForm(c, in, nil, nil)
	if err != nil {
		return err
	}
	return s.renderExpenseForm(c, http.StatusOK, f)
}

func (s *Server) createExpense(c *fiber.Ctx) error { return s.saveExpense(c, nil) }

func (s *Server) updateExpense(c *fiber.Ctx) error {
	d, err := s.ownExpenseFromPath(c)
	if err != nil {
		// A form read at a version of a report gone since says it was deleted, and comes back
		// with what was typed.
		var post expensePost
		bindForm(c, &post)
		if err := post.DraftGone("expense report", err); models.DraftDeleted(err) {
			return s.refuseExpense(c, post.ExpenseInput, err, nil)
		}
		return err
	}
	if !d.Editable() {
		return outlay.Conflict("This expense report is no longer editable: it is waiting for approval or was decided.")
	}
	return s.saveExpense(c, d)
}

// priceTypedLines shows the total and each line's amount of what was typed, as the totals
// endpoint works them out while typing: the form answered to adding or removing a line
// showed the stored total ($0.00 for a new report) until the next keystroke.
func priceTypedLines(c *fiber.Ctx, in models.ExpenseInput, f *expenses.Form) error {
	live, err := models.PriceExpenseLive(c.UserContext(), tenantDB(c), in)
	if err != nil || live.Currency == "" {
		return err
	}
	f.Total = money.Money{Minor: live.Total, Currency: live.Currency}.String()
	for i, a := range live.Lines {
		if i < len(f.Lines) {
			f.Lines[i].Priced = ""
			if a != nil {
				f.Lines[i].Priced = money.Money{Minor: *a, Currency: live.Currency}.String()
			}
		}
	}
	return nil
}

// expensePost is the report form as posted: what was typed, and which button sent it
// ("add-" and a kind of line, "remove-" and a line's number, "submit", or "" to save).
type expensePost struct {
	models.ExpenseInput
	Intent string `form:"intent"`
}

// saveExpense answers the form: add or remove a line (nothing saved), save the draft, or save
// and submit it. A refusal shows the form again with every message beside its field and
// nothing saved.
func (s *Server) saveExpense(c *fiber.Ctx, cur *models.ExpenseDetail) error {
	var post expensePost
	bindForm(c, &post)
	in, intent := post.ExpenseInput, post.Intent
	if kind, ok := strings.CutPrefix(intent, "add-"); ok {
		switch kind {
		case models.LineExpense, models.LineMileage, models.LinePerDiem:
			in.Lines = append(in.Lines, models.ExpenseLineInput{Kind: kind})
		}
		f, err := s.expenseForm(c, in, nil, cur)
		if err != nil {
			return err
		}
		if err := priceTypedLines(c, in, &f); err != nil {
			return err
		}
		f.Added = len(f.Lines)
		return s.renderExpenseForm(c, http.StatusOK, f)
	}
	if n, ok := strings.CutPrefix(intent, "remove-"); ok {
		removed := 0
		if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(in.Lines) {
			in.Lines = append(in.Lines[:i], in.Lines[i+1:]...)
			removed = i + 1
		}
		f, err := s.expenseForm(c, in, nil, nil)
		if err != nil {
			return err
		}
		f.Removed = removed
		if cur != nil {
			// Rows moved: stored ids no longer match rows until it is saved.
			f.ID, f.Status, f.Number, f.HistoryURL = cur.ID, cur.Status, strOr(cur.Number), expenseDocs.Path(cur.ID)+"/history"
			if f.Trip, err = tripCosts(c, cur.ID, true); err != nil {
				return err
			}
		}
		if err := priceTypedLines(c, in, &f); err != nil {
			return err
		}
		return s.renderExpenseForm(c, http.StatusOK, f)
	}
	var id int64
	if cur != nil {
		id = cur.ID
	}
	submit := intent == "submit"
	r, err := models.SaveExpense(c.UserContext(), tenantDB(c), currentUser(c).UserID, id, in, submit)
	return expenseFlow.answerSave(s, c, r, err, submit, func(outlay.ValidationErrors) error {
		return s.refuseExpense(c, in, err, cur)
	})
}

// refuseExpense shows the form of cur (nil for a new report) again as typed (in), with the
// refusal err of its save: each message beside its field and a summary above the form. A
// report deleted since its form was read is gone: the form comes back as a new report's.
func (s *Server) refuseExpense(c *fiber.Ctx, in models.ExpenseInput, err error, cur *models.ExpenseDetail) error {
	verr, _ := outlay.AsValidation(err)
	in.TakeCurrentVersion(err)
	if startOver(err, &in.FormKey) {
		cur = nil
	}
	f, err := s.expenseForm(c, in, verr, cur)
	if err != nil {
		return err
	}
	markRefused(f.Errors, verr)
	return s.renderExpenseForm(c, http.StatusUnprocessableEntity, f)
}

func strOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// expenseFromPath reads the report the path names, if the viewer may see it.
func (s *Server) expenseFromPath(c *fiber.Ctx) (*models.ExpenseDetail, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	return models.GetExpense(c.UserContext(), tenantDB(c), s.viewer(c), id)
}

// ownExpenseFromPath reads the report the path names for what only its owner may do (change
// it, attach a receipt): another person's report, though the viewer may see it (AP, an
// approver), is not found, as another person's draft is, which neither tells it is there nor
// misstates its status.
func (s *Server) ownExpenseFromPath(c *fiber.Ctx) (*models.ExpenseDetail, error) {
	d, err := s.expenseFromPath(c)
	if err == nil && d.OwnerID != currentUser(c).UserID {
		return nil, models.ErrNoSuchExpense
	}
	return d, err
}

func (s *Server) expenseEditableByMe(c *fiber.Ctx, d *models.ExpenseDetail) bool {
	return d.OwnerID == currentUser(c).UserID && d.Editable() && !readOnly(c)
}

// expensePage shows a report: the form when it is the viewer's own and still editable, the
// read-only page otherwise.
func (s *Server) expensePage(c *fiber.Ctx) error {
	d, err := s.expenseFromPath(c)
	if err != nil {
		return err
	}
	if s.expenseEditableByMe(c, d) {
		in, hints := expenseInputOf(d), map[int]string{}
		note, err := offerTripPerDiem(c, d, &in, hints)
		if err != nil {
			return err
		}
		f, err := s.expenseForm(c, in, nil, d)
		if err != nil {
			return err
		}
		for i, h := range hints {
			f.Lines[i].Hint = h
		}
		if f.Trip != nil {
			f.Trip.PerDiemNote = note
		}
		return s.renderExpenseForm(c, http.StatusOK, f)
	}
	v, err := s.expenseDetail(c, d)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, page{Title: v.Title, Nav: expenses.ListPath, Content: expenses.DetailPage(v)})
}

func expenseTitle(d *models.ExpenseDetail) string {
	if d.Number != nil {
		return "Expense report " + *d.Number
	}
	return "Draft expense report"
}

// expenseLines are a report's lines as its pages show them.
func expenseLines(d *models.ExpenseDetail) []expenses.Line {
	var out []expenses.Line
	for _, l := range d.LineDetails {
		line := expenses.Line{Position: l.Position, Date: l.SpentOn.Format("2 Jan 2006"), Kind: l.Kind, Description: l.Describe(),
			Category: l.CategoryName, GLAccount: l.GLCode, Amount: l.Amount().String(), Note: l.Note, Flags: l.Flags()}
		if l.Currency != d.Currency {
			line.Converted = money.Money{Minor: l.ReportMinor, Currency: d.Currency}.String()
			line.Rate = l.RateText(d.Currency)
		}
		if l.TaxMinor != 0 {
			line.Tax = money.Money{Minor: l.TaxMinor, Currency: l.Currency}.String()
		}
		if l.ReceiptID != nil && l.ReceiptName != "" {
			line.Receipt = &expenses.Receipt{Href: expenses.AttachmentPath(d.ID, *l.ReceiptID), Name: l.ReceiptName,
				Image: strings.HasPrefix(l.ReceiptType, "image/")}
		}
		out = append(out, line)
	}
	return out
}

// expenseDetail is the read-only view of d.
func (s *Server) expenseDetail(c *fiber.Ctx, d *models.ExpenseDetail) (expenses.Detail, error) {
	v := expenses.Detail{ID: d.ID, CSRF: s.csrfToken(c), Title: expenseTitle(d), Name: d.Title, Number: strOr(d.Number), Status: d.Status,
		Owner: d.OwnerName, Department: d.DepartmentName, Period: periodText(d.PeriodFrom, d.PeriodTo), Purpose: d.Purpose,
		Total: d.Total().String(), Currency: d.Currency, Submitted: formatMoment(d.SubmittedAt), Decided: formatMoment(d.DecidedAt),
		Lines: expenseLines(d), Steps: expenseSteps(d.Steps), HistoryURL: expenseDocs.Path(d.ID) + "/history"}
	for _, st := range d.Steps {
		if st.Status == models.StepPending {
			v.WaitingFor = waitingForWho(st)
		}
	}
	v.CanWithdraw = d.OwnerID == currentUser(c).UserID && d.Status == models.ExpenseSubmitted && !readOnly(c)
	// Whoever schedules reports for payment may send an approved one back before it is paid.
	v.CanSendBack = d.Status == models.ExpenseApproved && s.can(c, reimburseCreate)
	if v.CanSendBack {
		v.SendBack = expenses.SendBackForm{Errors: views.FieldErrors{}}
	}
	var err error
	if v.Trip, err = tripCosts(c, d.ID, true); err != nil {
		return v, err
	}
	if v.Settlement, err = s.expenseSettlement(c, d); err != nil {
		return v, err
	}
	v.Comments, v.Attachments, err = s.documentActivity(c, expenseDocs, d.Seen())
	return v, err
}

func (s *Server) deleteExpense(c *fiber.Ctx) error { return expenseFlow.deleteDraft(s, c) }

// sendBackExpense sends an approved report back to its owner with the reason (AP found it
// wrong before paying it); a refused reason comes back beside its field, typed as it was.
func (s *Server) sendBackExpense(c *fiber.Ctx) error {
	d, err := s.expenseFromPath(c)
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	_, err = models.SendBackExpense(c.UserContext(), tenantDB(c), currentUser(c).UserID, d.ID, reason)
	if verr, ok := outlay.AsValidation(err); ok {
		v, derr := s.expenseDetail(c, d)
		if derr != nil {
			return derr
		}
		v.SendBack = expenses.SendBackForm{Reason: reason, Errors: views.FieldErrors(verr), Open: true}
		return s.render(c, http.StatusUnprocessableEntity, page{Title: v.Title, Nav: expenses.ListPath, Content: expenses.DetailPage(v)})
	}
	if errors.Is(err, outlay.ErrConflict) {
		s.setFlash(c, "error", err.Error())
		return redirect(c, expenses.Path(d.ID))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", fmt.Sprintf("%s is sent back to %s, with your reason.", strOr(d.Number), d.OwnerName))
	return redirect(c, expenses.Path(d.ID))
}

func (s *Server) expenseHistory(c *fiber.Ctx) error {
	d, err := s.expenseFromPath(c)
	if err != nil {
		return err
	}
	title := expenseTitle(d)
	return s.history(c, expenseDocs.Base, "History of "+title, expenseDocs.Path(d.ID), "Back to "+title,
		expenseDocs.RecordHistory(strconv.FormatInt(d.ID, 10)))
}

// attachExpenseReceipt stores a photo or PDF as the receipt of one line of the owner's
// editable report. The report is checked before any byte is stored; a refused file (too
// large, empty, not a photo or PDF) is named beside the line's receipt and nothing changes.
func (s *Server) attachExpenseReceipt(c *fiber.Ctx) error {
	v := s.viewer(c)
	d, err := s.ownExpenseFromPath(c)
	if err != nil {
		return err
	}
	lineID, err := pathID(c, "line")
	if err != nil {
		return err
	}
	row := -1
	for i, l := range d.Lines {
		if l.ID == lineID {
			row = i
		}
	}
	if row < 0 {
		return outlay.NotFound("That line does not exist.")
	}
	if !d.Editable() {
		return outlay.Conflict("This expense report is no longer editable: it is waiting for approval or was decided.")
	}
	readAt, err := s.receiveReceipt(c, d.ID, lineID, v)
	if verr, ok := outlay.AsValidation(err); ok {
		msg := verr["file"]
		if msg == "" {
			msg = verr["receipt"]
		}
		if msg == "" {
			msg = "Choose a photo or PDF of the receipt."
		}
		refusal := outlay.ValidationErrors{models.ExpenseField(row, "receipt"): msg}
		f, err := s.expenseForm(c, expenseInputOf(d), refusal, d)
		if err != nil {
			return err
		}
		markRefused(f.Errors, refusal)
		if isHTMX(c) {
			c.Status(http.StatusUnprocessableEntity)
			return sendHTML(c, expenses.ReceiptField(f, row, f.Lines[row]))
		}
		return s.renderExpenseForm(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	done := fmt.Sprintf("Receipt attached to line %d.", row+1)
	if isHTMX(c) {
		// Only the line's receipt is answered, so what was typed elsewhere on the form and
		// not saved yet stays as it is.
		// That field alone is built: the form's other parts (its choices, comments, the trip)
		// are not read for it.
		if d, err = s.expenseFromPath(c); err != nil {
			return err
		}
		in := expenseInputOf(d)
		if row >= len(in.Lines) {
			return outlay.NotFound("That line does not exist.")
		}
		threshold, err := models.ReceiptThreshold(c.UserContext(), tenantDB(c))
		if err != nil {
			return err
		}
		f := expenses.Form{CSRF: s.csrfToken(c), Errors: views.FieldErrors{}}
		field := expenses.ReceiptField(f, row, expenseFormLine(in.Lines[row], row, d, threshold))
		c.Set("HX-Trigger", toastTrigger("success", done))
		if c.Get(draftVersionHeader) != readAt {
			// The form was read before another change: it stays at its version, so that
			// saving it is still refused rather than undoing that change.
			return sendHTML(c, field)
		}
		return sendHTML(c, field, views.DraftVersionSwap(in.Version))
	}
	s.setFlash(c, "success", done)
	return redirect(c, expenses.Path(d.ID)+"#line-"+strconv.Itoa(row))
}

// receiveReceipt stores the uploaded receipt of line lineID of report id, and says the
// version of the report it was attached to.
func (s *Server) receiveReceipt(c *fiber.Ctx, id, lineID int64, v models.Viewer) (string, error) {
	f, err := s.uploadedFile(c, "file")
	if err != nil {
		return "", err
	}
	up, err := s.blobs.Receive(c.UserContext(), tenantOf(c).Slug, f, f.FileName(), min(s.cfg.MaxUploadBytes, maxReceiptBytes))
	if err != nil {
		var verr outlay.ValidationErrors
		if errors.As(err, &verr) && strings.HasPrefix(verr["file"], "This file is larger") {
			return "", outlay.ValidationErrors{"file": "This receipt is larger than " + storage.FormatSize(min(s.cfg.MaxUploadBytes, maxReceiptBytes)) + ": take the photo again at a smaller size, or attach a PDF."}
		}
		if errors.As(err, &verr) && strings.HasPrefix(verr["file"], "Files of this kind") {
			return "", outlay.ValidationErrors{"file": "A receipt must be a photo (JPEG, PNG, WebP or GIF) or a PDF."}
		}
		return "", err
	}
	_, from, err := models.AttachReceiptFrom(c.UserContext(), tenantDB(c), v, id, lineID, models.NewAttachment{Filename: up.Filename,
		ContentType: up.ContentType, SizeBytes: up.Size, SHA256: up.SHA256, StorageKey: up.Key})
	return from, err
}

// openExpensesCard is the dashboard's card of the person's reports not yet paid: how many,
// and their total in each currency ("2 · $310.50").
func (s *Server) openExpensesCard(c *fiber.Ctx, sum models.DashboardSummary) templ.Component {
	card := expenses.OpenCard{}
	for _, n := range sum.Open[models.DocExpense] {
		card.Count += n
	}
	totals := sum.OpenTotals[models.DocExpense]
	currencies := make([]string, 0, len(totals))
	for cur := range totals {
		currencies = append(currencies, cur)
	}
	slices.Sort(currencies)
	for _, cur := range currencies {
		card.Totals = append(card.Totals, money.Money{Minor: totals[cur], Currency: cur}.String())
	}
	if s.can(c, expensesCreate) {
		card.NewURL = expenses.NewPath
	}
	return expenses.OpenExpensesCard(card)
}
