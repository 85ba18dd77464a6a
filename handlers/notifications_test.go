package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// submitNotified submits a requisition of Rita's with notifications on, as the web does.
func (s *approvalSite) submitNotified(t *testing.T, amount int64) (*models.Requisition, int64) {
	t.Helper()
	saved := s.db
	s.db = s.db.WithContext(models.WithNotifier(context.Background(), &models.Notifier{OrgName: "Acme", BaseURL: "http://acme.localhost:8080"}))
	defer func() { s.db = saved }()
	return s.pending(t, amount)
}

// The approver's bell counts the request waiting for them, their page names the document,
// the requester and the amount; nobody else sees it or can mark it read. Deciding the step
// resolves the approver's notification and tells the requester, in the app as by mail.
func TestNotificationsAreEachPersonsOwn(t *testing.T) {
	s := newApprovalSite(t)
	r, step := s.submitNotified(t, 125000)
	rita := s.client(t, "rita@acme.example")

	if got := s.maxC.Get("/notifications/bell").Text(".bell-count"); got != "1" {
		t.Fatalf("Max's bell shows %q, want 1", got)
	}
	if got := s.alC.Get("/notifications/bell").Text(".bell-count"); got != "" {
		t.Errorf("Al's bell shows %q, want nothing", got)
	}
	page := s.maxC.Get("/notifications")
	title := page.Text(".notification-title")
	for _, want := range []string{*r.Number, "Rita Requester", "1,250.00", "waits for your approval"} {
		if !strings.Contains(title, want) {
			t.Errorf("Max's notification %q does not name %q", title, want)
		}
	}
	// The link is followed once Max has decided: following it reads it.
	maxLink, _ := page.Doc.Find(".notification-title").Attr("href")
	if got := page.Text(".bell-count"); got != "1" {
		t.Errorf("the top bar's bell on a page shows %q", got)
	}
	al := s.alC.Get("/notifications")
	if al.Doc.Find(".notification").Length() != 0 || !strings.Contains(al.Text(".empty-state"), "No notifications yet") {
		t.Errorf("Al sees someone else's notifications: %q", al.Text("main"))
	}
	var id int64
	if err := s.db.Raw(`SELECT id FROM notifications WHERE recipient_id = ?`, s.max.ID).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("Max's notification: %d %v", id, err)
	}
	// Al cannot mark Max's notification read: it does not exist for him.
	if res := s.alC.Post(fmt.Sprintf("/notifications/%d/read", id), url.Values{}); res.Status != http.StatusNotFound {
		t.Errorf("Al marking Max's notification read: %d, want 404", res.Status)
	}
	s.alC.Post("/notifications/read-all", url.Values{})
	if got := s.maxC.Get("/notifications/bell").Text(".bell-count"); got != "1" {
		t.Errorf("after Al's actions Max's bell shows %q, want 1", got)
	}

	// Max approves: the response refreshes his bell out of band, to none waiting.
	res := approvalPost(s.maxC, stepURL(step, "approve"), url.Values{"comment": {"Fine for this quarter"}})
	if res.Status != http.StatusOK {
		t.Fatalf("approve: %d", res.Status)
	}
	bell := res.Doc.Find("#notifications-bell")
	if oob, _ := bell.Attr("hx-swap-oob"); oob != "true" || strings.TrimSpace(bell.Find(".bell-count").Text()) != "" {
		t.Errorf("the approval's response carries bell %q oob=%q, want it emptied out of band", bell.Text(), oob)
	}
	// Rita is told, with the approver and the comment.
	if got := rita.Get("/notifications/bell").Text(".bell-count"); got != "1" {
		t.Fatalf("Rita's bell shows %q, want 1", got)
	}
	rp := rita.Get("/notifications")
	if title := rp.Text(".notification-title"); !strings.Contains(title, *r.Number) || !strings.Contains(title, "approved by Max Manager") {
		t.Errorf("Rita's notification %q", title)
	}
	if sum := rp.Text(".notification-summary"); !strings.Contains(sum, "Fine for this quarter") {
		t.Errorf("Rita's notification summary %q lacks the comment", sum)
	}
	var ritaID int64
	s.db.Raw(`SELECT id FROM notifications WHERE recipient_id = ?`, s.rita.ID).Scan(&ritaID)
	rita.Header.Set("HX-Request", "true")
	mr := rita.Post(fmt.Sprintf("/notifications/%d/read", ritaID), url.Values{})
	rita.Header.Del("HX-Request")
	if mr.Status != http.StatusOK || mr.Doc.Find(".notification-read").Length() != 1 || mr.Doc.Find("#notifications-bell .bell-count").Length() != 0 {
		t.Errorf("marking read: %d %q", mr.Status, mr.Body)
	}
	if got := rita.Get("/notifications/bell").Text(".bell-count"); got != "" {
		t.Errorf("after marking read Rita's bell shows %q", got)
	}
	// Max's notification still leads to the step he decided, whose page says so.
	res = s.maxC.Get(maxLink)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/approvals/") {
		t.Fatalf("Max's notification's link %q answers %d to %q", maxLink, res.Status, res.Location())
	}
	if page := s.maxC.Get(res.Location()); page.Status != http.StatusOK || !strings.Contains(page.Text("main"), *r.Number) {
		t.Errorf("the step Max decided: %d %q", page.Status, page.Text("main"))
	}
}

// Mark all read clears the bell, and the page pages newest first.
func TestMarkAllNotificationsRead(t *testing.T) {
	s := newApprovalSite(t)
	for i := range 27 {
		s.submitNotified(t, int64(1000+i))
	}
	if got := s.maxC.Get("/notifications/bell").Text(".bell-count"); got != "27" {
		t.Fatalf("bell %q, want 27", got)
	}
	first := s.maxC.Get("/notifications")
	if n := first.Doc.Find(".notification").Length(); n != 25 {
		t.Errorf("first page lists %d, want 25", n)
	}
	if !strings.Contains(first.Text(".notification-title"), "10.26") {
		t.Errorf("first page does not start with the newest: %q", first.Doc.Find(".notification-title").First().Text())
	}
	if got := first.Text(".page-header p"); got != "27 unread." {
		t.Errorf("the page says %q, want 27 unread", got)
	}
	if got := first.Text(".pagination [role=status]"); got != "Showing 1–25 of 27" {
		t.Errorf("first page: %q", got)
	}
	second := s.maxC.Get("/notifications?page=2")
	if n := second.Doc.Find(".notification").Length(); n != 2 || second.Text(".pagination [role=status]") != "Showing 26–27 of 27" {
		t.Errorf("second page lists %d (%q), want 2 of 27", n, second.Text(".pagination [role=status]"))
	}
	// Past the last page: the last page.
	if past := s.maxC.Get("/notifications?page=9"); past.Doc.Find(".notification").Length() != 2 || past.Text(".pagination [role=status]") != "Showing 26–27 of 27" {
		t.Errorf("page 9 of 2 shows %q", past.Text(".pagination [role=status]"))
	}
	s.maxC.Post("/notifications/read-all", url.Values{})
	if got := s.maxC.Get("/notifications/bell").Text(".bell-count"); got != "" {
		t.Errorf("after marking all read the bell shows %q", got)
	}
}

// A lapsed organisation's people still mark their notifications read: the page offers it, and
// the bell empties; the organisation's records stay as they were.
func TestLapsedPeopleStillMarkNotificationsRead(t *testing.T) {
	s := newApprovalSite(t)
	for i := range 3 {
		s.submitNotified(t, int64(2000+i))
	}
	if err := s.app.Registry.SetStatus(context.Background(), "acme", "lapsed"); err != nil {
		t.Fatal(err)
	}
	page := s.maxC.Get("/notifications")
	one := page.Doc.Find(`.notification [hx-post$="/read"], .notification form[action$="/read"]`).First()
	action := one.AttrOr("hx-post", one.AttrOr("action", ""))
	if action == "" || page.Doc.Find(`[hx-post="/notifications/read-all"], form[action="/notifications/read-all"]`).Length() == 0 {
		t.Fatalf("the lapsed notifications page offers no Mark read (%q)", action)
	}
	if res := s.maxC.Post(action, url.Values{}); res.Status >= 400 {
		t.Fatalf("marking one read while lapsed: %d", res.Status)
	}
	if got := s.maxC.Get("/notifications/bell").Text(".bell-count"); got != "2" {
		t.Errorf("after marking one read the bell shows %q, want 2", got)
	}
	if res := s.maxC.Post("/notifications/read-all", url.Values{}); res.Status >= 400 {
		t.Fatalf("marking all read while lapsed: %d", res.Status)
	}
	if got := s.maxC.Get("/notifications/bell").Text(".bell-count"); got != "" {
		t.Errorf("after marking all read the bell shows %q", got)
	}
	// Anything else is still refused.
	if res := s.maxC.Post("/requisitions", url.Values{"justification": {"More"}}); res.Status != http.StatusForbidden {
		t.Errorf("a new requisition while lapsed: %d", res.Status)
	}
}

// Someone whose roles may not read requisitions is told nothing about one, by mail or in
// the app, even when its step is theirs.
func TestNobodyIsToldOfADocumentTheyMayNotSee(t *testing.T) {
	s := newApprovalSite(t)
	if err := s.db.Exec(`DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = 'approver' AND v1 = 'requisitions' AND v2 = 'read'`).Error; err != nil {
		t.Fatal(err)
	}
	s.submitNotified(t, 5000)
	var notes, mails int64
	s.db.Raw(`SELECT count(*) FROM notifications WHERE recipient_id = ?`, s.max.ID).Scan(&notes)
	s.db.Raw(`SELECT count(*) FROM mail_outbox WHERE recipient = 'max@acme.example'`).Scan(&mails)
	if notes != 0 || mails != 0 {
		t.Errorf("Max, who may not read requisitions, got %d notifications and %d mails", notes, mails)
	}
}

// The requester is told, by mail and in the app, when an order is made from their
// requisition and when goods are received against it; the clerk who did it is not.
func TestRequesterIsToldOfTheOrderAndTheGoods(t *testing.T) {
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	carl := env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
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
	var lines []models.PurchaseOrderLine
	db.Where("purchase_order_id = (SELECT id FROM purchase_orders WHERE number = 'PO-000001')").Order("position").Find(&lines)
	if res := c.Post(poPath+"/receipts", url.Values{models.ReceiptField(lines[0].ID): {"4"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("receipt: %d", res.Status)
	}

	rc := app.Client(t, "acme")
	rc.SignIn("rita@acme.example", testutil.Password)
	page := rc.Get("/notifications")
	titles := page.Doc.Find(".notification-title")
	if titles.Length() != 2 {
		t.Fatalf("Rita has %d notifications, want 2: %q", titles.Length(), page.Text(".notification-list"))
	}
	number := *r.Requisition.Number
	received, ordered := strings.TrimSpace(titles.Eq(0).Text()), strings.TrimSpace(titles.Eq(1).Text())
	if !strings.Contains(ordered, "Your requisition "+number) || !strings.Contains(ordered, "as PO-000001 by Carl Clerk") {
		t.Errorf("order notification %q", ordered)
	}
	if !strings.Contains(received, "Goods received against your requisition "+number) || !strings.Contains(received, "Carl Clerk") {
		t.Errorf("receipt notification %q", received)
	}
	if sum := page.Doc.Find(".notification-summary").Eq(0).Text(); !strings.Contains(sum, "Laptop stand: 4 received") || !strings.Contains(sum, "still to come") {
		t.Errorf("receipt summary %q", sum)
	}
	if href, _ := titles.Eq(0).Attr("href"); rc.Get(href).Location() != "/requisitions/"+itoa(r.Requisition.ID) {
		t.Errorf("receipt notification's link %q leads to %q", href, rc.Get(href).Location())
	}
	var mails []string
	db.Raw(`SELECT subject FROM mail_outbox WHERE recipient = 'rita@acme.example' ORDER BY id`).Scan(&mails)
	if len(mails) != 2 || mails[0] != "Your requisition "+number+" was ordered as PO-000001" || mails[1] != "Goods received against your requisition "+number {
		t.Errorf("Rita's mails %q", mails)
	}
	var carls int64
	db.Raw(`SELECT count(*) FROM notifications WHERE recipient_id = ?`, carl.ID).Scan(&carls)
	if carls != 0 {
		t.Errorf("the clerk was told of his own actions %d times", carls)
	}
}

// followNotification follows the link of the person's only notification as a browser does,
// through every redirect, and returns the page it ends on with that page's path.
func followNotification(t *testing.T, c *testutil.Client) (*testutil.Response, string) {
	t.Helper()
	page := c.Get("/notifications")
	links := page.Doc.Find(".notification-title")
	if links.Length() != 1 {
		t.Fatalf("%d notifications listed, want 1: %q", links.Length(), page.Text("main"))
	}
	path, _ := links.Attr("href")
	res := c.Get(path)
	for hops := 0; res.Status == http.StatusSeeOther; hops++ {
		if hops == 5 {
			t.Fatalf("following %s: too many redirects", path)
		}
		path = res.Location()
		res = c.Get(path)
	}
	return res, path
}

// A requester withdraws the requisition waiting for Max: his notification stops counting as
// waiting, and following it lands on his notifications, saying what happened, not on a page
// that is not found. What he may not see of it stays unseen.
func TestAWithdrawnRequisitionsNotificationSaysItWasWithdrawn(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	r, _ := s.submitNotified(t, 5000)
	if got := s.maxC.Get("/notifications/bell").Text(".bell-count"); got != "1" {
		t.Fatalf("Max's bell shows %q before the withdrawal, want 1", got)
	}
	rita := s.client(t, "rita@acme.example")
	rita.Get("/requisitions/" + itoa(r.ID))
	if res := rita.Post("/requisitions/"+itoa(r.ID)+"/withdraw", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", res.Status)
	}
	if got := s.maxC.Get("/notifications/bell").Text(".bell-count"); got != "" {
		t.Errorf("Max's bell shows %q after the withdrawal, want nothing", got)
	}
	if res := s.maxC.Get("/requisitions/" + itoa(r.ID)); res.Status != http.StatusNotFound {
		t.Errorf("Max opens the withdrawn requisition itself: %d, want 404", res.Status)
	}

	landed, path := followNotification(t, s.maxC)
	if landed.Status != http.StatusOK || path != "/notifications" {
		t.Fatalf("following the notification ends on %s with %d: %q", path, landed.Status, landed.Text("main"))
	}
	if got, want := landed.Text(".flash"), *r.Number+" was withdrawn; nothing waits for you there."; got != want {
		t.Errorf("the page says %q, want %q", got, want)
	}
	if body := landed.Text("main"); strings.Contains(body, "Licences for the team") {
		t.Errorf("the page shows the requisition's justification: %q", body)
	}
}

// The same for an expense report submitted through the web and withdrawn by its owner.
func TestAWithdrawnExpenseReportsNotificationSaysItWasWithdrawn(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	rita, maxC := s.client(t, s.rita), s.client(t, s.max)
	res := rita.Post("/expenses", s.expenseForm("submit", [4]string{day(1), ids(s.meals.ID), "Cafe Lumen", "12.00"}))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error"))
	}
	report := res.Location()
	if got := maxC.Get("/notifications/bell").Text(".bell-count"); got != "1" {
		t.Fatalf("Max's bell shows %q before the withdrawal, want 1", got)
	}
	var number string
	if err := s.db.Raw(`SELECT number FROM expense_reports WHERE owner_id = ?`, s.rita.ID).Scan(&number).Error; err != nil || number == "" {
		t.Fatalf("the report's number: %q %v", number, err)
	}
	if res := rita.Post(report+"/withdraw", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", res.Status)
	}
	if got := maxC.Get("/notifications/bell").Text(".bell-count"); got != "" {
		t.Errorf("Max's bell shows %q after the withdrawal, want nothing", got)
	}

	landed, path := followNotification(t, maxC)
	if landed.Status != http.StatusOK || path != "/notifications" {
		t.Fatalf("following the notification ends on %s with %d: %q", path, landed.Status, landed.Text("main"))
	}
	if got, want := landed.Text(".flash"), number+" was withdrawn; nothing waits for you there."; got != want {
		t.Errorf("the page says %q, want %q", got, want)
	}
	if body := landed.Text("main"); strings.Contains(body, "Cafe Lumen") {
		t.Errorf("the page shows the report's merchant: %q", body)
	}
}
