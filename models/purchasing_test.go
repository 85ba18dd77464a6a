package models_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/models"
)

// purchasing is a tenant with a requester, an AP clerk (who sees every submitted
// requisition) and a second requester.
type purchasing struct {
	env                *dbtest.Env
	db                 *gorm.DB
	requester, clerk   *models.User
	other              *models.User
	clerkV, requesterV models.Viewer
	otherV             models.Viewer
}

func newPurchasing(t *testing.T) *purchasing {
	env, acme := dbtest.NewTenant(t)
	p := &purchasing{env: env, db: env.DB(t, acme)}
	p.requester = env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	p.clerk = env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	p.other = env.CreateUser(t, acme, "olga@acme.example", "Olga Other", "requester")
	p.clerkV = models.Viewer{UserID: p.clerk.ID, Roles: []string{"ap_clerk"}, SeeAllKinds: []string{models.DocRequisition, models.DocPurchaseOrder}}
	p.requesterV = models.Viewer{UserID: p.requester.ID, Roles: []string{"requester"}}
	p.otherV = models.Viewer{UserID: p.other.ID, Roles: []string{"requester"}}
	return p
}

var twoLines = []dbtest.OrderLine{
	{Description: "Laptop stand", Quantity: "10", UnitPrice: 2500, TaxRateBP: 2000},
	{Description: "USB-C cable", Quantity: "2.5", UnitPrice: 1000},
}

func (p *purchasing) order(t *testing.T) (*models.PurchaseOrder, dbtest.Purchase) {
	t.Helper()
	r := dbtest.ApprovedRequisition(t, p.db, p.requester.ID, "orders@vendor.example", twoLines...)
	po, err := models.CreatePurchaseOrder(context.Background(), p.db, p.clerkV, r.Requisition.ID)
	if err != nil {
		t.Fatalf("create purchase order: %v", err)
	}
	return po, r
}

func TestCreatePurchaseOrderCopiesTheApprovedRequisition(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	po, r := p.order(t)
	if po.Number != "PO-000001" || po.Status != models.POOpen || po.VendorID != r.Vendor.ID || po.LocationID == nil || *po.LocationID != r.Location.ID {
		t.Fatalf("order %+v", po)
	}
	if po.SubtotalMinor != 27500 || po.TaxMinor != 5000 || po.TotalMinor != 32500 || po.Currency != "USD" {
		t.Errorf("totals %d + %d = %d %s", po.SubtotalMinor, po.TaxMinor, po.TotalMinor, po.Currency)
	}
	d, err := models.GetPurchaseOrder(ctx, p.db, po.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Lines) != 2 || d.Lines[1].Description != "USB-C cable" || d.Lines[1].QuantityMilli != 2500 || d.Lines[0].TaxMinor != 5000 || d.Lines[0].ReceivedMilli != 0 {
		t.Errorf("lines %+v", d.Lines)
	}
	if d.RequisitionNumber != *r.Requisition.Number || d.RequesterName != "Rita Requester" || d.CreatedByName != "Carl Clerk" {
		t.Errorf("detail names %q %q %q", d.RequisitionNumber, d.RequesterName, d.CreatedByName)
	}
	var status string
	p.db.Model(&models.Requisition{}).Select("status").Where("id = ?", r.Requisition.ID).Scan(&status)
	if status != models.RequisitionOrdered {
		t.Errorf("requisition is %s after ordering", status)
	}
	// Ordering again returns the same order and says so.
	again, err := models.CreatePurchaseOrder(ctx, p.db, p.clerkV, r.Requisition.ID)
	if !errors.Is(err, models.ErrAlreadyOrdered) || again == nil || again.ID != po.ID {
		t.Errorf("second order: %+v %v", again, err)
	}
}

func TestOnlyApprovedVisibleRequisitionsWithAnActiveVendorAreOrdered(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	for _, status := range []string{models.RequisitionPending, models.RequisitionRejected, models.RequisitionCancelled} {
		r := dbtest.ApprovedRequisition(t, p.db, p.requester.ID, "", twoLines...)
		p.db.Model(&r.Requisition).Update("status", status)
		po, err := models.CreatePurchaseOrder(ctx, p.db, p.clerkV, r.Requisition.ID)
		if !errors.Is(err, outlay.ErrConflict) || po != nil || !strings.Contains(err.Error(), "Only an approved requisition") {
			t.Errorf("%s requisition: %+v %v", status, po, err)
		}
	}
	onHold := dbtest.ApprovedRequisition(t, p.db, p.requester.ID, "", twoLines...)
	p.db.Model(&onHold.Vendor).Update("status", models.VendorOnHold)
	if _, err := models.CreatePurchaseOrder(ctx, p.db, p.clerkV, onHold.Requisition.ID); !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "not an active vendor") {
		t.Errorf("vendor on hold: %v", err)
	}
	// Another requester cannot see, so cannot order, Rita's requisition.
	r := dbtest.ApprovedRequisition(t, p.db, p.requester.ID, "", twoLines...)
	if _, err := models.CreatePurchaseOrder(ctx, p.db, p.otherV, r.Requisition.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("another requester ordering: %v", err)
	}
	var n int64
	p.db.Model(&models.PurchaseOrder{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d orders made by refused attempts", n)
	}
	// Refusals took no number: the first order is PO-000001, the next PO-000002.
	po, err := models.CreatePurchaseOrder(ctx, p.db, p.clerkV, r.Requisition.ID)
	if err != nil || po.Number != "PO-000001" {
		t.Fatalf("first order %+v %v", po, err)
	}
	if po2, _ := p.order(t); po2.Number != "PO-000002" {
		t.Errorf("second order is %s", po2.Number)
	}
}

func TestTwoClerksOrderingAtOnceMakeOneOrder(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	r := dbtest.ApprovedRequisition(t, p.db, p.requester.ID, "", twoLines...)
	const clicks = 6
	var wg sync.WaitGroup
	ids := make([]int64, clicks)
	errs := make([]error, clicks)
	for i := range clicks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			po, err := models.CreatePurchaseOrder(context.Background(), p.db, p.clerkV, r.Requisition.ID)
			errs[i] = err
			if po != nil {
				ids[i] = po.ID
			}
		}()
	}
	wg.Wait()
	made := 0
	for i := range clicks {
		switch {
		case errs[i] == nil:
			made++
		case !errors.Is(errs[i], models.ErrAlreadyOrdered):
			t.Errorf("click %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] || ids[i] == 0 {
			t.Errorf("click %d landed on order %d, click 0 on %d", i, ids[i], ids[0])
		}
	}
	var n int64
	p.db.Model(&models.PurchaseOrder{}).Count(&n)
	if made != 1 || n != 1 {
		t.Errorf("%d clicks made an order, %d orders stored", made, n)
	}
}

func receive(lines []models.PurchaseOrderLine, qty ...string) models.ReceiptInput {
	in := models.ReceiptInput{Quantities: map[int64]string{}}
	for i, q := range qty {
		in.Quantities[lines[i].ID] = q
	}
	return in
}

func TestReceiptsFillTheOrderAndRefuseOverReceipt(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	po, _ := p.order(t)
	d, _ := models.GetPurchaseOrder(ctx, p.db, po.ID)
	lines := d.Lines

	// Nothing typed, or only zeros, is refused.
	if _, err := models.RecordReceipt(ctx, p.db, p.clerk.ID, po.ID, receive(lines, "", "0")); !isValidation(err, "") {
		t.Errorf("empty receipt: %v", err)
	}
	// A partial receipt.
	if _, err := models.RecordReceipt(ctx, p.db, p.clerk.ID, po.ID, receive(lines, "4", "")); err != nil {
		t.Fatal(err)
	}
	d, _ = models.GetPurchaseOrder(ctx, p.db, po.ID)
	if d.Status != models.POPartiallyReceived || d.Lines[0].ReceivedMilli != 4000 || d.Lines[1].ReceivedMilli != 0 {
		t.Fatalf("after a partial receipt: %s %+v", d.Status, d.Lines)
	}
	// Over-receipt names the line and what remains, and writes nothing, not even the other
	// line's valid quantity.
	_, err := models.RecordReceipt(ctx, p.db, p.clerk.ID, po.ID, receive(lines, "6.001", "1"))
	v, ok := outlay.AsValidation(err)
	if msg := v[models.ReceiptField(lines[0].ID)]; !ok || msg != "Line 1 (Laptop stand): only 6 remain to be received." {
		t.Errorf("over-receipt: %v", err)
	}
	for in, field := range map[string]string{"-1": "qty-", "abc": "qty-"} {
		if _, err := models.RecordReceipt(ctx, p.db, p.clerk.ID, po.ID, receive(lines, in)); !isValidation(err, models.ReceiptField(lines[0].ID)) {
			t.Errorf("quantity %q (%s): %v", in, field, err)
		}
	}
	d, _ = models.GetPurchaseOrder(ctx, p.db, po.ID)
	if len(d.Receipts) != 1 || d.Lines[0].ReceivedMilli != 4000 || d.Lines[1].ReceivedMilli != 0 {
		t.Fatalf("refused receipts wrote: %d receipts, lines %+v", len(d.Receipts), d.Lines)
	}
	// The rest arrives: the order is received, and takes nothing more.
	in := receive(lines, "6", "2.5")
	today := time.Now().UTC().Format("2006-01-02")
	in.Note, in.ReceivedOn = "Second delivery", today
	if _, err := models.RecordReceipt(ctx, p.db, p.clerk.ID, po.ID, in); err != nil {
		t.Fatal(err)
	}
	d, _ = models.GetPurchaseOrder(ctx, p.db, po.ID)
	if d.Status != models.POReceived || len(d.Receipts) != 2 {
		t.Fatalf("after the rest: %s, %d receipts", d.Status, len(d.Receipts))
	}
	newest := d.Receipts[0]
	if newest.Note != "Second delivery" || newest.ReceivedOn.Format("2006-01-02") != today || len(newest.Lines) != 2 || newest.ReceivedByName != "Carl Clerk" {
		t.Errorf("newest receipt %+v", newest)
	}
	if _, err := models.RecordReceipt(ctx, p.db, p.clerk.ID, po.ID, receive(lines, "1")); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("receiving against a received order: %v", err)
	}
	if err := models.ClosePurchaseOrder(ctx, p.db, p.clerk.ID, po.ID, "done"); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("closing a received order: %v", err)
	}
}

func isValidation(err error, field string) bool {
	v, ok := outlay.AsValidation(err)
	if !ok {
		return false
	}
	if field == "" {
		return v[""] != ""
	}
	for k := range v {
		if strings.HasPrefix(k, field) {
			return true
		}
	}
	return false
}

func TestConcurrentReceiptsCannotOverReceive(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	po, _ := p.order(t)
	d, _ := models.GetPurchaseOrder(ctx, p.db, po.ID)
	const clerks = 4
	var wg sync.WaitGroup
	errs := make([]error, clerks)
	for i := range clerks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each would be fine alone: 6 of the 10 ordered.
			_, errs[i] = models.RecordReceipt(context.Background(), p.db, p.clerk.ID, po.ID, receive(d.Lines, "6"))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !isValidation(err, "qty-") {
			t.Errorf("unexpected refusal: %v", err)
		}
	}
	d, _ = models.GetPurchaseOrder(ctx, p.db, po.ID)
	if ok != 1 || d.Lines[0].ReceivedMilli != 6000 || len(d.Receipts) != 1 {
		t.Errorf("%d receipts accepted, %s received, %d stored", ok, d.Lines[0].ReceivedMilli, len(d.Receipts))
	}
}

func TestClosingByHandNeedsAReason(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	po, _ := p.order(t)
	if err := models.ClosePurchaseOrder(ctx, p.db, p.clerk.ID, po.ID, "  "); !isValidation(err, "reason") {
		t.Errorf("no reason: %v", err)
	}
	if err := models.ClosePurchaseOrder(ctx, p.db, p.clerk.ID, po.ID, "Vendor discontinued the stand"); err != nil {
		t.Fatal(err)
	}
	d, _ := models.GetPurchaseOrder(ctx, p.db, po.ID)
	if d.Status != models.POClosed || d.CloseReason != "Vendor discontinued the stand" || d.ClosedAt == nil || d.ClosedByName != "Carl Clerk" {
		t.Errorf("closed order %+v", d.PurchaseOrder)
	}
	if _, err := models.RecordReceipt(ctx, p.db, p.clerk.ID, po.ID, receive(d.Lines, "1")); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("receiving against a closed order: %v", err)
	}
	if err := models.ClosePurchaseOrder(ctx, p.db, p.clerk.ID, 999999, "x"); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("closing no order: %v", err)
	}
}

func TestEmailingAnOrderQueuesItsLinesAndTotals(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	po, r := p.order(t)
	id, err := models.EmailPurchaseOrder(ctx, p.db, po.ID, "Acme Corporation", "")
	if err != nil {
		t.Fatal(err)
	}
	queued, err := models.GetMail(ctx, p.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if queued.Status != models.MailQueued || queued.Kind != models.MailPurchaseOrder {
		t.Errorf("queued mail %+v", queued)
	}
	m := queued.Message()
	if m.To != "orders@vendor.example" || m.Subject != "Purchase order PO-000001 from Acme Corporation" {
		t.Errorf("message to %q, subject %q", m.To, m.Subject)
	}
	for _, want := range []string{"1. Laptop stand", "10 × $25.00 = $250.00", "2. USB-C cable", "2.5 × $10.00 = $25.00",
		"Subtotal: $275.00", "Tax: $50.00", "Total: $325.00", "Deliver to: " + r.Location.Name, "9 Dock Road"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("message lacks %q:\n%s", want, m.Body)
		}
	}
	d, _ := models.GetPurchaseOrder(ctx, p.db, po.ID)
	if d.EmailedAt == nil {
		t.Error("emailed_at not recorded")
	}
	// A vendor without an email address cannot be emailed.
	noEmail := dbtest.ApprovedRequisition(t, p.db, p.requester.ID, "", twoLines...)
	po2, err := models.CreatePurchaseOrder(ctx, p.db, p.clerkV, noEmail.Requisition.ID)
	if err != nil {
		t.Fatal(err)
	}
	var before int64
	p.db.Raw(`SELECT count(*) FROM mail_outbox`).Scan(&before)
	if _, err := models.EmailPurchaseOrder(ctx, p.db, po2.ID, "Acme", ""); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("emailing a vendor without email: %v", err)
	}
	var after int64
	p.db.Raw(`SELECT count(*) FROM mail_outbox`).Scan(&after)
	if after != before {
		t.Errorf("a refused email queued %d mails", after-before)
	}
}

func TestCommentsAppendOnDocumentsTheViewerSees(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	r := dbtest.ApprovedRequisition(t, p.db, p.requester.ID, "", twoLines...)
	id := r.Requisition.ID
	if _, err := models.AddComment(ctx, p.db, p.requesterV, models.DocRequisition, id, " \n ", ""); !isValidation(err, "body") {
		t.Errorf("empty comment: %v", err)
	}
	if _, err := models.AddComment(ctx, p.db, p.requesterV, models.DocRequisition, id, strings.Repeat("é", 4001), ""); !isValidation(err, "body") {
		t.Errorf("long comment: %v", err)
	}
	if _, err := models.AddComment(ctx, p.db, p.requesterV, models.DocRequisition, id, "Please order before Friday.", ""); err != nil {
		t.Fatal(err)
	}
	c, err := models.AddComment(ctx, p.db, p.clerkV, models.DocRequisition, id, "  Will do.\r\nOrdering today. ", "")
	if err != nil || c.AuthorName != "Carl Clerk" || c.Body != "Will do.\nOrdering today." {
		t.Fatalf("comment %+v %v", c, err)
	}
	said, err := discussion(ctx, p.db, p.requesterV, models.DocRequisition, id)
	list := said.Comments
	if err != nil || len(list) != 2 || list[0].AuthorName != "Rita Requester" || list[1].Body != "Will do.\nOrdering today." {
		t.Fatalf("comments %+v %v", list, err)
	}
	// Olga cannot see Rita's requisition: she can neither read nor add comments.
	if _, err := discussion(ctx, p.db, p.otherV, models.DocRequisition, id); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("other requester reads comments: %v", err)
	}
	// Only a read that checked the document's visibility proves it seen.
	if _, err := models.DiscussionOf(ctx, p.db, models.Seen{}); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("discussion without a proof: %v", err)
	}
	if _, err := models.AddComment(ctx, p.db, p.otherV, models.DocRequisition, id, "hi", ""); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("other requester comments: %v", err)
	}
	if _, err := models.AddComment(ctx, p.db, p.clerkV, models.DocPurchaseOrder, 999999, "hi", ""); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("comment on no order: %v", err)
	}
}

func TestAttachmentsFollowTheirDocumentsVisibility(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	r := dbtest.ApprovedRequisition(t, p.db, p.requester.ID, "", twoLines...)
	id := r.Requisition.ID
	in := models.NewAttachment{Filename: "quote.pdf", ContentType: "application/pdf", SizeBytes: 10, SHA256: strings.Repeat("a", 64), StorageKey: "acme/" + strings.Repeat("a", 64)}
	a, err := models.AddAttachment(ctx, p.db, p.requesterV, models.DocRequisition, id, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.AddAttachment(ctx, p.db, p.otherV, models.DocRequisition, id, in); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("other requester attaches: %v", err)
	}
	said, err := discussion(ctx, p.db, p.clerkV, models.DocRequisition, id)
	list := said.Attachments
	if err != nil || len(list) != 1 || list[0].UploaderName != "Rita Requester" || list[0].StorageKey != in.StorageKey || list[0].SizeBytes != 10 {
		t.Fatalf("attachments %+v %v", list, err)
	}
	if got, err := models.AttachmentForDownload(ctx, p.db, p.clerkV, models.DocRequisition, id, a.ID); err != nil || got.StorageKey != in.StorageKey {
		t.Errorf("clerk download: %+v %v", got, err)
	}
	for name, tc := range map[string]struct {
		v      models.Viewer
		doc    string
		docID  int64
		fileID int64
	}{
		"another requester":    {p.otherV, models.DocRequisition, id, a.ID},
		"through another doc":  {p.clerkV, models.DocRequisition, id + 1000, a.ID},
		"under the wrong type": {p.clerkV, models.DocPurchaseOrder, id, a.ID},
		"no such file":         {p.clerkV, models.DocRequisition, id, a.ID + 1000},
	} {
		if _, err := models.AttachmentForDownload(ctx, p.db, tc.v, tc.doc, tc.docID, tc.fileID); !errors.Is(err, outlay.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// discussion reads a document's comments and files as v may: not found unless v may see it.
func discussion(ctx context.Context, db *gorm.DB, v models.Viewer, docType string, id int64) (models.Discussion, error) {
	doc, err := models.SeeDocument(ctx, db, v, docType, id)
	if err != nil {
		return models.Discussion{}, err
	}
	return models.DiscussionOf(ctx, db, doc)
}

// The orders list reads its page straight into each row's fields: every field as GORM reads
// the same rows, an emailed and closed order's dates and a missing location included.
func TestPurchaseOrderListReadsItsRowsAsGORMDoes(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	first, _ := p.order(t)
	second, _ := p.order(t)
	p.order(t)
	if err := p.db.Exec(`UPDATE purchase_orders SET emailed_at = now(), closed_at = now(), closed_by = created_by, status = 'closed',
		close_reason = 'Cancelled by the vendor', expected_on = DATE '2027-02-01', payment_terms = 'Net 30', vendor_notes = 'Gate 4'
		WHERE id = ?`, first.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := p.db.Exec(`UPDATE purchase_orders SET location_id = NULL WHERE id = ?`, second.ID).Error; err != nil {
		t.Fatal(err)
	}
	f := models.PurchaseOrderFilter{Limit: 25}
	got, err := models.ListPurchaseOrders(ctx, p.db, f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := models.ListPurchaseOrdersByGORM(ctx, p.db, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rows) != 3 || !reflect.DeepEqual(got.Rows, want) {
		t.Fatalf("the list read its orders as\n%+v\nnot as GORM reads them:\n%+v", got.Rows, want)
	}
	for _, r := range got.Rows {
		switch r.ID {
		case first.ID:
			if r.ClosedAt == nil || r.EmailedAt == nil || r.ClosedBy == nil || r.CloseReason != "Cancelled by the vendor" || r.ExpectedOn == nil ||
				r.PaymentTerms != "Net 30" || r.VendorNotes != "Gate 4" || r.Status != models.POClosed || r.RequesterName != "Rita Requester" ||
				r.VendorName == "" || r.RequisitionNumber == "" || r.TotalMinor != 32500 {
				t.Errorf("the closed order read as %+v", r)
			}
		case second.ID:
			if r.LocationID != nil || r.ClosedAt != nil {
				t.Errorf("the order without a location read as %+v", r)
			}
		}
	}
}

// Goods arrive after they are ordered and no later than today: a receipt dated before the
// order's day, or after today, is refused beside its date naming what is wrong, and writes
// nothing. The order's own day, and today, are fine.
func TestReceiptIsDatedFromTheOrdersDayToToday(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	po, _ := p.order(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	ordered := today.AddDate(0, 0, -10)
	// Late in the order's day: the order's day, not the moment it was made, is the bound.
	if err := p.db.Model(po).Update("created_at", ordered.Add(23*time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	d, _ := models.GetPurchaseOrder(ctx, p.db, po.ID)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	for typed, want := range map[string]string{
		day(ordered.AddDate(0, 0, -1)): "The date is before PO-000001 was ordered, on " + ordered.Format("2 Jan 2006") + ": enter the day the goods arrived.",
		day(today.AddDate(0, 0, 2)):    "The date is after today; enter the day the goods arrived.",
		day(today.AddDate(1, 0, 0)):    "The date is after today; enter the day the goods arrived.",
		"05/12/2026":                   models.DateNotUnderstood,
	} {
		in := receive(d.Lines, "1")
		in.ReceivedOn = typed
		_, err := models.RecordReceipt(ctx, p.db, p.clerk.ID, po.ID, in)
		if got := fieldError(t, err, "received_on"); got != want {
			t.Errorf("received on %s: %q, want %q", typed, got, want)
		}
	}
	var n int64
	p.db.Model(&models.Receipt{}).Count(&n)
	if n != 0 {
		t.Fatalf("refused receipts wrote %d receipts", n)
	}
	for _, on := range []time.Time{ordered, today} {
		in := receive(d.Lines, "1")
		in.ReceivedOn = day(on)
		if _, err := models.RecordReceipt(ctx, p.db, p.clerk.ID, po.ID, in); err != nil {
			t.Errorf("received on %s: %v", day(on), err)
		}
	}
}
