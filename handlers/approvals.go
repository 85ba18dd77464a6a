package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/views"
	"outlay/views/approvals"
)

var (
	approvalsApprove  = policy.Permission{Object: outlay.ObjApprovals, Action: outlay.ActApprove}
	approvalsDelegate = policy.Permission{Object: outlay.ObjApprovals, Action: outlay.ActUpdate}
)

// stepFromPath reads the step id of the URL; anything but a positive number names nothing.
func stepFromPath(c *fiber.Ctx) (int64, error) {
	id, err := pathID(c, "step")
	if err != nil {
		return 0, outlay.ErrNotFound
	}
	return id, nil
}

func (s *Server) approvalsPage(c *fiber.Ctx) error {
	q, err := s.approvalQueue(c, s.viewer(c))
	if err != nil {
		return err
	}
	p := page{Title: "Approvals", Nav: approvals.QueuePath, Content: approvals.QueuePage(q),
		Partials: partials{approvals.ResultsID: approvals.Results(q)}, PushURL: q.Filter.URL(q.Filter.Page)}
	return s.render(c, http.StatusOK, p)
}

// approvalQueue reads the queue page the query string asks for, with its choices.
func (s *Server) approvalQueue(c *fiber.Ctx, v models.Viewer) (approvals.Queue, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	q, f, mf, err := s.approvalFilter(c)
	if err != nil {
		return q, err
	}
	q.ExportURL = exportURL(c, approvals.QueuePath)
	mf.Page = f.Page
	list, err := models.ApprovalQueue(ctx, db, v, mf)
	if err != nil {
		return q, err
	}
	// The badge counts the whole queue, counted with the list's own total.
	q.Count = list.Whole
	if len(list.Items) == 0 && list.Total > 0 {
		// A page past the end shows the last one.
		f.Page, mf.Page = list.Pages, list.Pages
		if list, err = models.ApprovalQueue(ctx, db, v, mf); err != nil {
			return q, err
		}
	}
	q.Filter, q.Total, q.Pages = f, list.Total, list.Pages
	for _, it := range list.Items {
		q.Rows = append(q.Rows, queueRow(it, v))
	}
	return q, nil
}

// approvalExport exports the person's approval queue with its filters.
var approvalExport = &listExport{name: "approvals",
	columns: cols("step_id", "Step ID", "kind", "Kind", "number", "Number", "requester", "Requester", "department", "Department",
		"vendor", "Vendor", "currency", "Currency", "total", "Total", "submitted_at", "Submitted", "step", "Step", "of", "Steps", "approver", "Approver"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		q, _, mf, err := s.approvalFilter(c)
		if err == nil && q.FilterError != "" {
			err = outlay.ValidationErrors{"min": q.FilterError}
		}
		ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
		return func(emit func(...any) error) (int, error) {
			return models.EachQueueItem(ctx, db, v, mf, func(it models.QueueItem) error {
				label := it.DocType
				if k, ok := models.FindDocumentKind(it.DocType); ok {
					label = k.Label
				}
				return emit(it.StepID, label, it.Number, it.RequesterName, it.DepartmentName, it.VendorName, it.Currency,
					amount(it.TotalMinor, it.Currency), it.SubmittedAt, it.Position, it.StepCount, it.ApproverName)
			})
		}, err
	},
}

// approvalFilter reads the queue's filters from the address, with the choices they offer:
// the queue page and its export read them here.
func (s *Server) approvalFilter(c *fiber.Ctx) (approvals.Queue, approvals.Filter, models.QueueFilter, error) {
	f := approvals.Filter{MinAmount: strings.TrimSpace(c.Query("min"))}
	f.Q, f.Page = listQuery(c)
	q := approvals.Queue{CSRF: s.csrfToken(c), CanApprove: s.can(c, approvalsApprove), CanDelegate: s.can(c, approvalsDelegate)}
	mf := models.QueueFilter{Search: f.Q, PerPage: approvals.PerPage}
	for _, k := range models.ApprovableKinds() {
		q.DocTypes = append(q.DocTypes, approvals.Option{Value: k.Type, Label: k.Label})
		if c.Query("type") == k.Type {
			f.DocType, mf.DocType = k.Type, k.Type
		}
	}
	ch, err := s.listChoices(c, "", "")
	if err != nil {
		return q, f, mf, err
	}
	q.Departments, f.Department, mf.DepartmentID = ch.Departments, ch.Department, ch.DepartmentID
	if f.MinAmount != "" {
		settings, err := s.orgSettings(c)
		if err != nil {
			return q, f, mf, err
		}
		m, err := money.Parse(f.MinAmount, settings.DefaultCurrency)
		if err != nil || m.Minor < 0 {
			q.FilterError = "Enter an amount like 1000 or 1,000.00."
		} else {
			mf.MinAmountMinor = m.Minor
		}
	}
	return q, f, mf, nil
}

// queueRow shows one queue item.
func queueRow(it models.QueueItem, v models.Viewer) approvals.Row {
	r := approvals.Row{StepID: it.StepID, DocType: it.DocType, DocID: it.DocID, Number: it.Number, Requester: it.RequesterName,
		Department: it.DepartmentName, Vendor: it.VendorName, Total: it.Total().String(),
		Step: fmt.Sprintf("Step %d of %d", it.Position, it.StepCount), Status: it.Status}
	if it.SubmittedAt != nil {
		r.Submitted = it.SubmittedAt.UTC().Format("2 Jan 2006")
	}
	if it.Role != nil {
		r.Role = it.RoleLabel
	}
	if it.ApproverID != nil && *it.ApproverID != v.UserID {
		r.OnBehalfOf = it.ApproverName
	}
	if it.Status != models.StepPending {
		r.Decided = true
		r.Outcome = decidedText(it, v)
	}
	return r
}

// decidedText says who decided a step that is no longer waiting.
func decidedText(it models.QueueItem, v models.Viewer) string {
	who := it.ActedByName
	switch {
	case it.Status == models.StepWaiting:
		return "An earlier step is still waiting."
	case it.ActedByName == "":
		return "This request was withdrawn or decided before you acted."
	case it.ActedAt != nil:
		who += " at " + it.ActedAt.UTC().Format("15:04")
	}
	text := fmt.Sprintf("%s by %s.", views.StepStatusLabel(it.Status), who)
	if it.Comment != "" {
		text += " “" + it.Comment + "”"
	}
	return text
}

func (s *Server) approvalDetails(c *fiber.Ctx) error {
	id, err := stepFromPath(c)
	if err != nil {
		return err
	}
	v := s.viewer(c)
	d, err := models.ApprovalStepDetails(c.UserContext(), tenantDB(c), v, id)
	if err != nil {
		return err
	}
	view := detailsView(d)
	if extra := approvalExtras[d.Item.DocType]; extra != nil {
		if view.Extra, err = extra(s, c, d.Item.DocID); err != nil {
			return err
		}
	}
	if isHTMX(c) {
		return s.render(c, http.StatusOK, page{Content: approvals.DetailsPanel(view)})
	}
	return s.render(c, http.StatusOK, page{Title: d.Item.Number, Nav: approvals.QueuePath,
		Content: approvals.DetailsPage(s.csrfToken(c), s.can(c, approvalsApprove), queueRow(d.Item, v), view)})
}

// approvalExtras show, for a kind of document, what its approver reads of it beside its
// lines (a trip's legs), from the document's id; the document is already found visible.
var approvalExtras = map[string]func(s *Server, c *fiber.Ctx, docID int64) (templ.Component, error){}

// detailsView shows an item's details.
func detailsView(d models.StepDetails) approvals.Details {
	it := d.Item
	cur := it.Currency
	v := approvals.Details{StepID: it.StepID, DocType: it.DocType, DocID: it.DocID, Justification: it.Justification}
	// A line's amount is before tax, as on the requisition's and the order's pages; the tax
	// is added once, in the totals under the lines.
	var subtotal, tax int64
	for _, l := range d.Lines {
		line := approvals.Line{Description: l.Description, Quantity: l.QuantityMilli.String(),
			UnitPrice: money.Money{Minor: l.UnitPriceMinor, Currency: cur}.String(), TaxRate: money.FormatRate(l.TaxRateBP) + "%",
			GLCode: l.GLCode, Amount: money.Money{Minor: l.AmountMinor, Currency: cur}.String(), Notes: l.Notes}
		if l.ReceiptID != nil {
			line.Receipt, line.ReceiptImage = *l.ReceiptID, strings.HasPrefix(l.ReceiptType, "image/")
		}
		v.Lines = append(v.Lines, line)
		subtotal, tax = subtotal+l.AmountMinor, tax+l.TaxMinor
	}
	v.Subtotal, v.Tax = money.Money{Minor: subtotal, Currency: cur}.String(), money.Money{Minor: tax, Currency: cur}.String()
	v.Total = money.Money{Minor: subtotal + tax, Currency: cur}.String()
	for _, a := range d.Attachments {
		v.Attachments = append(v.Attachments, approvals.Attachment{ID: a.ID, Name: a.Filename, Size: byteSize(a.SizeBytes)})
	}
	for _, st := range d.Route {
		who := st.ApproverName
		if st.Role != nil && who == "" {
			who = "Anyone with the role " + st.RoleLabel
		}
		rs := approvals.RouteStep{Position: st.Position, Who: who, Status: st.Status, ActedBy: st.ActedByName, Comment: st.Comment}
		if st.ActedAt != nil {
			rs.When = st.ActedAt.UTC().Format("2 Jan 2006 15:04")
		}
		v.Route = append(v.Route, rs)
	}
	v.Budget = budgetRows(d.Budget)
	return v
}

// budgetRows shows the budget check's figures.
func budgetRows(lines []models.BudgetLine) []approvals.BudgetRow {
	var out []approvals.BudgetRow
	for _, b := range lines {
		row := approvals.BudgetRow{Label: b.DepartmentName + " · " + b.GLCode + " " + b.GLName,
			Period: b.PeriodStart.Format("2 Jan 2006") + " – " + b.PeriodEnd.Format("2 Jan 2006"),
			Budget: b.Budget.String(), Spent: b.Spent.String(), Committed: b.Committed.String(), This: b.ThisDocument.String(),
			Remaining: b.Remaining.String(), Over: b.Over()}
		if b.Unchecked {
			row.Spent, row.Committed, row.Remaining = "—", "—", "Not comparable: the budget is in "+b.Budget.Currency
		}
		out = append(out, row)
	}
	return out
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func (s *Server) approveStep(c *fiber.Ctx) error { return s.decideStep(c, true) }

func (s *Server) rejectStep(c *fiber.Ctx) error { return s.decideStep(c, false) }

// decideStep approves or rejects one step. htmx gets the item's rows back (decided, or with
// the comment's error, or as someone else left it), the new count and a toast; a plain form
// post goes back to the queue with a flash.
func (s *Server) decideStep(c *fiber.Ctx, approve bool) error {
	id, err := stepFromPath(c)
	if err != nil {
		return err
	}
	ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
	var post struct {
		Comment string `form:"comment"`
	}
	bindForm(c, &post)
	comment := post.Comment
	res, err := models.DecideStep(ctx, db, v, id, models.Decision{Approve: approve, Comment: comment})
	kind, msg, status := "success", "", http.StatusOK
	verr, invalid := outlay.AsValidation(err)
	switch {
	case err == nil:
		msg = decisionToast(res)
		if res.OverBudget {
			kind = "error"
		}
	case invalid:
		kind, msg, status = "error", verr["comment"], http.StatusUnprocessableEntity
	case errors.Is(err, outlay.ErrConflict) && !errors.Is(err, outlay.ErrNotFound):
		kind, msg = "error", err.Error()
	default:
		return err
	}
	if !isHTMX(c) {
		s.setFlash(c, kind, msg)
		return redirect(c, approvals.QueuePath)
	}
	// The row, the badge and the bell are read in one statement, from the decided step's kind
	// of document alone when the decision went through.
	after, err := models.QueueStepAfterDecision(ctx, db, v, id, res.Step.DocType)
	if err != nil {
		return err
	}
	row := queueRow(after.Item, v)
	switch {
	case invalid:
		row.Comment, row.CommentError = comment, msg
	case kind == "success" || row.Decided:
		// Decided, by this person or (a lost race) by someone else, whom the row names.
		row.Outcome = msg
	default:
		// Still open: a blocked budget, or a step not reached yet.
		row.Notice = msg
	}
	c.Set("HX-Trigger", toastTrigger(kind, msg))
	c.Status(status)
	return sendHTML(c, approvals.RowBody(s.csrfToken(c), s.can(c, approvalsApprove), row), approvals.CountUpdate(after.Count),
		views.Bell(after.Unread, true))
}

// decisionToast says what a decision did.
func decisionToast(res models.Decided) string {
	switch res.DocStatus {
	case models.StepRejected:
		return "Rejected: the request is back with its requester."
	case models.StepPending:
		return "Approved. It moves on to the next approver."
	}
	msg := "Approved: the request is fully approved."
	for _, b := range res.Budget {
		if b.Unchecked {
			msg += fmt.Sprintf(" Warning: %s · %s is budgeted in %s and could not be checked.", b.DepartmentName, b.GLCode, b.Budget.Currency)
		}
		if b.Over() {
			msg += fmt.Sprintf(" Warning: %s · %s is over budget (remaining %s).", b.DepartmentName, b.GLCode, b.Remaining)
		}
	}
	return msg
}

// bulkApprove approves each ticked step on its own: one that someone else decided first, or
// that a budget blocks, is counted and left as it is.
func (s *Server) bulkApprove(c *fiber.Ctx) error {
	ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
	approved, decided, refused := 0, 0, 0
	var post struct {
		Steps []string `form:"step"` // the ticked steps' ids
	}
	bindForm(c, &post)
	for _, raw := range post.Steps {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		_, err = models.DecideStep(ctx, db, v, id, models.Decision{Approve: true})
		var over *models.BudgetExceededError
		switch {
		case err == nil:
			approved++
		case errors.As(err, &over), errors.Is(err, models.ErrOwnDocument), errors.Is(err, models.ErrSecondApproval), errors.Is(err, outlay.ErrNotFound):
			refused++
		case errors.Is(err, outlay.ErrConflict):
			decided++
		default:
			return err
		}
	}
	msg, kind := bulkSummary(approved, decided, refused)
	if !isHTMX(c) {
		s.setFlash(c, kind, msg)
		return redirect(c, approvals.QueuePath)
	}
	q, err := s.approvalQueue(c, v)
	if err != nil {
		return err
	}
	c.Set("HX-Trigger", toastTrigger(kind, msg))
	if err := sendHTML(c, approvals.Results(q), approvals.CountUpdate(q.Count)); err != nil {
		return err
	}
	return s.renderBell(c, true)
}

// bulkSummary says what a bulk approval did: "3 approved, 1 already decided".
func bulkSummary(approved, decided, refused int) (msg, kind string) {
	if approved+decided+refused == 0 {
		return "Tick the requests to approve first.", "error"
	}
	parts := []string{outlay.Count(approved) + " approved"}
	if decided > 0 {
		parts = append(parts, outlay.Count(decided)+" already decided")
	}
	if refused > 0 {
		parts = append(parts, outlay.Count(refused)+" refused (over budget or not yours to approve)")
	}
	kind = "success"
	if approved == 0 {
		kind = "error"
	}
	return strings.Join(parts, ", ") + ".", kind
}

func (s *Server) delegationPage(c *fiber.Ctx) error {
	return s.renderDelegation(c, http.StatusOK, approvals.DelegationForm{Errors: views.FieldErrors{}})
}

func (s *Server) renderDelegation(c *fiber.Ctx, status int, f approvals.DelegationForm) error {
	ctx, db, me := c.UserContext(), tenantDB(c), currentUser(c).UserID
	f.CSRF = s.csrfToken(c)
	var err error
	if f.DelegateName, err = chosenPerson(c, f.Delegate); err != nil {
		return err
	}
	f.DelegateName = typedText(c, "delegate", f.DelegateName)
	if htmxTarget(c) == approvals.FormID {
		return s.render(c, status, page{Content: approvals.DelegationFormView(f)})
	}
	given, received, err := models.Delegations(ctx, db, me)
	if err != nil {
		return err
	}
	v := approvals.Delegation{CSRF: f.CSRF, Form: f}
	now := time.Now()
	for _, d := range given {
		row := delegationRow(d, d.DelegateName, now)
		if !d.DelegateActive {
			// Deactivated since: they approve nothing, and the page must not say they do.
			row.Person += " (deactivated: nobody approves for you)"
			row.Current = false
		}
		v.Given = append(v.Given, row)
	}
	for _, d := range received {
		v.Received = append(v.Received, delegationRow(d, d.UserName, now))
	}
	return s.render(c, status, page{Title: "Out of office", Nav: approvals.QueuePath, Content: approvals.DelegationPage(v)})
}

func delegationRow(d models.DelegationView, person string, now time.Time) approvals.DelegationRow {
	return approvals.DelegationRow{ID: d.ID, Person: person, From: d.StartsOn.Format("2 Jan 2006"), To: d.EndsOn.Format("2 Jan 2006"),
		Current: d.Current(now)}
}

func (s *Server) setDelegation(c *fiber.Ctx) error {
	f := approvals.DelegationForm{Errors: views.FieldErrors{}}
	bindForm(c, &f)
	if err := s.typedChoice(c, f.Errors, "delegate", approvals.DelegateLookupPath, &f.Delegate); err != nil {
		return err
	}
	in := models.NewDelegation{}
	in.DelegateID, _ = strconv.ParseInt(f.Delegate, 10, 64)
	for _, d := range []struct {
		field, value string
		at           *time.Time
	}{{"starts_on", f.StartsOn, &in.StartsOn}, {"ends_on", f.EndsOn, &in.EndsOn}} {
		field, value, p := d.field, d.value, d.at
		if value == "" {
			continue
		}
		t, err := models.ParseDay(value)
		if err != nil {
			f.Errors[field] = err.Error()
		}
		*p = t
	}
	if len(f.Errors) == 0 {
		_, err := models.SetDelegation(c.UserContext(), tenantDB(c), currentUser(c).UserID, in, time.Now())
		if err := f.Errors.Absorb(err); err != nil {
			return err
		}
	}
	if len(f.Errors) > 0 {
		return s.renderDelegation(c, http.StatusUnprocessableEntity, f)
	}
	s.setFlash(c, "success", "Delegated: they approve for you on those days.")
	return redirect(c, approvals.DelegationPath)
}

func (s *Server) clearDelegation(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.ErrNotFound
	}
	if err := models.ClearDelegation(c.UserContext(), tenantDB(c), currentUser(c).UserID, id); err != nil {
		return err
	}
	s.setFlash(c, "success", "The delegation is cleared: your approvals come to you again.")
	return redirect(c, approvals.DelegationPath)
}
