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
	"outlay/sheet"
	"outlay/views"
	"outlay/views/bills"
	"outlay/views/documents"
	"outlay/views/payables"
	"outlay/views/refdata"
	"outlay/views/requisitions"
)

var (
	paymentDocs     = registeredKind(outlay.DocPayment)
	paymentsCreate  = policy.Permission{Object: outlay.ObjPayments, Action: outlay.ActCreate}
	paymentsUpdate  = policy.Permission{Object: outlay.ObjPayments, Action: outlay.ActUpdate}
	paymentsExport  = policy.Permission{Object: outlay.ObjPayments, Action: outlay.ActExport}
	paymentsPerPage = 25
)

func methodOptions() []views.Option {
	out := make([]views.Option, len(models.PaymentMethods))
	for i, m := range models.PaymentMethods {
		out[i] = views.Option{Value: m, Label: models.PaymentMethodLabel(m)}
	}
	return out
}

// paymentsPage lists the runs the person may see.
func (s *Server) paymentsPage(c *fiber.Ctx) error {
	_, pg := listQuery(c)
	ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
	list, err := fetchPage(&pg, paymentsPerPage, func(offset int) (models.PaymentList, error) {
		return models.ListPaymentRuns(ctx, db, v, models.PaymentFilter{Offset: offset, Limit: paymentsPerPage})
	}, func(l models.PaymentList) (int, int) { return len(l.Rows), l.Total })
	if err != nil {
		return err
	}
	l := payables.PaymentList{Total: list.Total, CanCreate: s.can(c, paymentsCreate),
		ExportURL: exportURL(c, payables.PaymentsPath), Pager: views.Pagination{Page: pg, PerPage: paymentsPerPage, Total: list.Total,
			URL: func(p int) string { return views.ListURL(payables.PaymentsPath, p) }}}
	for _, r := range list.Rows {
		l.Rows = append(l.Rows, payables.PaymentRow{ID: r.ID, Number: r.Number, Vendors: r.Vendors, Method: models.PaymentMethodLabel(r.Method),
			PayOn: dayText(r.PayOn), Total: r.Total().String(), Status: r.Status, Label: models.PaymentStatusLabel(r.Status)})
	}
	return s.render(c, http.StatusOK, page{Title: "Payments", Nav: payables.PaymentsPath, Content: payables.ListPage(l)})
}

// paymentExport exports the payment runs the viewer may see (the list has no filter but its
// pages; an export holds every page).
var paymentExport = &listExport{name: "payments",
	columns: cols("id", "ID", "number", "Number", "status", "Status", "method", "Method", "vendors", "Vendors", "vendor_count", "Vendor count",
		"due_by", "Due by", "pay_on", "Pay on", "currency", "Currency", "total", "Total", "created_by", "Created by", "paid_on", "Paid on",
		"reference", "Reference", "created_at", "Created"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
		return func(emit func(...any) error) (int, error) {
			return models.EachPaymentRun(ctx, db, v, models.PaymentFilter{}, func(r models.PaymentRow) error {
				return emit(r.ID, r.Number, models.PaymentStatusLabel(r.Status), models.PaymentMethodLabel(r.Method), r.Vendors, r.VendorCount,
					sheet.Day(r.DueBy), sheet.Day(r.PayOn), r.Currency, amount(r.TotalMinor, r.Currency), r.CreatedBy, sheet.DayOf(r.PaidOn), r.Reference, r.CreatedAt)
			})
		}, nil
	},
}

// newPaymentPage is the new run's form; with a currency and a date it lists the bills due.
// htmx asks it again for the bills alone when either changes.
func (s *Server) newPaymentPage(c *fiber.Ctx) error {
	st, err := models.Settings(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	n := payables.NewPayment{Currency: c.Query("currency", st.DefaultCurrency), Method: c.Query("method", models.MethodACH),
		DueBy: c.Query("due_by", time.Now().AddDate(0, 0, 7).Format(time.DateOnly)), PayOn: c.Query("pay_on", nextWeekday(time.Now()).Format(time.DateOnly)),
		Errors: views.FieldErrors{}}
	if err := s.fillPayableBills(c, &n, nil, nil); err != nil {
		return err
	}
	return s.renderNewPayment(c, http.StatusOK, n)
}

func (s *Server) renderNewPayment(c *fiber.Ctx, status int, n payables.NewPayment) error {
	n.CSRF, n.Methods = s.csrfToken(c), methodOptions()
	n.Currencies = views.KeepOption(currencyOptions(n.Currency), n.Currency, n.Currency)
	return s.render(c, status, page{Title: "New payment run", Nav: payables.PaymentsPath, Content: payables.NewPage(n),
		Partials: partials{payables.PaymentFormID: payables.PaymentForm(n), payables.PaymentBillsID: payables.PayableBills(n)}})
}

// fillPayableBills lists the bills a run in n's currency due by its date may pay; chosen and
// typed, when given, are what the clerk posted (every bill is proposed in full otherwise).
func (s *Server) fillPayableBills(c *fiber.Ctx, n *payables.NewPayment, chosen map[int64]bool, typed map[int64]string) error {
	due, err := models.ParsePaymentDate(n.DueBy)
	if err != nil || !money.ValidCurrency(n.Currency) {
		return nil
	}
	rows, err := models.PayableBills(c.UserContext(), tenantDB(c), n.Currency, due)
	if err != nil {
		return err
	}
	n.Looked = true
	today := time.Now().UTC().Format(time.DateOnly)
	for _, r := range rows {
		if len(n.Vendors) == 0 || n.Vendors[len(n.Vendors)-1].Name != r.VendorName {
			n.Vendors = append(n.Vendors, payables.PayableVendor{Name: r.VendorName})
		}
		open := money.Money{Minor: r.AvailableMinor(), Currency: r.Currency}
		b := payables.PayableBill{ID: r.BillID, Number: r.Number, Invoice: r.InvoiceNumber, Due: dayText(r.DueDate),
			Overdue: r.DueDate.Format(time.DateOnly) < today, Total: money.Money{Minor: r.TotalMinor, Currency: r.Currency}.String(),
			Open: open.String(), Amount: open.Plain(), Chosen: chosen == nil || chosen[r.BillID]}
		if t, ok := typed[r.BillID]; ok {
			b.Amount = t
		}
		g := &n.Vendors[len(n.Vendors)-1]
		g.Bills = append(g.Bills, b)
	}
	return nil
}

// paymentRunPost is the new payment run form: the run's terms, the bills ticked (in the order
// ticked) and the amount typed against each, by bill.
type paymentRunPost struct {
	payables.NewPayment
	Bills   []string         `form:"bill"`
	Amounts map[int64]string `form:"amount.*"`
}

// createPayment keeps the run as a draft and opens it; a refusal comes back beside its field.
func (s *Server) createPayment(c *fiber.Ctx) error {
	var post paymentRunPost
	bindForm(c, &post)
	n := post.NewPayment
	in := models.PaymentRunInput{Currency: n.Currency, Method: n.Method, DueBy: n.DueBy, PayOn: n.PayOn, Memo: n.Memo}
	chosen, typed := map[int64]bool{}, post.Amounts
	for _, raw := range post.Bills {
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil && !chosen[id] {
			chosen[id] = true
			in.Bills = append(in.Bills, models.PaymentBillInput{BillID: id})
		}
	}
	for i := range in.Bills {
		in.Bills[i].Amount = typed[in.Bills[i].BillID]
	}
	run, err := models.CreatePaymentRun(c.UserContext(), tenantDB(c), s.viewer(c), in)
	if errs, ok := outlay.AsValidation(err); ok {
		n.Errors = errs
		if err := s.fillPayableBills(c, &n, chosen, typed); err != nil {
			return err
		}
		unlistedBillErrors(&n)
		return s.renderNewPayment(c, http.StatusUnprocessableEntity, n)
	} else if err != nil {
		return err
	}
	s.setFlash(c, "success", fmt.Sprintf("Payment run %s made: %s. Submit it for approval when it is right.", run.Number, run.Total()))
	return redirect(c, payables.PaymentPath(run.ID))
}

// unlistedBillErrors moves the refusal of a ticked bill that the list no longer shows (paid,
// put in another run or changed since the form was shown) above the list: beside its row it
// would be shown nowhere.
func unlistedBillErrors(n *payables.NewPayment) {
	listed := map[string]bool{}
	for _, v := range n.Vendors {
		for _, b := range v.Bills {
			listed[models.PaymentAmountField(b.ID)] = true
		}
	}
	for field := range n.Errors {
		if strings.HasPrefix(field, "amount.") && !listed[field] {
			delete(n.Errors, field)
			n.Errors[""] = "A bill you ticked is no longer in the list: it was paid, put in another run or changed since the form was shown. The list below is as it stands now; tick the bills again."
		}
	}
}

func (s *Server) paymentFromPath(c *fiber.Ctx) (*models.PaymentRunDetail, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, outlay.ErrNotFound
	}
	return models.GetVisiblePaymentRun(c.UserContext(), tenantDB(c), s.viewer(c), id)
}

// paymentPage shows a run and what the person may do with it.
func (s *Server) paymentPage(c *fiber.Ctx) error {
	d, err := s.paymentFromPath(c)
	if err != nil {
		return err
	}
	return s.renderPayment(c, http.StatusOK, d, nil)
}

// fileMadeText says when and by whom a run's or batch's bank file was first downloaded, and
// the message id every file of it carries; "" when none was.
func fileMadeText(f models.FileMade, by string) string {
	if !f.Made() {
		return ""
	}
	text := "Downloaded " + formatMoment(f.FileMadeAt)
	if by != "" {
		text += " by " + by
	}
	return text + "; every download carries message id " + *f.FileMessageID + ", so the bank pays it once"
}

func (s *Server) renderPayment(c *fiber.Ctx, status int, d *models.PaymentRunDetail, paid *payables.PaidForm) error {
	r := d.Run
	v := payables.PaymentDetail{ID: r.ID, Number: r.Number, Status: r.Status, Label: models.PaymentStatusLabel(r.Status),
		Method: models.PaymentMethodLabel(r.Method), Currency: r.Currency, DueBy: dayText(r.DueBy), PayOn: dayText(r.PayOn),
		Total: r.Total().String(), CreatedBy: d.CreatedBy, Memo: r.Memo, CSRF: s.csrfToken(c), HistoryPath: payables.PaymentHistoryPath(r.ID)}
	v.FileMade = fileMadeText(r.FileMade, d.FileMadeByName)
	mine := r.CreatedByID == currentUser(c).UserID
	v.CanSubmit = r.Submittable() && s.can(c, paymentsUpdate) && mine
	v.CanCancel = r.Cancellable() && s.can(c, paymentsUpdate)
	v.CanMarkPaid = r.Status == models.PaymentApproved && s.can(c, paymentsUpdate)
	if kind := models.BankFileKind(r); kind != "" && (r.Status == models.PaymentApproved || r.Status == models.PaymentPaid) && s.can(c, paymentsExport) {
		v.BankFile = kind
	}
	if r.Status == models.PaymentPaid && r.PaidOn != nil && r.PaidMethod != nil {
		v.Paid = fmt.Sprintf("%s by %s", dayText(*r.PaidOn), models.PaymentMethodLabel(*r.PaidMethod))
		if r.Reference != "" {
			v.Paid += ", reference " + r.Reference
		}
		v.Paid += "; marked by " + d.PaidBy
	}
	if paid == nil {
		paid = &payables.PaidForm{PaidOn: time.Now().Format(time.DateOnly), Method: r.Method, Errors: views.FieldErrors{}}
	}
	paid.Action, paid.CSRF, paid.Methods = payables.PaymentPaidPath(r.ID), v.CSRF, methodOptions()
	v.PaidForm = *paid
	payees, err := s.paymentPayees(c, d)
	if err != nil {
		return err
	}
	for i, vp := range d.Vendors {
		g := payables.VendorPayment{Name: vp.VendorName, Href: refdata.ItemPath(vendorsPath, vp.VendorID), Total: r.Money(vp.Total).String()}
		if payees != nil {
			g.Payee = &payees[i]
		}
		for _, l := range vp.Lines {
			// What was open before this run: for a paid run, its own share is in the bill's paid amount.
			open := l.BillOpenMinor()
			if r.Status == models.PaymentPaid {
				open += l.AmountMinor
			}
			g.Lines = append(g.Lines, payables.PaymentLine{Bill: l.BillNumber, BillHref: bills.Path(l.BillID), Invoice: l.InvoiceNumber,
				Due: dayText(l.DueDate), Amount: r.Money(l.AmountMinor).String(), Open: r.Money(open).String(), Part: l.AmountMinor < open})
		}
		v.Vendors = append(v.Vendors, g)
	}
	steps, _ := routeSteps(d.Steps)
	v.Route = requisitions.ApprovalRoute(steps, r.Status)
	comments, files, err := s.documentActivity(c, paymentDocs, d.Seen())
	if err != nil {
		return err
	}
	v.Activity = documents.Activity(comments, files)
	return s.render(c, status, page{Title: "Payment run " + r.Number, Nav: payables.PaymentsPath, Content: payables.DetailPage(v),
		Partials: partials{payables.PaidFormID: payables.PaidFormView(v.PaidForm)}})
}

func init() {
	approvalExtras[outlay.DocPayment] = paymentApprovalPanel
}

// paymentApprovalPanel shows a run's approver the bank account each vendor is paid into.
func paymentApprovalPanel(s *Server, c *fiber.Ctx, id int64) (templ.Component, error) {
	d, err := models.GetVisiblePaymentRun(c.UserContext(), tenantDB(c), s.viewer(c), id)
	if err != nil {
		return nil, err
	}
	payees, err := s.paymentPayees(c, d)
	if err != nil || payees == nil {
		return nil, err
	}
	return payables.ApprovalPayees(payees), nil
}

// paymentPayees says, for each vendor of run d in its order, which bank account the run pays
// it, masked, and what its reader should know of it; nil for a run no bank file carries, and
// for a cancelled one, which pays nothing.
func (s *Server) paymentPayees(c *fiber.Ctx, d *models.PaymentRunDetail) ([]payables.Payee, error) {
	if d.Run.Status == models.PaymentCancelled {
		return nil, nil
	}
	payees, err := models.PaymentRunPayees(c.UserContext(), tenantDB(c), s.bankBox, d)
	if err != nil || payees == nil {
		return nil, err
	}
	out := make([]payables.Payee, len(payees))
	for i, p := range payees {
		out[i] = payeeView(d.Run, p)
	}
	return out, nil
}

// payeeView is the account run r pays one vendor as people read it. The account paid is the
// copy taken when the run was submitted (or approved, for a vendor that had none then); before
// that, the details on file, which the submission copies. A change of the vendor's details
// since the copy is a warning: the run goes on paying the copy.
func payeeView(r models.PaymentRun, p models.RunPayee) payables.Payee {
	v := payables.Payee{Vendor: p.VendorName}
	scheme := "IBAN"
	if models.BankScheme(r) == models.BankUSACH {
		scheme = "US bank account"
	}
	current := p.Current != nil && p.Current.Scheme == models.BankScheme(r)
	if current {
		v.Account = p.Current.HolderName + " · " + p.Current.AccountLabel()
	}
	switch {
	case p.Copied != nil:
		v.Account = p.Copied.HolderName + " · " + p.Copied.AccountLabel()
		if p.Changed {
			v.Warning = bankChangedWarning(r, p)
		}
	case r.Submittable() && current:
		v.Note = "The account on file now; submitting the run keeps it with the run, and the approver approves paying it."
	case r.Submittable():
		v.Note = "No " + scheme + " on file: add the vendor's bank details before submitting, or the bank file cannot pay it."
	case r.Status == models.PaymentSubmitted && current:
		v.Note = "Added after the run was submitted: the account on file when the run is approved is the one it pays."
	case r.Status == models.PaymentSubmitted:
		v.Note = "No " + scheme + " on file: unless one is added before the run is approved, the bank file cannot pay this vendor."
	default:
		v.Account = ""
		v.Note = "No " + scheme + " was on file when the run was approved, so its bank file cannot pay this vendor: pay it another way, " +
			"or cancel the run and make a new one once the vendor's bank details are on file."
	}
	return v
}

// bankChangedWarning says that the vendor's bank details changed after they were copied onto
// run r, and that the run still pays the copy.
func bankChangedWarning(r models.PaymentRun, p models.RunPayee) string {
	step := "submitted"
	if r.DecidedAt != nil && p.Current != nil && p.Current.UpdatedAt.After(*r.DecidedAt) {
		step = "approved"
	}
	with := "submitted"
	if r.Status == models.PaymentApproved || r.Status == models.PaymentPaid {
		with = "approved"
	}
	what := fmt.Sprintf("%s's bank details were removed after this run was submitted", p.VendorName)
	if p.Current != nil {
		what = fmt.Sprintf("%s's bank account changed on %s, after this run was %s", p.VendorName, dayText(p.Current.UpdatedAt.UTC()), step)
	}
	out := fmt.Sprintf("%s; this run pays the account it was %s with: %s.", what, with, p.Copied.AccountLabel())
	switch r.Status {
	case models.PaymentApproved:
		out += " Cancel the run and make a new one to pay the new account."
	case models.PaymentSubmitted:
		out += " To pay the new account, the run must be returned or cancelled, and made again."
	}
	return out
}

// paymentAction runs act on the run in the path and returns to it with what happened, or
// with the refusal as an error message.
func (s *Server) paymentAction(act func(c *fiber.Ctx, v models.Viewer, id int64) (string, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return outlay.ErrNotFound
		}
		msg, err := act(c, s.viewer(c), id)
		verr, refused := outlay.AsValidation(err)
		switch {
		case refused && verr[""] != "":
			// A refusal of the run as a whole (nobody else could approve it).
			s.setFlash(c, "error", verr[""])
		case errors.Is(err, outlay.ErrConflict):
			s.setFlash(c, "error", err.Error())
		case err != nil:
			return err
		default:
			s.setFlash(c, "success", msg)
		}
		return redirect(c, payables.PaymentPath(id))
	}
}

func (s *Server) submitPayment(c *fiber.Ctx, v models.Viewer, id int64) (string, error) {
	out, err := models.SubmitPaymentRun(c.UserContext(), tenantDB(c), v, id)
	if err != nil {
		return "", err
	}
	if out.Approved {
		return "Approved: no approval step was needed.", nil
	}
	return "Submitted for payment approval.", nil
}

func (s *Server) cancelPayment(c *fiber.Ctx, v models.Viewer, id int64) (string, error) {
	return "Payment run cancelled; its bills are free to pay again.",
		models.CancelPaymentRun(c.UserContext(), tenantDB(c), v, id, c.FormValue(models.FileNotPaid) == "yes")
}

// markPaymentPaid records how an approved run was paid; a refusal comes back beside its field.
func (s *Server) markPaymentPaid(c *fiber.Ctx) error {
	d, err := s.paymentFromPath(c)
	if err != nil {
		return err
	}
	var f payables.PaidForm
	bindForm(c, &f)
	err = models.MarkPaymentPaid(c.UserContext(), tenantDB(c), s.viewer(c), d.Run.ID, models.PaidInput{PaidOn: f.PaidOn, Method: f.Method, Reference: f.Reference})
	return s.answerMarkPaid(c, err, func(errs views.FieldErrors) error {
		f.Errors = errs
		return s.renderPayment(c, http.StatusUnprocessableEntity, d, &f)
	}, fmt.Sprintf("Payment %s marked paid: %s.", d.Run.Number, d.Run.Total()), payables.PaymentPath(d.Run.ID))
}

// answerMarkPaid answers a "mark paid" form (a payment run's, a reimbursement batch's) with
// what recording the payment came to. Refused input comes back beside its fields (refused).
// A conflict, such as the document being paid already (a second click, another tab), has
// changed nothing and is answered as every conflict is: 409, with its message as a toast to
// htmx, which leaves the form as it is, and on the error page to a plain post. Recorded, the
// browser goes to the document's page (path), which says done.
func (s *Server) answerMarkPaid(c *fiber.Ctx, err error, refused func(views.FieldErrors) error, done, path string) error {
	if verr, ok := outlay.AsValidation(err); ok {
		return refused(verr)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", done)
	return redirect(c, path)
}

// paymentBankFile downloads an approved run's bank file; what stops it is said on the run's page.
func (s *Server) paymentBankFile(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.ErrNotFound
	}
	f, err := models.PaymentBankFile(c.UserContext(), tenantDB(c), s.bankBox, s.personalBank, s.viewer(c), id)
	if errors.Is(err, outlay.ErrConflict) {
		s.setFlash(c, "error", err.Error())
		return redirect(c, payables.PaymentPath(id))
	} else if err != nil {
		return err
	}
	return sendDownload(c, f.ContentType, f.Name, f.Data)
}

func (s *Server) paymentHistory(c *fiber.Ctx) error {
	d, err := s.paymentFromPath(c)
	if err != nil {
		return err
	}
	title := "Payment " + d.Run.Number
	return s.history(c, paymentDocs.Base, "History of "+title, paymentDocs.Path(d.Run.ID), "Back to "+title,
		paymentDocs.RecordHistory(strconv.FormatInt(d.Run.ID, 10)))
}

// paymentSettingsFields are the organisation's bank account's inputs.
func paymentSettingsFields(vals map[string]string) []refdata.Field {
	fields := []refdata.Field{
		{Name: "company_name", Label: "Organisation name", Type: "text", Max: 140, Hint: "As your bank knows you."},
		{Name: "ach_routing_number", Label: "Bank routing number (ACH)", Type: "text", Max: 9, InputMode: "numeric", Hint: "US dollar ACH payments (NACHA files) go to this bank."},
		{Name: "ach_bank_name", Label: "Bank name (ACH)", Type: "text", Max: 23},
		{Name: "ach_company_id", Label: "ACH company ID", Type: "text", Max: 10, Hint: "The ten characters your bank gave you, often 1 and your EIN."},
	}
	for i := range fields {
		fields[i].Value = vals[fields[i].Name]
	}
	return fields
}

func (s *Server) paymentSettingsPage(c *fiber.Ctx) error {
	st, err := models.GetPaymentSettings(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	return s.renderPaymentSettings(c, http.StatusOK, map[string]string{"company_name": st.CompanyName,
		"ach_routing_number": st.ACHRoutingNumber, "ach_bank_name": st.ACHBankName, "ach_company_id": st.ACHCompanyID}, nil)
}

func (s *Server) renderPaymentSettings(c *fiber.Ctx, status int, vals map[string]string, errs views.FieldErrors) error {
	if errs == nil {
		errs = views.FieldErrors{}
	}
	f := refdata.Form{Action: payables.PaymentSettingsPath, CSRF: s.csrfToken(c), Fields: paymentSettingsFields(vals), Errors: errs,
		Submit: "Save payment settings", Cancel: payables.PaymentsPath, ReadOnly: !s.can(c, settingsEdit)}
	title := "Payment settings"
	return s.render(c, status, page{Title: title, Nav: payables.PaymentSettingsPath, Content: refdata.CreatePage(refdata.NewPage{Title: title,
		Intro:    "How the organisation originates US dollar ACH payments (NACHA files). Euro payments (pain.001) leave from the organisation's bank account, kept under Setup.",
		ListPath: payables.PaymentsPath, ListLabel: "Payments", Form: f}),
		Partials: partials{refdata.FormID: refdata.RecordForm(f)}})
}

func (s *Server) savePaymentSettings(c *fiber.Ctx) error {
	var post namedFields
	bindForm(c, &post)
	vals := map[string]string{}
	for _, f := range paymentSettingsFields(nil) {
		vals[f.Name] = post.Values[f.Name]
	}
	err := models.SavePaymentSettings(c.UserContext(), tenantDB(c), models.PaymentSettings{CompanyName: vals["company_name"],
		ACHRoutingNumber: vals["ach_routing_number"], ACHBankName: vals["ach_bank_name"], ACHCompanyID: vals["ach_company_id"]})
	if errs, ok := outlay.AsValidation(err); ok {
		return s.renderPaymentSettings(c, http.StatusUnprocessableEntity, vals, errs)
	} else if err != nil {
		return err
	}
	s.setFlash(c, "success", "Saved the payment settings.")
	return redirect(c, payables.PaymentSettingsPath)
}

// nextWeekday is day, or the Monday after it when it falls on a weekend: banks pay on
// weekdays, so a new run's pay-on date starts there.
func nextWeekday(day time.Time) time.Time {
	switch day.Weekday() {
	case time.Saturday:
		return day.AddDate(0, 0, 2)
	case time.Sunday:
		return day.AddDate(0, 0, 1)
	}
	return day
}
