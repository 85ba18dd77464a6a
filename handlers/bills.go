package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/sheet"
	"outlay/views"
	"outlay/views/bills"
	"outlay/views/documents"
)

var (
	billDocs = registeredKind(outlay.DocBill)

	billsCreate  = policy.Permission{Object: outlay.ObjBills, Action: outlay.ActCreate}
	billsUpdate  = policy.Permission{Object: outlay.ObjBills, Action: outlay.ActUpdate}
	billsRelease = policy.Permission{Object: outlay.ObjBillsRelease, Action: outlay.ActApprove}
	settingsEdit = policy.Permission{Object: outlay.ObjSettings, Action: outlay.ActUpdate}
)

// billsPage lists the bills the viewer may see, with status tabs, search and a match filter.
func (s *Server) billsPage(c *fiber.Ctx) error {
	ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
	l := bills.List{CanCreate: s.can(c, billsCreate), ExportURL: exportURL(c, bills.ListPath)}
	f, mf := billFilter(c)
	mf.Limit, mf.ByStatus = bills.PerPage, true
	list, err := fetchPage(&f.Page, bills.PerPage, func(offset int) (models.BillList, error) {
		mf.Offset = offset
		return models.ListBills(ctx, db, v, mf)
	}, func(l models.BillList) (int, int) { return len(l.Rows), l.Total })
	if err != nil {
		return err
	}
	all, counts := 0, list.ByStatus
	l.Tabs = []bills.Tab{{Label: "All", Href: f.WithStatus("").URL(1), Current: f.Status == ""}}
	for _, st := range outlay.BillStatuses {
		all += counts[st]
		if counts[st] > 0 || f.Status == st {
			l.Tabs = append(l.Tabs, bills.Tab{Status: st, Label: bills.StatusLabel(st), Count: counts[st], Href: f.WithStatus(st).URL(1), Current: f.Status == st})
		}
	}
	l.Tabs[0].Count = all
	// Each status counted, as the other lists do: a total of every tab alone read as the
	// count of the one shown.
	l.Summary = billStatuses.summary(counts)
	l.Filter, l.Total = f, list.Total
	l.Pager = views.Pagination{Page: f.Page, PerPage: bills.PerPage, Total: list.Total, URL: f.URL, Target: bills.ResultsID}
	for _, r := range list.Rows {
		l.Rows = append(l.Rows, bills.Row{ID: r.ID, Number: r.Number, Vendor: r.VendorName, Invoice: r.VendorInvoiceNumber, Order: r.OrderNumber,
			InvoiceDate: formatDate(&r.InvoiceDate), DueDate: formatDate(&r.DueDate), Total: r.Total().String(), Open: r.Open().String(),
			Status: r.Status, Match: r.MatchStatus})
	}
	return s.render(c, http.StatusOK, page{Title: "Bills", Nav: bills.ListPath, Content: bills.ListPage(l),
		Partials: partials{bills.ResultsID: bills.Results(l)}, PushURL: f.URL(f.Page)})
}

// billFilter reads the bill list's filters from the address (its status tab, search and
// match filter): the list page and its export read them here.
func billFilter(c *fiber.Ctx) (bills.Filter, models.BillFilter) {
	f := bills.Filter{Match: c.Query("match")}
	f.Q, f.Page = listQuery(c)
	if bills.MatchLabel(f.Match) == "" {
		f.Match = ""
	}
	if st := c.Query("status"); slices.Contains(outlay.BillStatuses, st) {
		f.Status = st
	}
	return f, models.BillFilter{Query: f.Q, MatchStatus: f.Match, Status: f.Status}
}

// billExport exports the bill list: the bills the viewer may see, with the page's filters.
var billExport = &listExport{name: "bills",
	columns: cols("id", "ID", "number", "Number", "status", "Status", "match_status", "Match", "vendor", "Vendor",
		"vendor_invoice_number", "Vendor invoice", "order", "Order", "invoice_date", "Invoice date", "due_date", "Due date",
		"currency", "Currency", "total", "Total", "open", "Open", "created_at", "Created"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		_, mf := billFilter(c)
		ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
		return func(emit func(...any) error) (int, error) {
			return models.EachBill(ctx, db, v, mf, func(r models.BillRow) error {
				return emit(r.ID, r.Number, bills.StatusLabel(r.Status), bills.MatchLabel(r.MatchStatus), r.VendorName,
					r.VendorInvoiceNumber, r.OrderNumber, sheet.Day(r.InvoiceDate), sheet.Day(r.DueDate), r.Currency,
					amount(r.Total().Minor, r.Currency), amount(r.Open().Minor, r.Currency), r.CreatedAt)
			})
		}, nil
	},
}

// newBillPage starts a bill: of the order ?order= names (its lines with what is received and
// not yet billed), or without one.
// An order the chooser's lookup would not offer (closed, cancelled, of no order here) is
// refused beside the chooser, and the bill starts without one.
func (s *Server) newBillPage(c *fiber.Ctx) error {
	in := models.BillInput{FormKey: newFormKey()}
	var refused outlay.ValidationErrors
	o := strings.TrimSpace(c.Query("order"))
	if o == "" {
		// An order's number typed and not chosen from the list is that order.
		typed := outlay.ValidationErrors{}
		if err := s.typedChoice(c, typed, "order", bills.OrderLookupPath, &o); err != nil {
			return err
		}
		if len(typed) > 0 {
			refused = typed
		}
	}
	if o != "" && o != "none" {
		var po *models.Choice
		if id, err := strconv.ParseInt(o, 10, 64); err == nil {
			if po, err = models.BillableOrderChoice(c.UserContext(), tenantDB(c), id); err != nil {
				return err
			}
		}
		if po != nil {
			in.PurchaseOrder = o
		} else {
			refused = outlay.ValidationErrors{"order": "Choose an open order from the list."}
		}
	}
	f, err := s.billForm(c, in, refused, nil)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if refused != nil {
		status, f.OrderText = http.StatusUnprocessableEntity, c.Query("order_text")
	}
	return s.renderBillForm(c, status, f, nil)
}

// billForm builds the form's view from what was typed (or is stored) and the messages about
// it. With an order, every order line is offered with what may still be billed of it;
// without, the typed lines and a few blank rows.
func (s *Server) billForm(c *fiber.Ctx, in models.BillInput, errs outlay.ValidationErrors, cur *models.BillDetail) (bills.Form, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	f := bills.Form{CSRF: s.csrfToken(c), FormKey: in.FormKey, Version: in.Version, Vendor: in.Vendor, Order: in.PurchaseOrder, InvoiceNumber: in.VendorInvoiceNumber,
		InvoiceDate: in.InvoiceDate, DueDate: in.DueDate, Currency: in.Currency, Memo: in.Memo, ConfirmDuplicate: in.ConfirmDuplicate,
		Errors: views.FieldErrors{}, DueHint: "Leave empty to take the vendor's payment terms."}
	for k, msg := range errs {
		f.Errors[k] = msg
	}
	var billID int64
	if cur != nil {
		billID, f.ID, f.Number, f.Status = cur.ID, cur.ID, cur.Number, cur.Status
		if rej := cur.Rejection(); rej != nil {
			f.Rejection = &bills.Decision{By: rej.ActedByName, At: formatMoment(rej.ActedAt), Comment: rej.Comment}
		}
	}
	if f.Order != "" {
		if err := s.billOrderLines(c, &f, in, billID); err != nil {
			return f, err
		}
	}
	if f.Order == "" {
		if err := s.billCodedLines(c, &f, in); err != nil {
			return f, err
		}
	}
	if priced, err := models.PriceBill(ctx, db, billID, in); priced != nil && priced.Header.Currency != "" && len(priced.Lines) > 0 {
		f.Total = money.Money{Minor: priced.Totals.Total, Currency: priced.Header.Currency}.String()
	} else if err != nil && !isValidation(err) {
		return f, err
	}
	return f, nil
}

func isValidation(err error) bool { _, ok := outlay.AsValidation(err); return ok }

// billOrderLines fills the form of a bill of an order: the order's vendor and currency, and
// each of its lines with what may be billed; a line typed keeps what was typed.
func (s *Server) billOrderLines(c *fiber.Ctx, f *bills.Form, in models.BillInput, billID int64) error {
	ctx, db := c.UserContext(), tenantDB(c)
	var po *models.PurchaseOrderDetail
	err := outlay.NotFound("There is no such order.")
	if poID, perr := strconv.ParseInt(f.Order, 10, 64); perr == nil {
		po, err = models.GetPurchaseOrder(ctx, db, poID)
	}
	if _, refused := f.Errors["purchase_order"]; refused && errors.Is(err, outlay.ErrNotFound) {
		// A posted order that names no order here was refused beside the field: the form
		// goes on without one.
		f.Order = ""
		return nil
	}
	if err != nil {
		return err
	}
	f.OrderNumber, f.OrderText, f.VendorName, f.Vendor, f.Currency = po.Number, po.Number, po.Vendor.Name, strconv.FormatInt(po.VendorID, 10), po.Currency
	vendor := po.Vendor
	f.DueHint = fmt.Sprintf("Leave empty for %s's terms: %s.", vendor.Name, models.VendorTerms(vendor.PaymentTermsDays))
	lines, err := models.BillableOrderLines(ctx, db, po.ID, billID)
	if err != nil {
		return err
	}
	typed := map[string]models.BillLineInput{}
	for _, l := range in.Lines {
		typed[l.OrderLine] = l
	}
	m := func(minor int64) money.Money { return money.Money{Minor: minor, Currency: po.Currency} }
	for _, l := range lines {
		id := strconv.FormatInt(l.ID, 10)
		fl := bills.FormLine{OrderLine: id, Description: l.Description, Ordered: l.QuantityMilli.String(), Received: l.ReceivedMilli.String(),
			Billed: l.BilledMilli.String(), Price: m(l.UnitPriceMinor).String()}
		if t, ok := typed[id]; ok || len(in.Lines) > 0 {
			fl.Quantity, fl.UnitPrice, fl.TaxRate = t.Quantity, t.UnitPrice, t.TaxRate
		} else {
			fl.UnitPrice, fl.TaxRate = m(l.UnitPriceMinor).Plain(), rateText(l.TaxRateBP)
			if l.BillableMilli > 0 {
				fl.Quantity = plainQuantity(l.BillableMilli)
			}
		}
		f.Lines = append(f.Lines, fl)
	}
	return nil
}

// billCodedLines fills the choices of a bill without an order and its lines, with blank rows
// to type more.
func (s *Server) billCodedLines(c *fiber.Ctx, f *bills.Form, in models.BillInput) error {
	ctx, db := c.UserContext(), tenantDB(c)
	var err error
	if f.VendorName, err = chosenVendor(c, f.Vendor); err != nil {
		return err
	}
	f.VendorName = typedText(c, "vendor", f.VendorName)
	depts, err := s.departments(c)
	if err != nil {
		return err
	}
	for _, d := range depts {
		f.Departments = append(f.Departments, bills.Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
	}
	accounts, err := models.ActiveGLAccounts(ctx, db)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		f.GLAccounts = append(f.GLAccounts, bills.Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Code + " " + a.Name})
	}
	if f.Currency == "" {
		st, err := models.Settings(ctx, db)
		if err != nil {
			return err
		}
		f.Currency = st.DefaultCurrency
	}
	f.Currencies = currencyOptions(f.Currency)
	// The lines typed, then blank ones up to four (two at least). A form shown again leaves
	// out its own trailing blank lines, so that each refusal does not add two more (blank
	// lines between typed ones stay: a line's error is beside its place).
	for _, l := range in.Lines {
		f.Lines = append(f.Lines, bills.FormLine{Description: l.Description, Quantity: l.Quantity, UnitPrice: l.UnitPrice, TaxRate: l.TaxRate,
			GLAccount: l.GLAccount, Department: l.Department})
	}
	for len(f.Lines) > 0 && f.Lines[len(f.Lines)-1] == (bills.FormLine{}) {
		f.Lines = f.Lines[:len(f.Lines)-1]
	}
	for range max(2, 4-len(f.Lines)) {
		f.Lines = append(f.Lines, bills.FormLine{})
	}
	return nil
}

func rateText(bp int) string {
	if bp == 0 {
		return ""
	}
	return money.FormatRate(bp)
}

// plainQuantity is a quantity as a form field takes it back: no thousands separators.
func plainQuantity(q money.Quantity) string { return strings.ReplaceAll(q.String(), ",", "") }

// renderBillForm sends the new-bill page, or the page of the editable bill cur.
func (s *Server) renderBillForm(c *fiber.Ctx, status int, f bills.Form, cur *models.BillDetail, adjust ...func(*bills.Detail)) error {
	p := page{Title: "New bill", Nav: bills.ListPath, Content: bills.NewPage(f)}
	if cur != nil {
		d, err := s.billDetail(c, cur, htmxTarget(c) != bills.FormID)
		if err != nil {
			return err
		}
		for _, a := range adjust {
			a(&d)
		}
		p.Title, p.Content = d.Title, bills.EditPage(f, d)
	}
	p.Partials = partials{bills.FormID: bills.BillForm(f)}
	return s.render(c, status, p)
}

// billPost is the bill form as posted: what was typed, and whether to submit it.
type billPost struct {
	models.BillInput
	Intent string `form:"intent"` // "submit", or "" to save a draft
}

// billInputOf is a stored bill as its form shows it, with the version it was read at.
func billInputOf(d *models.BillDetail) models.BillInput {
	in := models.BillInput{Vendor: strconv.FormatInt(d.VendorID, 10), PurchaseOrder: optionalValue(d.PurchaseOrderID),
		VendorInvoiceNumber: d.VendorInvoiceNumber, InvoiceDate: d.InvoiceDate.Format(time.DateOnly), DueDate: d.DueDate.Format(time.DateOnly),
		Currency: d.Currency, Memo: d.Memo, // a confirmed duplicate stays confirmed while it is the same bill (models.SaveBill)
		FormVersion: models.FormVersion{Version: models.VersionAt(d.UpdatedAt)}}
	for _, l := range d.LineDetails {
		in.Lines = append(in.Lines, models.BillLineInput{OrderLine: optionalValue(l.PurchaseOrderLineID), Department: optionalValue(l.DepartmentID),
			LineInput: models.LineInput{Description: l.Description, Quantity: plainQuantity(l.QuantityMilli),
				UnitPrice: d.Money(l.UnitPriceMinor).Plain(), TaxRate: rateText(l.TaxRateBP), GLAccount: optionalValue(l.GLAccountID)}})
	}
	return in
}

func (s *Server) billFromPath(c *fiber.Ctx) (*models.BillDetail, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, outlay.NotFound("There is no such bill.")
	}
	return models.GetBillDetail(c.UserContext(), tenantDB(c), s.viewer(c), id)
}

// billPage shows a bill: the form while it can change and the viewer may change it, the
// read-only page otherwise.
func (s *Server) billPage(c *fiber.Ctx) error {
	d, err := s.billFromPath(c)
	if err != nil {
		return err
	}
	return s.showBill(c, http.StatusOK, d)
}

// showBill sends bill d's page: its form while it can change and the viewer may change it,
// the read-only page otherwise; adjust fills in what a refused post says on it.
func (s *Server) showBill(c *fiber.Ctx, status int, d *models.BillDetail, adjust ...func(*bills.Detail)) error {
	if d.Editable() && s.can(c, billsUpdate) {
		f, err := s.billForm(c, billInputOf(d), nil, d)
		if err != nil {
			return err
		}
		return s.renderBillForm(c, status, f, d, adjust...)
	}
	v, err := s.billDetail(c, d, true)
	if err != nil {
		return err
	}
	for _, a := range adjust {
		a(&v)
	}
	return s.render(c, status, page{Title: v.Title, Nav: bills.ListPath, Content: bills.DetailPage(v)})
}

// billDetail is the read-only view of d; with activity, its comments and attachments.
func (s *Server) billDetail(c *fiber.Ctx, d *models.BillDetail, activity bool) (bills.Detail, error) {
	m := func(minor int64) string { return d.Money(minor).String() }
	v := bills.Detail{CSRF: s.csrfToken(c), ID: d.ID, Title: "Bill " + d.Number, Status: d.Status, Match: d.MatchStatus, Vendor: d.VendorName,
		Invoice: d.VendorInvoiceNumber, Order: d.OrderNumber, InvoiceDate: formatDate(&d.InvoiceDate), DueDate: formatDate(&d.DueDate),
		Currency: d.Currency, Subtotal: m(d.SubtotalMinor), Tax: m(d.TaxMinor), Total: m(d.TotalMinor), Paid: m(d.PaidMinor), Open: d.Open().String(),
		EnteredBy: d.EnteredByName, Submitted: formatMoment(d.SubmittedAt), Decided: formatMoment(d.DecidedAt), Memo: d.Memo,
		Duplicate: d.DuplicateConfirmed, HistoryURL: bills.HistoryPath(d.ID),
		CanRelease: d.Releasable() && s.can(c, billsRelease) && d.EnteredByID != currentUser(c).UserID,
		CanVoid:    d.Voidable() && s.can(c, billsUpdate)}
	if d.PurchaseOrderID != nil {
		v.OrderURL = purchaseOrderDocs.Path(*d.PurchaseOrderID)
	}
	if d.MatchMode != nil {
		v.MatchMode = *d.MatchMode
	}
	if d.ReleasedAt != nil {
		v.Released = fmt.Sprintf("By %s on %s: %s", d.ReleasedByName, formatMoment(d.ReleasedAt), d.ReleaseReason)
	}
	if d.VoidedAt != nil {
		v.Voided = fmt.Sprintf("By %s on %s: %s", d.VoidedByName, formatMoment(d.VoidedAt), d.VoidReason)
	}
	for _, l := range d.LineDetails {
		line := bills.Line{Position: l.Position, Description: l.Description, Quantity: l.QuantityMilli.String(), UnitPrice: m(l.UnitPriceMinor),
			Amount: m(l.AmountMinor), Tax: m(l.TaxMinor), Match: l.MatchStatus, Note: l.MatchNote}
		if l.GLCode != "" {
			line.Account = l.GLCode + " " + l.GLName
			if l.DepartmentName != "" {
				line.Account += " · " + l.DepartmentName
			}
		}
		if l.PurchaseOrderLineID != nil {
			line.Ordered = fmt.Sprintf("Ordered %s at %s · received %s", l.OrderedMilli, m(l.OrderedPriceMinor), l.ReceivedMilli)
		}
		v.Lines = append(v.Lines, line)
	}
	v.Steps, v.WaitingFor = routeSteps(d.Steps)
	if d.Invoice != nil {
		v.File = &bills.Invoice{URL: bills.InvoicePath(d.ID), Name: d.Invoice.Filename, Image: strings.HasPrefix(d.Invoice.ContentType, "image/")}
	}
	if d.Editable() && s.can(c, billsUpdate) {
		v.Upload = &bills.Upload{CSRF: v.CSRF, Action: bills.InvoicePath(d.ID)}
	}
	if !activity {
		return v, nil
	}
	comments, files, err := s.documentActivity(c, billDocs, d.Seen())
	if err != nil {
		return v, err
	}
	v.Activity = documents.Activity(comments, files)
	return v, nil
}

func (s *Server) createBill(c *fiber.Ctx) error { return s.storeBill(c, 0) }

func (s *Server) updateBill(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.NotFound("There is no such bill.")
	}
	return s.storeBill(c, id)
}

// storeBill saves the form as a draft or, with intent=submit, saves it and submits it to be
// matched and approved. A refusal shows the form again with every message beside its field,
// and stores nothing.
func (s *Server) storeBill(c *fiber.Ctx, id int64) error {
	ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
	var post billPost
	bindForm(c, &post)
	in, submit := post.BillInput, post.Intent == "submit"
	typed := outlay.ValidationErrors{}
	if strings.TrimSpace(in.PurchaseOrder) == "" {
		if err := s.typedChoice(c, typed, "vendor", bills.VendorLookupPath, &in.Vendor); err != nil {
			return err
		}
	}
	save := in
	save.Vendor = forModel(typed, "vendor", in.Vendor)
	b, err := models.SaveBill(ctx, db, v, id, save)
	err = withTyped(err, typed)
	in.TakeCurrentVersion(err)
	if errors.Is(err, models.ErrBillFormAlreadySaved) {
		// Posted twice: the first post made the bill (and submitted it, if asked); the
		// second goes to it rather than submitting it again.
		s.setFlash(c, "info", "This form was already saved; here is the bill it made.")
		return redirect(c, bills.Path(b.ID))
	}
	var sub *models.BillSubmission
	if err == nil && submit {
		sub, err = models.SubmitBill(ctx, db, v, b.ID)
	}
	if verr, ok := outlay.AsValidation(err); ok {
		var cur *models.BillDetail
		if id != 0 {
			if cur, err = models.GetBillDetail(ctx, db, v, id); err != nil {
				return err
			}
		}
		f, err := s.billForm(c, in, verr, cur)
		if err != nil {
			return err
		}
		markRefused(f.Errors, verr)
		return s.renderBillForm(c, http.StatusUnprocessableEntity, f, cur)
	}
	if err != nil {
		return err
	}
	switch {
	case sub == nil && id == 0:
		s.setFlash(c, "success", b.Number+" is saved as a draft. Attach the invoice file beside the form.")
	case sub == nil:
		s.setFlash(c, "success", draftSaved)
	case sub.Held:
		s.setFlash(c, "warning", b.Number+" is held by its match and waits for approval: the reason is on each held line.")
	case sub.Bill.Status == models.BillApproved:
		s.setFlash(c, "success", b.Number+" is matched and approved: no approval rule routes it.")
	default:
		s.setFlash(c, "success", b.Number+" is submitted for approval.")
	}
	return redirect(c, bills.Path(b.ID))
}

// releaseBill releases a held bill with the reason typed.
func (s *Server) releaseBill(c *fiber.Ctx) error {
	d, err := s.billFromPath(c)
	if err != nil {
		return err
	}
	var post struct {
		Reason string `form:"reason"`
	}
	bindForm(c, &post)
	err = models.ReleaseBill(c.UserContext(), tenantDB(c), s.viewer(c), d.ID, post.Reason)
	if verr, ok := outlay.AsValidation(err); ok {
		return s.showBill(c, http.StatusUnprocessableEntity, d, func(v *bills.Detail) {
			v.ReleaseError, v.ReleaseReason = verr["reason"], post.Reason
		})
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", d.Number+" is released and approved.")
	return redirect(c, bills.Path(d.ID))
}

// voidBill voids a bill entered in error, with the reason. A refusal (no reason, or a bill a
// payment run pays or an export carried) is said beside the reason on the page the bill
// shows, the form while it can change, with what was typed.
func (s *Server) voidBill(c *fiber.Ctx) error {
	d, err := s.billFromPath(c)
	if err != nil {
		return err
	}
	var post struct {
		Reason string `form:"void_reason"`
	}
	bindForm(c, &post)
	err = models.VoidBill(c.UserContext(), tenantDB(c), s.viewer(c), d.ID, post.Reason)
	refused := func(status int, message string) error {
		return s.showBill(c, status, d, func(v *bills.Detail) {
			v.VoidErrors, v.VoidReason = views.FieldErrors{"void_reason": message}, post.Reason
		})
	}
	if verr, ok := outlay.AsValidation(err); ok {
		return refused(http.StatusUnprocessableEntity, verr["void_reason"])
	}
	if msg, ok := outlay.Message(err); ok && errors.Is(err, outlay.ErrConflict) {
		return refused(http.StatusConflict, msg)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", d.Number+" is void.")
	return redirect(c, bills.Path(d.ID))
}

// billInvoice sends a bill's invoice file to be shown in the page beside the bill (inline,
// framed only by our own pages), only to someone who may see the bill.
func (s *Server) billInvoice(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	a, err := models.BillInvoice(c.UserContext(), tenantDB(c), s.viewer(c), id)
	if err != nil {
		return err
	}
	c.Set("X-Frame-Options", "SAMEORIGIN")
	c.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'")
	return s.sendAttachment(c, a, "inline")
}

// uploadInvoice attaches the invoice file to a bill that can still change.
func (s *Server) uploadInvoice(c *fiber.Ctx) error {
	d, err := s.billFromPath(c)
	if err != nil {
		return err
	}
	if !d.Editable() {
		return outlay.Conflict("This bill can no longer be changed.")
	}
	err = s.receiveInvoice(c, d.ID)
	if verr, ok := outlay.AsValidation(err); ok {
		s.setFlash(c, "error", verr["file"])
		return redirect(c, bills.Path(d.ID))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", "Invoice file attached.")
	return redirect(c, bills.Path(d.ID))
}

func (s *Server) receiveInvoice(c *fiber.Ctx, id int64) error {
	f, err := s.uploadedFile(c, "file")
	if err != nil {
		return err
	}
	up, err := s.blobs.Receive(c.UserContext(), tenantOf(c).Slug, f, f.FileName(), s.cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	_, err = models.AttachInvoice(c.UserContext(), tenantDB(c), s.viewer(c), id, models.NewAttachment{Filename: up.Filename,
		ContentType: up.ContentType, SizeBytes: up.Size, SHA256: up.SHA256, StorageKey: up.Key})
	return err
}

func (s *Server) billHistory(c *fiber.Ctx) error {
	d, err := s.billFromPath(c)
	if err != nil {
		return err
	}
	title := "Bill " + d.Number
	return s.history(c, billDocs.Base, "History of "+title, billDocs.Path(d.ID), "Back to "+title,
		billDocs.RecordHistory(strconv.FormatInt(d.ID, 10)))
}

// billMatchingPage shows the organisation's matching settings; admins change them.
func (s *Server) billMatchingPage(c *fiber.Ctx) error {
	st, err := models.Settings(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	v := bills.Settings{CSRF: s.csrfToken(c), CanEdit: s.can(c, settingsEdit), Mode: st.BillMatchMode, Currency: st.DefaultCurrency,
		PricePercent: money.FormatRate(st.BillPriceToleranceBP), QtyPercent: money.FormatRate(st.BillQuantityToleranceBP), SpentBasis: st.BudgetSpentBasis,
		RecordVersion: settingsVersion(st)}
	if st.BillPriceToleranceMinor != nil {
		v.PriceAmount = money.Money{Minor: *st.BillPriceToleranceMinor, Currency: st.DefaultCurrency}.Plain()
	}
	return s.render(c, http.StatusOK, page{Title: "Bill matching", Nav: bills.SettingsPath, Content: bills.SettingsPage(v)})
}

func (s *Server) updateBillMatching(c *fiber.Ctx) error {
	var in models.BillMatchInput
	bindForm(c, &in)
	saveErr := models.UpdateBillMatchSettings(c.UserContext(), tenantDB(c), in)
	if verr, ok := outlay.AsValidation(saveErr); ok {
		st, err := models.Settings(c.UserContext(), tenantDB(c))
		if err != nil {
			return err
		}
		v := bills.Settings{CSRF: s.csrfToken(c), CanEdit: true, Mode: in.Mode, PricePercent: in.PricePercent, PriceAmount: in.PriceAmount,
			QtyPercent: in.QuantityPercent, SpentBasis: in.SpentBasis, Currency: st.DefaultCurrency, Errors: verr,
			RecordVersion: shownVersion(in.Version, saveErr, bills.SettingsPath)}
		if _, bad := verr["mode"]; bad { // a choice the form does not offer: keep the one in force ticked
			v.Mode = st.BillMatchMode
		}
		if _, bad := verr["spent_basis"]; bad {
			v.SpentBasis = st.BudgetSpentBasis
		}
		markRefused(v.Errors, verr)
		return s.render(c, http.StatusUnprocessableEntity, page{Title: "Bill matching", Nav: bills.SettingsPath, Content: bills.SettingsPage(v)})
	}
	if saveErr != nil {
		return saveErr
	}
	s.setFlash(c, "success", "Bill matching saved.")
	return redirect(c, bills.SettingsPath)
}
