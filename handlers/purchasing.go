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
	"outlay/views/purchasing"
	"outlay/views/requisitions"
)

var (
	purchaseOrdersUpdate = policy.Permission{Object: outlay.ObjPurchaseOrders, Action: outlay.ActUpdate}
	vendorsRead          = policy.Permission{Object: outlay.ObjVendors, Action: outlay.ActRead}
)

func (s *Server) purchaseOrdersPage(c *fiber.Ctx) error {
	ctx, db := c.UserContext(), tenantDB(c)
	l, mf, err := s.purchaseOrderFilter(c)
	if err != nil {
		return err
	}
	l.ExportURL, mf.Limit, mf.ByStatus = exportURL(c, purchasing.ListPath), purchasing.PerPage, true
	list, err := fetchPage(&l.Filter.Page, purchasing.PerPage, func(offset int) (models.PurchaseOrderList, error) {
		mf.Offset = offset
		return models.ListPurchaseOrders(ctx, db, mf)
	}, func(l models.PurchaseOrderList) (int, int) { return len(l.Rows), l.Total })
	if err != nil {
		return err
	}
	l.Total, l.Open = list.Total, list.ByStatus[models.POOpen]+list.ByStatus[models.POPartiallyReceived]
	for _, st := range outlay.PurchaseOrderStatuses {
		l.All += list.ByStatus[st]
		l.Statuses = append(l.Statuses, purchasing.Option{Value: st, Label: fmt.Sprintf("%s (%d)", purchasing.StatusLabel(st), list.ByStatus[st])})
	}
	for _, r := range list.Rows {
		l.Rows = append(l.Rows, purchasing.Row{ID: r.ID, Number: r.Number, Vendor: r.VendorName, Requisition: r.RequisitionNumber,
			Requester: r.RequesterName, Total: r.Total().String(), Status: r.Status, Created: r.CreatedAt.UTC().Format("2 Jan 2006")})
	}
	p := page{Title: "Purchase orders", Nav: purchasing.ListPath, Content: purchasing.ListPage(l),
		Partials: partials{purchasing.ResultsID: purchasing.Results(l)}, PushURL: l.Filter.URL(l.Filter.Page)}
	return s.render(c, http.StatusOK, p)
}

// purchaseOrderFilter reads the order list's filters from the address, with the choices its
// filters offer: the list page and its export read them here.
func (s *Server) purchaseOrderFilter(c *fiber.Ctx) (purchasing.List, models.PurchaseOrderFilter, error) {
	var l purchasing.List
	l.Filter.Q, l.Filter.Page = listQuery(c)
	if st := c.Query("status"); slices.Contains(outlay.PurchaseOrderStatuses, st) {
		l.Filter.Status = st
	}
	mf := models.PurchaseOrderFilter{Query: l.Filter.Q, Status: l.Filter.Status}
	vendor, refused, err := s.typedFilter(c, "vendor", purchasing.VendorLookupPath)
	if err != nil {
		return purchasing.List{}, models.PurchaseOrderFilter{}, err
	}
	if refused {
		l.VendorName, mf.VendorID, l.Filter.Unmatched = c.Query("vendor_text"), noOne, true
		return l, mf, nil
	}
	if l.VendorName, err = chosenVendor(c, vendor); err != nil {
		return purchasing.List{}, models.PurchaseOrderFilter{}, err
	}
	if l.VendorName != "" {
		mf.VendorID, _ = strconv.ParseInt(strings.TrimSpace(vendor), 10, 64)
		l.Filter.Vendor = strconv.FormatInt(mf.VendorID, 10)
	}
	return l, mf, nil
}

// purchaseOrderExport exports the purchase order list.
var purchaseOrderExport = &listExport{name: "purchase-orders",
	columns: cols("id", "ID", "number", "Number", "status", "Status", "vendor", "Vendor", "requisition", "Requisition", "requester", "Requester",
		"currency", "Currency", "subtotal", "Subtotal", "tax", "Tax", "total", "Total", "expected_on", "Expected on", "created_at", "Created"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		_, mf, err := s.purchaseOrderFilter(c)
		ctx, db := c.UserContext(), tenantDB(c)
		return func(emit func(...any) error) (int, error) {
			return models.EachPurchaseOrder(ctx, db, mf, func(r models.PurchaseOrderRow) error {
				return emit(r.ID, r.Number, purchasing.StatusLabel(r.Status), r.VendorName, r.RequisitionNumber, r.RequesterName, r.Currency,
					amount(r.SubtotalMinor, r.Currency), amount(r.TaxMinor, r.Currency), amount(r.TotalMinor, r.Currency), sheet.DayOf(r.ExpectedOn), r.CreatedAt)
			})
		}, err
	},
}

// purchaseOrderFromPath loads the order the URL names.
func (s *Server) purchaseOrderFromPath(c *fiber.Ctx) (*models.PurchaseOrderDetail, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	return models.GetVisiblePurchaseOrder(c.UserContext(), tenantDB(c), s.viewer(c), id)
}

func poLines(d *models.PurchaseOrderDetail) []purchasing.Line {
	var out []purchasing.Line
	for _, l := range d.Lines {
		out = append(out, purchasing.Line{ID: l.ID, Position: l.Position, Description: l.Description, Ordered: l.QuantityMilli.String(),
			Received: l.ReceivedMilli.String(), Remaining: l.Remaining().String(), UnitPrice: d.Money(l.UnitPriceMinor).String(),
			Amount: d.Money(l.AmountMinor).String(), Tax: taxText(d.Money(l.TaxMinor), l.TaxRateBP), Complete: l.Remaining() == 0})
	}
	return out
}

func taxText(m money.Money, rateBP int) string {
	if m.Minor == 0 {
		return "—"
	}
	return m.String() + " (" + money.FormatRate(rateBP) + "%)"
}

// purchaseOrderDetail is an order's page; receive and close carry refused forms, if any.
func (s *Server) purchaseOrderDetail(c *fiber.Ctx, d *models.PurchaseOrderDetail) (purchasing.Detail, error) {
	csrf := s.csrfToken(c)
	out := purchasing.Detail{HistoryURL: purchaseOrderDocs.Path(d.ID) + "/history", CSRF: csrf, ID: d.ID, Number: d.Number, Status: d.Status, Vendor: d.Vendor.Name, VendorEmail: d.Vendor.Email,
		VendorAddress: d.Vendor.Address, Requisition: d.RequisitionNumber,
		Requester: d.RequesterName, CreatedBy: d.CreatedByName, Created: moment(d.CreatedAt), CloseReason: d.CloseReason, ClosedBy: d.ClosedByName,
		Subtotal: d.Money(d.SubtotalMinor).String(), Tax: d.Money(d.TaxMinor).String(), Total: d.Total().String(), Lines: poLines(d),
		CanUpdate: s.can(c, purchaseOrdersUpdate), Receivable: d.Receivable(), Closable: d.Closable()}
	if d.Location != nil {
		out.Location, out.LocationAddress = d.Location.Name, d.Location.Address
	}
	stages, err := models.OrderStages(c.UserContext(), tenantDB(c), d.ID)
	if err != nil {
		return out, err
	}
	out.Stages = stagesText(stages)
	if s.can(c, billsCreate) && d.Status != models.POClosed && d.Status != models.POCancelled {
		out.BillURL = bills.NewForOrderPath(d.ID)
	}
	if s.can(c, vendorsRead) {
		out.VendorHref = vendorsRef.path + "/" + strconv.FormatInt(d.VendorID, 10)
	}
	if s.mayOpen(c, requisitionDocs.Base) {
		out.RequisitionHref = requisitionDocs.Path(d.RequisitionID)
	}
	if d.EmailedAt != nil {
		out.Emailed = moment(*d.EmailedAt)
	}
	out.EmailedVersion = d.EmailedVersion()
	if d.ClosedAt != nil {
		out.Closed = moment(*d.ClosedAt)
	}
	for _, r := range d.Receipts {
		rc := purchasing.Receipt{On: r.ReceivedOn.Format("2 Jan 2006"), By: r.ReceivedByName, Note: r.Note}
		for _, l := range r.Lines {
			rc.Lines = append(rc.Lines, purchasing.ReceiptLine{Position: l.Position, Description: l.Description, Quantity: l.QuantityMilli.String()})
		}
		out.Receipts = append(out.Receipts, rc)
	}
	first, last := models.ReceiptDays(d.CreatedAt)
	out.Receive = purchasing.ReceiveForm{CSRF: csrf, OrderID: d.ID, Lines: out.Lines, Quantities: map[int64]string{},
		ReceivedOn: time.Now().UTC().Format(time.DateOnly), FirstDay: first.Format(time.DateOnly), LastDay: last.Format(time.DateOnly),
		Receipts: len(d.Receipts), Errors: views.FieldErrors{}}
	out.Close = purchasing.CloseForm{CSRF: csrf, OrderID: d.ID, Number: d.Number, Errors: views.FieldErrors{}}
	out.Terms, out.TermsEditable = orderTerms(d), d.Status == models.POOpen
	out.TermsForm = purchasing.TermsForm{CSRF: csrf, OrderID: d.ID, PaymentTerms: d.PaymentTerms, BillToAddress: d.BillToAddress,
		VendorNotes: d.VendorNotes, Errors: views.FieldErrors{}, RecordVersion: views.RecordVersion{Version: models.VersionAt(d.UpdatedAt)}}
	if d.ExpectedOn != nil {
		out.TermsForm.ExpectedOn = d.ExpectedOn.Format(time.DateOnly)
	}
	out.Comments, out.Attachments, err = s.documentActivity(c, purchaseOrderDocs, d.Seen())
	if !s.can(c, purchaseOrdersRead) {
		// The requester reading the order made from their requisition: read-only, no links
		// to pages of purchase orders they may not open.
		out.HistoryURL, out.CanUpdate = "", false
		out.Comments.CanPost, out.Attachments.CanUpload = false, false
		for i := range out.Attachments.Files {
			out.Attachments.Files[i].Href = ""
		}
	}
	return out, err
}

// orderTerms is what the order tells the vendor besides its lines, as shown.
func orderTerms(d *models.PurchaseOrderDetail) purchasing.Terms {
	t := purchasing.Terms{PaymentTerms: d.PaymentTerms, BillToAddress: d.BillToAddress, VendorNotes: d.VendorNotes}
	if d.ExpectedOn != nil {
		t.Expected = d.ExpectedOn.Format("2 Jan 2006")
	}
	return t
}

func (s *Server) purchaseOrderPage(c *fiber.Ctx) error {
	d, err := s.purchaseOrderFromPath(c)
	if err != nil {
		return err
	}
	view, err := s.purchaseOrderDetail(c, d)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, page{Title: d.Number, Nav: purchasing.ListPath, Content: purchasing.DetailPage(view)})
}

func (s *Server) purchaseOrderPrint(c *fiber.Ctx) error {
	d, err := s.purchaseOrderFromPath(c)
	if err != nil {
		return err
	}
	p := purchasing.Print{Organisation: tenantOf(c).Name, Number: d.Number, Date: d.CreatedAt.UTC().Format("2 January 2006"),
		Vendor: d.Vendor.Name, VendorContact: d.Vendor.ContactName, VendorEmail: d.Vendor.Email, VendorAddress: d.Vendor.Address,
		Requisition: d.RequisitionNumber, Requester: d.RequesterName, Lines: poLines(d), Subtotal: d.Money(d.SubtotalMinor).String(),
		Tax: d.Money(d.TaxMinor).String(), Total: d.Total().String(), Terms: orderTerms(d)}
	if d.Status == models.POClosed || d.Status == models.POCancelled {
		p.Status = purchasing.StatusLabel(d.Status)
	}
	if d.Location != nil {
		p.Location, p.LocationAddress = d.Location.Name, d.Location.Address
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	sh := views.Shell{Title: d.Number, TenantName: tenantOf(c).Name}
	return sendHTML(c, views.PrintPage(sh, purchasing.OrderPath(d.ID), purchasing.PrintView(p)))
}

// createPurchaseOrder makes the order of an approved requisition and shows it. A second
// click, by anyone, lands on the order the first one made.
func (s *Server) createPurchaseOrder(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	po, err := models.CreatePurchaseOrder(c.UserContext(), tenantDB(c), s.viewer(c), id)
	switch {
	case errors.Is(err, models.ErrAlreadyOrdered) && po != nil:
		s.setFlash(c, "info", "This requisition was already ordered as "+po.Number+".")
		return redirect(c, purchasing.OrderPath(po.ID))
	case errors.Is(err, outlay.ErrConflict):
		s.setFlash(c, "error", err.Error())
		return redirect(c, requisitionDocs.Path(id))
	case err != nil:
		return err
	}
	s.setFlash(c, "success", "Purchase order "+po.Number+" created. Print it or email it to the vendor.")
	return redirect(c, purchasing.OrderPath(po.ID))
}

// receiptPost is the receiving form: what arrived, and how many receipts the order had when
// the form was drawn.
type receiptPost struct {
	models.ReceiptInput
	Receipts string `form:"receipts"`
}

func (s *Server) recordReceipt(c *fiber.Ctx) error {
	d, err := s.purchaseOrderFromPath(c)
	if err != nil {
		return err
	}
	var post receiptPost
	bindForm(c, &post)
	in := post.ReceiptInput
	if n, err := strconv.Atoi(post.Receipts); err == nil {
		in.SeenReceipts = &n
	}
	_, err = models.RecordReceipt(c.UserContext(), tenantDB(c), currentUser(c).UserID, d.ID, in)
	if v, ok := outlay.AsValidation(err); ok {
		view, err := s.purchaseOrderDetail(c, d)
		if err != nil {
			return err
		}
		view.Receive.Quantities, view.Receive.ReceivedOn, view.Receive.Note, view.Receive.Errors = in.Quantities, in.ReceivedOn, in.Note, v
		return s.render(c, http.StatusUnprocessableEntity, page{Title: d.Number, Nav: purchasing.ListPath,
			Content: purchasing.DetailPage(view), Partials: partials{purchasing.ReceiveID: purchasing.ReceiveFormView(view.Receive)}})
	}
	if err := s.flashOutcome(c, err, "Receipt recorded."); err != nil {
		return err
	}
	return redirect(c, purchasing.OrderPath(d.ID))
}

// flashOutcome says how a state change went in a flash: success, or why it was refused (a
// conflict with the order's state). Other errors are returned.
func (s *Server) flashOutcome(c *fiber.Ctx, err error, success string) error {
	switch {
	case err == nil:
		s.setFlash(c, "success", success)
	case errors.Is(err, outlay.ErrConflict):
		s.setFlash(c, "error", err.Error())
	default:
		return err
	}
	return nil
}

func (s *Server) closePurchaseOrder(c *fiber.Ctx) error {
	d, err := s.purchaseOrderFromPath(c)
	if err != nil {
		return err
	}
	var post struct {
		Reason string `form:"reason"`
	}
	bindForm(c, &post)
	reason := post.Reason
	err = models.ClosePurchaseOrder(c.UserContext(), tenantDB(c), currentUser(c).UserID, d.ID, reason)
	if v, ok := outlay.AsValidation(err); ok {
		view, err := s.purchaseOrderDetail(c, d)
		if err != nil {
			return err
		}
		view.Close.Reason, view.Close.Errors = reason, v
		return s.render(c, http.StatusUnprocessableEntity, page{Title: d.Number, Nav: purchasing.ListPath,
			Content: purchasing.DetailPage(view), Partials: partials{purchasing.CloseID: purchasing.CloseFormView(view.Close)}})
	}
	if err := s.flashOutcome(c, err, d.Number+" is closed."); err != nil {
		return err
	}
	return redirect(c, purchasing.OrderPath(d.ID))
}

// updateOrderTerms changes the order's terms, bill-to address, expected delivery and notes.
// Bad input and a refusal (goods already received) come back beside the form, as typed.
func (s *Server) updateOrderTerms(c *fiber.Ctx) error {
	d, err := s.purchaseOrderFromPath(c)
	if err != nil {
		return err
	}
	var in models.OrderTermsInput
	bindForm(c, &in)
	saveErr := models.UpdateOrderTerms(c.UserContext(), tenantDB(c), d.ID, in)
	var errs views.FieldErrors
	status := http.StatusUnprocessableEntity
	if v, ok := outlay.AsValidation(saveErr); ok {
		errs = v
	} else if errors.Is(saveErr, outlay.ErrConflict) {
		errs, status = views.FieldErrors{"": saveErr.Error()}, http.StatusConflict
	} else if saveErr != nil {
		return saveErr
	}
	if errs != nil {
		view, err := s.purchaseOrderDetail(c, d)
		if err != nil {
			return err
		}
		f := &view.TermsForm
		f.PaymentTerms, f.BillToAddress, f.ExpectedOn, f.VendorNotes, f.Errors = in.PaymentTerms, in.BillToAddress, in.ExpectedOn, in.VendorNotes, errs
		f.RecordVersion = shownVersion(in.Version, saveErr, purchasing.OrderPath(d.ID))
		return s.render(c, status, page{Title: d.Number, Nav: purchasing.ListPath,
			Content: purchasing.DetailPage(view), Partials: partials{purchasing.TermsID: purchasing.TermsFormView(view.TermsForm)}})
	}
	s.setFlash(c, "success", "Saved the terms and notes of "+d.Number+".")
	return redirect(c, purchasing.OrderPath(d.ID))
}

func (s *Server) emailPurchaseOrder(c *fiber.Ctx) error {
	d, err := s.purchaseOrderFromPath(c)
	if err != nil {
		return err
	}
	var post struct {
		Emailed string `form:"emailed"` // the order's EmailedVersion as its page showed it
	}
	bindForm(c, &post)
	// A repeat (a double click, a resent request) queues nothing and is answered as the post
	// that emailed the order was.
	mailID, err := models.EmailPurchaseOrder(c.UserContext(), tenantDB(c), d.ID, tenantOf(c).Name, post.Emailed)
	done := d.Number + " is being emailed to " + d.Vendor.Email + "."
	if !s.mailConfigured() {
		done = d.Number + " is queued for " + d.Vendor.Email + ", but " + noMailNote
	}
	if err := s.flashOutcome(c, err, done); err != nil {
		return err
	}
	s.deliverMail(c, mailID)
	return redirect(c, purchasing.OrderPath(d.ID))
}

var (
	purchaseOrdersCreate = policy.Permission{Object: outlay.ObjPurchaseOrders, Action: outlay.ActCreate}
	purchaseOrdersRead   = policy.Permission{Object: outlay.ObjPurchaseOrders, Action: outlay.ActRead}
)

// addPurchasing puts on a requisition's page what the purchasing area adds: the button that
// orders an approved requisition (or the link to its order), where its value stands, its
// comments and attachments.
func (s *Server) addPurchasing(c *fiber.Ctx, d *models.RequisitionDetail, v *requisitions.Detail) error {
	a := purchasing.OrderActions{CSRF: s.csrfToken(c), RequisitionID: d.ID,
		CanCreate: d.Status == models.RequisitionApproved && s.can(c, purchaseOrdersCreate)}
	// The order is shown to whoever may read orders and to the requester (see the purchase
	// order kind's visibility).
	if d.Status == models.RequisitionOrdered && (s.can(c, purchaseOrdersRead) || d.RequesterID == currentUser(c).UserID) {
		po, err := models.PurchaseOrderOf(c.UserContext(), tenantDB(c), d.ID)
		if err != nil {
			return err
		}
		if po != nil {
			a.OrderID, a.OrderNumber = po.ID, po.Number
		}
	}
	v.Actions = purchasing.RequisitionActions(a)
	if d.Status != models.RequisitionDraft {
		stages, err := models.RequisitionStages(c.UserContext(), tenantDB(c), &d.Requisition)
		if err != nil {
			return err
		}
		v.Stages = stagesText(stages)
	}
	comments, files, err := s.documentActivity(c, requisitionDocs, d.Seen())
	if err != nil {
		return err
	}
	v.Activity = documents.Activity(comments, files)
	return nil
}

// stagesText says where a document's value stands, leaving out the stages that hold nothing:
// "Purchased $40.00 · Received $60.00".
func stagesText(f models.StageFigures) string {
	var parts []string
	for _, st := range f.Stages() {
		if st.Amount.Minor != 0 {
			parts = append(parts, st.Name+" "+st.Amount.String())
		}
	}
	return strings.Join(parts, " · ")
}
