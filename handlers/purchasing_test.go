package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/policy"
	authviews "outlay/views/auth"
)

var standAndCable = []testutil.OrderLine{
	{Description: "Laptop stand", Quantity: "10", UnitPrice: 2500, TaxRateBP: 2000},
	{Description: "USB-C cable", Quantity: "4", UnitPrice: 1000},
}

// An AP clerk turns an approved requisition into an order, receives part of it, is refused
// an over-receipt beside the line, closes the rest by hand and emails the order.
func TestPurchaseOrderFromRequisitionToClose(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "orders@vendor.example", standAndCable...)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("carl@acme.example", testutil.Password)
	c.Get("/dashboard") // the signed-in CSRF token

	res := c.Post("/requisitions/"+itoa(r.Requisition.ID)+"/purchase-order", nil)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/purchase-orders/") {
		t.Fatalf("create: %d %q", res.Status, res.Location())
	}
	poPath := res.Location()
	page := c.Get(poPath)
	if page.Status != 200 || !strings.HasPrefix(page.Text(".page-header h1"), "PO-000001") || !strings.Contains(page.Text(".flash"), "Purchase order PO-000001 created") {
		t.Fatalf("order page %d %q %q", page.Status, page.Text(".page-header h1"), page.Text(".flash"))
	}
	if got := page.Doc.Find("table.po-lines tbody tr").Length(); got != 2 {
		t.Errorf("%d lines shown", got)
	}
	// A second click lands on the same order.
	again := c.Post("/requisitions/"+itoa(r.Requisition.ID)+"/purchase-order", nil)
	if again.Location() != poPath || !strings.Contains(c.Get(poPath).Text(".flash"), "already ordered as PO-000001") {
		t.Errorf("second click: %d %q", again.Status, again.Location())
	}

	var lines []models.PurchaseOrderLine
	db.Where("purchase_order_id = (SELECT id FROM purchase_orders WHERE number = 'PO-000001')").Order("position").Find(&lines)
	stand, cable := models.ReceiptField(lines[0].ID), models.ReceiptField(lines[1].ID)
	res = c.Post(poPath+"/receipts", url.Values{stand: {"4"}, cable: {""}, "note": {"First pallet"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("receipt: %d", res.Status)
	}
	page = c.Get(poPath)
	if !strings.Contains(page.Text(".page-header h1"), "Partly received") || !strings.Contains(page.Text(".receipt-list"), "4 × Laptop stand") {
		t.Errorf("after a partial receipt: %q / %q", page.Text(".page-header h1"), page.Text(".receipt-list"))
	}

	// Over-receipt through htmx: the form comes back with the message beside the line.
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "receive-form")
	res = c.Post(poPath+"/receipts", url.Values{stand: {"7"}, cable: {"1"}})
	c.Header.Del("HX-Target")
	if res.Status != http.StatusUnprocessableEntity || res.Text("#"+stand+"-error") != "Line 1 (Laptop stand): only 6 remain to be received." {
		t.Errorf("over-receipt: %d %q", res.Status, res.Text("#"+stand+"-error"))
	}
	if v, _ := res.Doc.Find("#" + cable).Attr("value"); v != "1" {
		t.Errorf("the typed quantity was not kept: %q", v)
	}
	res = c.Post(poPath+"/close", url.Values{"reason": {" "}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#reason-error") != "Say why the order is closed." {
		t.Errorf("close without a reason: %d %q", res.Status, res.Text("#reason-error"))
	}
	c.Header.Del("HX-Request")
	var receipts int64
	db.Model(&models.Receipt{}).Count(&receipts)
	if receipts != 1 {
		t.Errorf("%d receipts stored", receipts)
	}

	res = c.Post(poPath+"/email", nil)
	// Three mails: the order to the vendor, and the requester's two notifications (the order
	// made from her requisition, the goods received against it).
	sent := app.WaitMail(t, 3)
	var toVendor []string
	for _, m := range sent {
		if m.To == "orders@vendor.example" {
			toVendor = append(toVendor, m.Body)
		} else if m.To != "rita@acme.example" {
			t.Errorf("a mail to %s", m.To)
		}
	}
	if res.Status != http.StatusSeeOther || len(sent) != 3 || len(toVendor) != 1 {
		t.Fatalf("email: %d, %d sent, %d to the vendor", res.Status, len(sent), len(toVendor))
	}
	if body := toVendor[0]; !strings.Contains(body, "Total: $340.00") || !strings.Contains(body, "1. Laptop stand") {
		t.Errorf("mail body %s", body)
	}
	if page = c.Get(poPath); !strings.Contains(page.Text(".flash"), "queued for orders@vendor.example, but this server has no mail server") {
		t.Errorf("email flash %q", page.Text(".flash"))
	}

	c.Post(poPath+"/close", url.Values{"reason": {"Vendor cannot supply the rest"}})
	page = c.Get(poPath)
	if !strings.Contains(page.Text(".page-header h1"), "Closed") || page.Doc.Find("#receive-form").Length() != 0 || !strings.Contains(page.Text(".details"), "Vendor cannot supply the rest") {
		t.Errorf("closed order page: %q", page.Text(".page-header h1"))
	}

	// The print page: its own layout, no navigation, the organisation, vendor and delivery.
	print := c.Get(poPath + "/print")
	if print.Status != 200 || print.Doc.Find("nav.nav").Length() != 0 || print.Text(".print-org") != "Acme Corporation" {
		t.Fatalf("print: %d %q", print.Status, print.Text(".print-org"))
	}
	for _, want := range []string{"Purchase order PO-000001", r.Vendor.Name, r.Location.Name, "9 Dock Road", "$340.00", "Laptop stand"} {
		if !strings.Contains(print.Text("main"), want) {
			t.Errorf("print lacks %q", want)
		}
	}

	// Rita, a requester, may not list purchase orders.
	rc := app.Client(t, "acme")
	rc.SignIn("rita@acme.example", testutil.Password)
	rc.Get("/dashboard") // the signed-in CSRF token
	if res := rc.Get("/purchase-orders"); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("requester lists orders: %d %q", res.Status, res.Location())
	}
}

// A requester follows their ordered requisition to its order and reads it: its lines with
// what was received and the receipts, and nothing to act on. Another requester's order, or
// its history and print pages, are not theirs to open.
func TestRequesterReadsTheOrderOfTheirRequisition(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "rob@acme.example", "Rob Requester", "requester")
	env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "orders@vendor.example", standAndCable...)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("carl@acme.example", testutil.Password)
	c.Get("/dashboard")
	res := c.Post("/requisitions/"+itoa(r.Requisition.ID)+"/purchase-order", nil)
	poPath := res.Location()
	var lines []models.PurchaseOrderLine
	db.Where("purchase_order_id = (SELECT id FROM purchase_orders WHERE number = 'PO-000001')").Order("position").Find(&lines)
	if res := c.Post(poPath+"/receipts", url.Values{models.ReceiptField(lines[0].ID): {"4"}, "note": {"First pallet"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("receipt: %d", res.Status)
	}
	c.Post(poPath+"/comments", url.Values{"body": {"Second pallet next week."}})

	rc := app.Client(t, "acme")
	rc.SignIn("rita@acme.example", testutil.Password)
	rc.Get("/dashboard")
	req := rc.Get("/requisitions/" + itoa(r.Requisition.ID))
	link := req.Doc.Find(`a[href="` + poPath + `"]`)
	if link.Length() != 1 || !strings.Contains(link.Text(), "PO-000001") {
		t.Fatalf("the requisition's page does not link its order: %q", req.Text("main"))
	}
	page := rc.Get(poPath)
	if page.Status != 200 || !strings.HasPrefix(page.Text(".page-header h1"), "PO-000001") {
		t.Fatalf("requester's order page: %d %q", page.Status, page.Text(".page-header h1"))
	}
	if got := page.Text(`table.po-lines tbody tr:first-child td[data-label="Received"]`); got != "4" {
		t.Errorf("received shown as %q", got)
	}
	if !strings.Contains(page.Text(".receipt-list"), "4 × Laptop stand") || !strings.Contains(page.Text(".receipt-list"), "First pallet") {
		t.Errorf("receipts shown as %q", page.Text(".receipt-list"))
	}
	if !strings.Contains(page.Text("main"), "Second pallet next week.") {
		t.Error("the order's comments are not shown")
	}
	for _, sel := range []string{"main form", "#receive-form", "textarea", `a[href$="/history"]`, `a[href$="/print"]`} {
		if n := page.Doc.Find(sel).Length(); n != 0 {
			t.Errorf("the requester is offered %s (%d)", sel, n)
		}
	}
	for _, p := range []string{poPath + "/history", poPath + "/print"} {
		if res := rc.Get(p); res.Status == 200 {
			t.Errorf("requester opens %s", p)
		}
	}
	if res := rc.Post(poPath+"/comments", url.Values{"body": {"Hello"}}); res.Status != http.StatusNotFound {
		t.Errorf("requester comments on the order: %d", res.Status)
	}

	other := app.Client(t, "acme")
	other.SignIn("rob@acme.example", testutil.Password)
	other.Get("/dashboard")
	if res := other.Get(poPath); res.Status != http.StatusNotFound {
		t.Errorf("another requester opens the order: %d", res.Status)
	}
	if res := other.Get("/purchase-orders/999999"); res.Status != http.StatusNotFound {
		t.Errorf("a missing order: %d", res.Status)
	}
}

// A role that may read purchase orders and nothing of requisitions (a receiving desk) opens an
// order's page, as it opens the order list, History and print; a comment it posts that is
// refused comes back on that page with the text as typed, not as a flash elsewhere.
func TestOrderReaderWithoutRequisitionsOpensTheOrder(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	ctx, db := context.Background(), env.DB(t, acme)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin") // someone keeps the roles page
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	carl := env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	_, po := dbtest.ReceivedOrder(t, db, rita.ID, carl.ID, nil, standAndCable...)
	desk, err := models.CreateRole(ctx, db, "Receiving desk")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []policy.Permission{
		{Object: outlay.ObjPurchaseOrders, Action: outlay.ActRead},
		{Object: outlay.ObjComments, Action: outlay.ActCreate},
	} {
		if err := models.SetPermission(ctx, db, models.ByOperator(), desk.Name, p, true); err != nil {
			t.Fatal(err)
		}
	}
	env.CreateUser(t, acme, "dora@acme.example", "Dora Desk", desk.Name)
	app := testutil.NewApp(t, env)
	c := signedIn(t, app, "dora@acme.example")
	poPath := "/purchase-orders/" + itoa(po.ID)

	for _, path := range []string{"/purchase-orders", poPath, poPath + "/history", poPath + "/print"} {
		if res := c.Get(path); res.Status != http.StatusOK {
			t.Errorf("%s: %d %q", path, res.Status, res.Location())
		}
	}
	page := c.Get(poPath)
	if !strings.HasPrefix(page.Text(".page-header h1"), po.Number) || page.Doc.Find("#comment-body").Length() != 1 {
		t.Fatalf("the order's page: %q, comment boxes %d", page.Text(".page-header h1"), page.Doc.Find("#comment-body").Length())
	}
	reqPath := "/requisitions/" + itoa(po.RequisitionID)
	if res := c.Get(reqPath); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("the desk opens the requisition: %d %q", res.Status, res.Location())
	}
	c.Get("/dashboard") // consume the refusal's flash
	// So the order names the requisition it was made from without a link the desk would be
	// turned away from; the clerk, who may open requisitions, has the link.
	made := page.Doc.Find(`.details dt:contains("Requisition")`).First().Next()
	if !strings.HasPrefix(strings.TrimSpace(made.Text()), po.RequisitionNumber) || made.Find("a").Length() != 0 ||
		page.Doc.Find(`a[href="`+reqPath+`"]`).Length() != 0 {
		t.Errorf("the desk's order page names the requisition as %q, with %d links", made.Text(), page.Doc.Find(`a[href="`+reqPath+`"]`).Length())
	}
	clerkPage := signedIn(t, app, "carl@acme.example").Get(poPath)
	if link := clerkPage.Doc.Find(`.details a[href="` + reqPath + `"]`); link.Text() != po.RequisitionNumber {
		t.Errorf("the clerk's link to the requisition: %q", link.Text())
	}

	res := c.Post(poPath+"/comments", url.Values{"body": {"   "}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#body-error") != "Write a comment first." ||
		!strings.HasPrefix(res.Text(".page-header h1"), po.Number) {
		t.Errorf("a refused comment: %d %q on %q (location %q)", res.Status, res.Text("#body-error"), res.Text(".page-header h1"), res.Location())
	}
	if res := c.Post(poPath+"/comments", url.Values{"body": {"Two boxes arrived damaged."}}); res.Status != http.StatusSeeOther || res.Location() != poPath+"#comments" {
		t.Errorf("a comment: %d %q", res.Status, res.Location())
	}
	if got := c.Get(poPath).Text(".comment-body"); got != "Two boxes arrived damaged." {
		t.Errorf("comments shown as %q", got)
	}
}

func TestPurchaseOrderListFiltersAndCounts(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	clerk := env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("carl@acme.example", testutil.Password)
	c.Get("/dashboard") // the signed-in CSRF token
	if res := c.Get("/purchase-orders"); res.Status != 200 || res.Text(".empty-state h2") != "No purchase orders yet" {
		t.Fatalf("empty list: %d %q", res.Status, res.Text(".empty-state h2"))
	}
	v := models.Viewer{UserID: clerk.ID, Roles: []string{"ap_clerk"}, SeeAllKinds: []string{models.DocRequisition}}
	var vendorID int64
	for i := range 3 {
		r := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
		po, err := models.CreatePurchaseOrder(context.Background(), db, v, r.Requisition.ID)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			vendorID = r.Vendor.ID
			if err := models.ClosePurchaseOrder(context.Background(), db, clerk.ID, po.ID, "Not needed"); err != nil {
				t.Fatal(err)
			}
		}
	}
	log := &statementLog{}
	log.register(t, db)
	var res *testutil.Response
	// counts says how many of stmts read the list (its page, its tallies), and how many of
	// those count the orders one by one.
	counts := func(stmts []recordedStatement) (list, counted int) {
		for _, st := range stmts {
			if strings.Contains(st.sql, "purchase_orders") || strings.Contains(st.sql, "status_tallies") {
				list++
			}
			if strings.Contains(st.sql, `SELECT count(*) FROM (SELECT 1 FROM "purchase_orders"`) {
				counted++
			}
		}
		return list, counted
	}
	// The page carries the orders' tallies (its status choices), which give the list's total
	// too: one statement. The orders are counted, on the same statement, only when a search
	// or a vendor narrows the list; a page with no rows reads its figures alone after it.
	if list, counted := counts(log.during(func() { res = c.Get("/purchase-orders") })); list != 1 || counted != 0 {
		t.Errorf("the list sends %d statements and counts the orders %d times, want 1 and 0", list, counted)
	}
	if got := res.Doc.Find("#po-results tbody tr").Length(); got != 3 || res.Text(".page-header p") != "3 purchase orders, 2 waiting for goods." {
		t.Errorf("list: %d rows, %q", got, res.Text(".page-header p"))
	}
	for query, want := range map[string]int{"status=closed": 1, "status=open": 2, "q=000002": 1, "q=po-00000": 3, "vendor=" + itoa(vendorID): 1, "q=nothing": 0, "status=closed&q=po": 1} {
		var res *testutil.Response
		stmts := log.during(func() { res = c.Get("/purchase-orders?" + query) })
		if got := res.Doc.Find("#po-results tbody tr").Length(); got != want {
			t.Errorf("%s: %d rows, want %d", query, got, want)
		}
		narrowed := strings.Contains(query, "q=") || strings.Contains(query, "vendor=")
		if list, counted := counts(stmts); list != 1+btoi(want == 0) || counted != btoi(narrowed)*list {
			t.Errorf("%s: %d statements, the orders counted %d times; want %d and %d", query, list, counted, 1+btoi(want == 0), btoi(narrowed)*(1+btoi(want == 0)))
		}
		if narrowed && want > 0 && res.Text(".list-note") != fmt.Sprintf("%d %s Clear filters", want, map[bool]string{true: "order matches.", false: "orders match."}[want == 1]) {
			t.Errorf("%s: %q", query, res.Text(".list-note"))
		}
		if want == 0 && res.Text(".empty-state h2") != "No order matches" {
			t.Errorf("%s: empty state %q", query, res.Text(".empty-state h2"))
		}
	}
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "po-results")
	res = c.Get("/purchase-orders?status=closed&q=")
	if res.Text(".list-note") != "1 order matches. Clear filters" {
		t.Errorf("closed orders: %q", res.Text(".list-note"))
	}
	if res.Doc.Find(".page-header").Length() != 0 || res.Doc.Find("#po-results tbody tr").Length() != 1 || res.Header.Get("HX-Push-Url") != "/purchase-orders?status=closed" {
		t.Errorf("htmx results: push %q", res.Header.Get("HX-Push-Url"))
	}
}

func TestCommentsAppendInline(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "olga@acme.example", "Olga Other", "requester")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("rita@acme.example", testutil.Password)
	c.Get("/dashboard") // the signed-in CSRF token
	path := "/requisitions/" + itoa(r.Requisition.ID) + "/comments"
	c.Header.Set("HX-Request", "true")
	res := c.Post(path, url.Values{"body": {"Please order before Friday."}})
	if res.Status != 200 || res.Text(".comment-body") != "Please order before Friday." || res.Text("#comment-body") != "" || !strings.Contains(res.Header.Get("HX-Trigger"), "Comment posted") {
		t.Fatalf("comment: %d %q", res.Status, res.Text(".comment-body"))
	}
	res = c.Post(path, url.Values{"body": {"And the cables too."}})
	if got := res.Doc.Find(".comment").Length(); got != 2 || res.Text("#comments .count") != "2 comments" {
		t.Errorf("%d comments after the second", got)
	}
	res = c.Post(path, url.Values{"body": {"  "}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#body-error") != "Write a comment first." || res.Doc.Find(".comment").Length() != 2 {
		t.Errorf("empty comment: %d %q", res.Status, res.Text("#body-error"))
	}
	// Olga cannot see Rita's requisition, so cannot comment on it.
	o := app.Client(t, "acme")
	o.SignIn("olga@acme.example", testutil.Password)
	o.Get("/dashboard") // the signed-in CSRF token
	if res := o.Post(path, url.Values{"body": {"hello"}}); res.Status != http.StatusNotFound {
		t.Errorf("comment on another's requisition: %d", res.Status)
	}
	var n int64
	db.Model(&models.Comment{}).Count(&n)
	if n != 2 {
		t.Errorf("%d comments stored", n)
	}
}

var pdfBytes = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func TestAttachmentsUploadAndDownloadOnlyForThoseWhoSeeTheDocument(t *testing.T) {
	t.Parallel()
	env := testutil.NewEnv(t)
	acme := env.NewTenant(t, "acme", "Acme Corporation")
	globex := env.NewTenant(t, "globex", "Globex")
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "olga@acme.example", "Olga Other", "requester")
	env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	gina := env.CreateUser(t, globex, "gina@globex.example", "Gina Globex", "requester")
	g := testutil.ApprovedRequisition(t, env.DB(t, globex), gina.ID, "", standAndCable...)
	if g.Requisition.ID != r.Requisition.ID {
		t.Fatalf("the tenants' requisitions should share an id: %d, %d", g.Requisition.ID, r.Requisition.ID)
	}
	env.Config.MaxUploadBytes = 2048
	app := testutil.NewApp(t, env)
	blobDir := strings.TrimPrefix(env.Config.BlobURL, "file://")
	base := "/requisitions/" + itoa(r.Requisition.ID) + "/attachments"

	c := app.Client(t, "acme")
	c.SignIn("rita@acme.example", testutil.Password)
	c.Get("/dashboard") // the signed-in CSRF token
	c.Header.Set("HX-Request", "true")
	// Too big: refused beside the field, nothing stored.
	res := c.Upload(base, "file", "big.txt", "text/plain", []byte(strings.Repeat("a", 2049)))
	if res.Status != http.StatusUnprocessableEntity || res.Text("#file-error") != "This file is larger than 2 KB, the most an attachment may be." {
		t.Errorf("too big: %d %q", res.Status, res.Text("#file-error"))
	}
	// HTML claiming to be a PDF: refused by its bytes.
	res = c.Upload(base, "file", "invoice.pdf", "application/pdf", []byte("<html><script>alert(1)</script></html>"))
	if res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(res.Text("#file-error"), "Files of this kind cannot be attached.") {
		t.Errorf("html as pdf: %d %q", res.Status, res.Text("#file-error"))
	}
	if entries, _ := os.ReadDir(blobDir); len(entries) != 0 {
		t.Errorf("refused uploads stored %d entries", len(entries))
	}
	// A PDF sent as an image is stored as the PDF it is, under a safe name.
	res = c.Upload(base, "file", "../../Quote <final>.pdf", "image/png", pdfBytes)
	if res.Status != 200 || res.Text(".attachment a") != "Quote _final_.pdf" || !strings.Contains(res.Text(".attachment .hint"), "PDF") {
		t.Fatalf("upload: %d %q %q", res.Status, res.Text(".attachment a"), res.Text("#file-error"))
	}
	href, _ := res.Doc.Find(".attachment a").Attr("href")
	c.Header.Del("HX-Request")

	dl := c.Get(href)
	if dl.Status != 200 || dl.Body != string(pdfBytes) {
		t.Fatalf("download: %d, %d bytes", dl.Status, len(dl.Body))
	}
	for header, want := range map[string]string{
		"Content-Type":           "application/pdf",
		"Content-Disposition":    `attachment; filename="Quote _final_.pdf"; filename*=UTF-8''Quote%20_final_.pdf`,
		"X-Content-Type-Options": "nosniff",
	} {
		if got := dl.Header.Get(header); got != want {
			t.Errorf("%s: %q, want %q", header, got, want)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(blobDir, "acme", "*")); len(files) == 0 {
		t.Error("the blob is not under the tenant's prefix")
	}
	// The clerk, who sees every submitted requisition, may download it.
	carl := app.Client(t, "acme")
	carl.SignIn("carl@acme.example", testutil.Password)
	carl.Get("/dashboard") // the signed-in CSRF token
	if res := carl.Get(href); res.Status != 200 {
		t.Errorf("clerk download: %d", res.Status)
	}
	// Olga, who cannot see Rita's requisition, gets the same 404 as for a file that does
	// not exist, and cannot upload to it either.
	o := app.Client(t, "acme")
	o.SignIn("olga@acme.example", testutil.Password)
	o.Get("/dashboard") // the signed-in CSRF token
	missing := base + "/999999"
	for _, path := range []string{href, missing, base + "/abc"} {
		if res := o.Get(path); res.Status != http.StatusNotFound {
			t.Errorf("olga GET %s: %d", path, res.Status)
		}
	}
	if res := c.Get(missing); res.Status != http.StatusNotFound {
		t.Errorf("rita GET a missing file: %d", res.Status)
	}
	if res := o.Upload(base, "file", "x.pdf", "application/pdf", pdfBytes); res.Status != http.StatusNotFound {
		t.Errorf("olga uploads to Rita's requisition: %d", res.Status)
	}
	// Another tenant's user, on their own requisition with the very same ids, gets 404.
	gc := app.Client(t, "globex")
	gc.SignIn("gina@globex.example", testutil.Password)
	gc.Get("/dashboard") // the signed-in CSRF token
	if res := gc.Get(href); res.Status != http.StatusNotFound {
		t.Errorf("cross-tenant download: %d", res.Status)
	}
	var n int64
	db.Model(&models.Attachment{}).Count(&n)
	if n != 1 {
		t.Errorf("%d attachments stored", n)
	}
}

// A requisition's page offers its order to those who may make one, once approved, then
// links to it; everyone who sees the requisition sees its comments and attachments.
func TestRequisitionPageOffersItsPurchaseOrder(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	env.CreateUser(t, acme, "aude@acme.example", "Aude Auditor", "auditor")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	app := testutil.NewApp(t, env)
	path := "/requisitions/" + itoa(r.Requisition.ID)
	button := `form[action="` + path + `/purchase-order"] button`

	clients := map[string]*testutil.Client{}
	for _, who := range []string{"rita", "carl", "aude"} {
		c := app.Client(t, "acme")
		c.SignIn(who+"@acme.example", testutil.Password)
		clients[who] = c
		page := c.Get(path)
		// The auditor reads comments and files but adds none.
		forms := map[string]int{"rita": 1, "carl": 1}[who]
		if page.Status != 200 || page.Doc.Find("#comments").Length() != 1 || page.Doc.Find("#comments form").Length() != forms || page.Doc.Find("#attachments form").Length() != forms {
			t.Errorf("%s: status %d, comment and upload forms %d/%d, want %d", who, page.Status,
				page.Doc.Find("#comments form").Length(), page.Doc.Find("#attachments form").Length(), forms)
		}
		if got, want := page.Doc.Find(button).Length(), map[string]int{"carl": 1}[who]; got != want {
			t.Errorf("%s sees %d create buttons, want %d", who, got, want)
		}
	}
	if res := clients["aude"].Post(path+"/comments", url.Values{"body": {"Noted."}}); res.Location() != "/dashboard" {
		t.Errorf("auditor comments: %d %q", res.Status, res.Location())
	}
	c := clients["carl"]
	c.Get(path)
	res := c.Post(path+"/purchase-order", nil)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/purchase-orders/") {
		t.Fatalf("create: %d %q", res.Status, res.Location())
	}
	for who, want := range map[string]int{"carl": 1, "aude": 1, "rita": 1} {
		page := clients[who].Get(path)
		link := page.Doc.Find(`.page-header a[href="` + res.Location() + `"]`)
		if link.Length() != want || page.Doc.Find(button).Length() != 0 {
			t.Errorf("%s: %d links to the order, want %d", who, link.Length(), want)
		}
		if want == 1 && strings.TrimSpace(link.Text()) != "View PO-000001" {
			t.Errorf("%s: link says %q", who, link.Text())
		}
	}
}

// What cannot be done to an order is explained in a flash, and offered by no button.
func TestPurchaseOrderRefusalsAreExplained(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	clerk := env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	po, err := models.CreatePurchaseOrder(context.Background(), db, models.Viewer{UserID: clerk.ID, Roles: []string{"ap_clerk"}, SeeAllKinds: []string{models.DocRequisition}}, r.Requisition.ID)
	if err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("carl@acme.example", testutil.Password)
	path := "/purchase-orders/" + itoa(po.ID)
	if page := c.Get(path); page.Doc.Find(`form[action="`+path+`/email"]`).Length() != 0 || !strings.Contains(page.Text(".details"), "None on file") {
		t.Error("an order to a vendor without email offers to email it")
	}
	c.Post(path+"/email", nil)
	app.WaitJobs(t)
	if got := c.Get(path).Text(".flash-error"); !strings.Contains(got, "has no email address") || len(app.Mail.Sent()) != 0 {
		t.Errorf("email without an address: flash %q, %d sent", got, len(app.Mail.Sent()))
	}
	c.Post(path+"/close", url.Values{"reason": {"Cancelled by the requester"}})
	c.Post(path+"/close", url.Values{"reason": {"Again"}})
	if got := c.Get(path).Text(".flash-error"); got != "PO-000001 is already closed." {
		t.Errorf("closing twice: flash %q", got)
	}
	c.Post(path+"/receipts", url.Values{"qty-1": {"1"}})
	if got := c.Get(path).Text(".flash-error"); !strings.HasPrefix(got, "Nothing more can be received against PO-000001") {
		t.Errorf("receiving against a closed order: flash %q", got)
	}
	for _, p := range []string{"/purchase-orders/999999", "/purchase-orders/abc", "/purchase-orders/999999/print"} {
		if res := c.Get(p); res.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, res.Status)
		}
	}
}

// An order's page costs the same few queries however many receipts and comments it has.
func TestPurchaseOrderPageQueriesDoNotGrowWithItsHistory(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	clerk := env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	v := models.Viewer{UserID: clerk.ID, Roles: []string{"ap_clerk"}, SeeAllKinds: []string{models.DocRequisition, models.DocPurchaseOrder}}
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", testutil.OrderLine{Description: "Paper", Quantity: "100", UnitPrice: 500})
	po, err := models.CreatePurchaseOrder(context.Background(), db, v, r.Requisition.ID)
	if err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("carl@acme.example", testutil.Password)
	path := "/purchase-orders/" + itoa(po.ID)
	cost := func() int64 {
		c.Get(path)
		before := app.Counter.Tenant.Load()
		if res := c.Get(path); res.Status != 200 {
			t.Fatalf("order page: %d", res.Status)
		}
		return app.Counter.Tenant.Load() - before
	}
	bare := cost()
	d, _ := models.GetPurchaseOrder(context.Background(), db, po.ID)
	for range 15 {
		if _, err := models.RecordReceipt(context.Background(), db, clerk.ID, po.ID, models.ReceiptInput{Quantities: map[int64]string{d.Lines[0].ID: "2"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.AddComment(context.Background(), db, v, models.DocPurchaseOrder, po.ID, "Another delivery", ""); err != nil {
			t.Fatal(err)
		}
	}
	busy := cost()
	t.Logf("order page: %d tenant queries bare, %d with 15 receipts and 15 comments", bare, busy)
	if busy != bare || bare > 14 {
		t.Errorf("order page: %d queries bare, %d with history", bare, busy)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestUploadsAndProviderSignInsTakeNoTurn fills a tenant's turns (two requests for each connection of its
// pool) and checks that a page then waits its turn and is answered 503 when none comes, while
// an upload, which streams its body for as long as the client takes, and the sign-in steps
// that wait on an identity provider are served without one.
func TestUploadsAndProviderSignInsTakeNoTurn(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	env.Pools.Wait = 300 * time.Millisecond // before the app and its jobs use the pools
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("rita@acme.example", testutil.Password)
	c.Get("/dashboard") // the signed-in CSRF token

	var held []func()
	for range 2 * env.Config.TenantPoolConns {
		_, release, err := env.Pools.AcquireRequest(context.Background(), acme)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}
	if res := c.Get("/dashboard"); res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("a page while every turn is taken: %d, Retry-After %q; want 503 with Retry-After", res.Status, res.Header.Get("Retry-After"))
	}
	c.Header.Set("HX-Request", "true")
	res := c.Upload("/requisitions/"+itoa(r.Requisition.ID)+"/attachments", "file", "quote.pdf", "application/pdf", pdfBytes)
	if res.Status != http.StatusOK || res.Text(".attachment a") != "quote.pdf" {
		t.Errorf("an upload while every turn is taken: %d %q", res.Status, res.Text(".attachment a"))
	}
	c.Header.Del("HX-Request")
	// Nor do the sign-in steps that wait on an identity provider; the page beside them does.
	anon := app.Client(t, "acme")
	for path, want := range map[string]int{authviews.SSOPath + "/nosuch": http.StatusNotFound,
		authviews.SSOPath + "/nosuch/callback": http.StatusNotFound, authviews.LoginPath: http.StatusServiceUnavailable} {
		if res := anon.Get(path); res.Status != want {
			t.Errorf("%s while every turn is taken: %d, want %d", path, res.Status, want)
		}
	}
	for _, release := range held {
		release()
	}
	if res := c.Get("/dashboard"); res.Status != http.StatusOK {
		t.Errorf("a page once the turns came free: %d", res.Status)
	}
}

// A receipt dated before its order was placed is refused beside the date, naming the order's
// day, and the receiving form comes back as typed; so is one dated after today. The date
// picker offers only the days in between.
func TestReceiptDatedBeforeItsOrderIsRefusedBesideTheDate(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "orders@vendor.example", standAndCable...)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("carl@acme.example", testutil.Password)
	c.Get("/dashboard")
	res := c.Post("/requisitions/"+itoa(r.Requisition.ID)+"/purchase-order", nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create: %d", res.Status)
	}
	poPath := res.Location()
	ordered := time.Now().UTC().AddDate(0, 0, -3)
	if err := db.Exec(`UPDATE purchase_orders SET created_at = ?`, ordered).Error; err != nil {
		t.Fatal(err)
	}
	var lines []models.PurchaseOrderLine
	db.Order("position").Find(&lines)
	stand, cable := models.ReceiptField(lines[0].ID), models.ReceiptField(lines[1].ID)

	// The date picker offers only the days the form takes: from the order's day to today (a
	// day more, for time zones ahead of UTC).
	date := c.Get(poPath).Doc.Find("#receive-form input#received_on")
	first, last := ordered.Format(time.DateOnly), time.Now().UTC().AddDate(0, 0, models.MaxFutureDays).Format(time.DateOnly)
	if date.AttrOr("min", "") != first || date.AttrOr("max", "") != last {
		t.Errorf("the date picker offers %q to %q, want %s to %s", date.AttrOr("min", ""), date.AttrOr("max", ""), first, last)
	}
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "receive-form")
	defer c.Header.Del("HX-Request")
	for typed, want := range map[string]string{
		ordered.AddDate(0, 0, -1).Format(time.DateOnly):         "The date is before PO-000001 was ordered, on " + ordered.Format("2 Jan 2006") + ": enter the day the goods arrived.",
		time.Now().UTC().AddDate(0, 0, 5).Format(time.DateOnly): "The date is after today; enter the day the goods arrived.",
	} {
		res = c.Post(poPath+"/receipts", url.Values{stand: {"4"}, cable: {"1.5"}, "received_on": {typed}, "note": {"First pallet"}})
		if res.Status != http.StatusUnprocessableEntity || res.Text("#received_on-error") != want {
			t.Errorf("received on %s: %d %q, want %q", typed, res.Status, res.Text("#received_on-error"), want)
		}
		for id, value := range map[string]string{stand: "4", cable: "1.5", "received_on": typed, "receipt-note": "First pallet"} {
			if got := res.Doc.Find("#"+id).AttrOr("value", ""); got != value {
				t.Errorf("received on %s: %s shows %q, want %q as typed", typed, id, got, value)
			}
		}
	}
	var receipts int64
	db.Model(&models.Receipt{}).Count(&receipts)
	if receipts != 0 {
		t.Errorf("%d receipts stored from refused forms", receipts)
	}
}

// clerksOrder is Rita's order, received, on a site of its own, with Carl the clerk (who
// bought it) signed in: his client, the tenant's database, the order and its page's path.
func clerksOrder(t *testing.T) (*testutil.Client, *gorm.DB, *models.PurchaseOrderDetail, string) {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	carl := env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	db := env.DB(t, acme)
	_, po := dbtest.ReceivedOrder(t, db, rita.ID, carl.ID, nil, standAndCable...)
	return signedIn(t, testutil.NewApp(t, env), "carl@acme.example"), db, po, "/purchase-orders/" + itoa(po.ID)
}
