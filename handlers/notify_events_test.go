package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/tenancy"
)

// told is who was told of something since a point: each person's in-app notification kinds
// and their mails.
type told struct {
	notes map[string][]models.Notification // by recipient email
	mails map[string][]models.OutboxMail   // by recipient email
}

// toldSince reads the notifications and outbox mails written after the ids in mark.
func toldSince(t *testing.T, db *gorm.DB, mark [2]int64) told {
	t.Helper()
	out := told{notes: map[string][]models.Notification{}, mails: map[string][]models.OutboxMail{}}
	var notes []struct {
		models.Notification
		Email string
	}
	if err := db.Raw(`SELECT n.*, u.email FROM notifications n JOIN users u ON u.id = n.recipient_id WHERE n.id > ? ORDER BY n.id`, mark[0]).Scan(&notes).Error; err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		out.notes[n.Email] = append(out.notes[n.Email], n.Notification)
	}
	var mails []models.OutboxMail
	if err := db.Where("id > ?", mark[1]).Order("id").Find(&mails).Error; err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		out.mails[m.Recipient] = append(out.mails[m.Recipient], m)
	}
	return out
}

// mark is where toldSince starts reading.
func mark(t *testing.T, db *gorm.DB) [2]int64 {
	t.Helper()
	var m [2]int64
	if err := db.Raw(`SELECT (SELECT COALESCE(max(id), 0) FROM notifications), (SELECT COALESCE(max(id), 0) FROM mail_outbox)`).Row().Scan(&m[0], &m[1]); err != nil {
		t.Fatal(err)
	}
	return m
}

// who lists, sorted, the people told in the app with the kind of each:
// "rita@acme.example notify_comment".
func (w told) who() string {
	return recipientsAndKinds(w.notes, func(n models.Notification) string { return n.Kind })
}

// whoMailed lists, sorted, the mails written, the same way.
func (w told) whoMailed() string {
	return recipientsAndKinds(w.mails, func(m models.OutboxMail) string { return m.Kind })
}

func recipientsAndKinds[T any](by map[string][]T, kind func(T) string) string {
	var out []string
	for email, items := range by {
		for _, it := range items {
			out = append(out, email+" "+kind(it))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// orderedSite: Rita's requisition, approved by her manager Max through the web and ordered
// by Carl the buyer; Fay (finance) sees every requisition without taking part; Al is an
// approver it was never routed to, and Zed a requester: neither may see it. Max Other shares
// Max's first name.
type orderedSite struct {
	*approvalSite
	req                 *models.Requisition
	poID                int64
	carl, fay, zed, mo  *models.User
	ritaC, carlC, fayC  *testutil.Client
	requisitionPath     string
	purchaseOrderPath   string
	requisitionComments string
}

func newOrderedSite(t *testing.T) *orderedSite {
	t.Helper()
	s := &orderedSite{approvalSite: newApprovalSite(t)}
	env, acme := s.app.Env, tenantOfSite(t, s.approvalSite)
	s.carl = env.CreateUser(t, acme, "carl.clerk@acme.example", "Carl Clerk", "ap_clerk")
	s.fay = env.CreateUser(t, acme, "fay@acme.example", "Fay Finance", "ap_clerk")
	s.zed = env.CreateUser(t, acme, "zed@acme.example", "Zed Outsider", "requester")
	s.mo = env.CreateUser(t, acme, "max.other@acme.example", "Max Other", "ap_clerk")
	vendor := models.Vendor{Name: "Paper Co", Currency: "USD", Status: models.VendorActive, Email: "orders@paper.example"}
	loc := models.Location{Name: "Head office", Address: "1 Main Street"}
	for _, rec := range []any{&vendor, &loc} {
		if err := s.db.Create(rec).Error; err != nil {
			t.Fatal(err)
		}
	}
	s.req = testutil.CreateRequisition(t, s.db, testutil.Requisition{RequesterID: s.rita.ID, DepartmentID: &s.eng.ID, VendorID: &vendor.ID,
		Justification: "Paper for the printers", Lines: []testutil.RequisitionLine{{GLAccountID: &s.software.ID, Amount: 123456}}})
	if err := s.db.Model(s.req).Update("location_id", loc.ID).Error; err != nil {
		t.Fatal(err)
	}
	step := testutil.SubmitRequisition(t, s.db, s.req).Steps[0].ID
	if res := approvalPost(s.maxC, stepURL(step, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve: %d", res.Status)
	}
	s.carlC, s.fayC, s.ritaC = signedIn(t, s.app, s.carl.Email), signedIn(t, s.app, s.fay.Email), signedIn(t, s.app, s.rita.Email)
	res := s.carlC.Post(fmt.Sprintf("/requisitions/%d/purchase-order", s.req.ID), nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("order: %d %s", res.Status, res.Text("main"))
	}
	if err := s.db.Raw(`SELECT id FROM purchase_orders WHERE requisition_id = ?`, s.req.ID).Scan(&s.poID).Error; err != nil || s.poID == 0 {
		t.Fatalf("order: %d %v", s.poID, err)
	}
	s.requisitionPath = fmt.Sprintf("/requisitions/%d", s.req.ID)
	s.purchaseOrderPath = fmt.Sprintf("/purchase-orders/%d", s.poID)
	return s
}

func tenantOfSite(t *testing.T, s *approvalSite) tenancy.Tenant {
	t.Helper()
	got, ok := s.app.Registry.Lookup("acme")
	if !ok {
		t.Fatal("no tenant acme")
	}
	return got
}

// signedIn is a client signed in as email, holding a form token.
func signedIn(t *testing.T, app *testutil.App, email string) *testutil.Client {
	t.Helper()
	c := app.Client(t, "acme")
	c.SignIn(email, testutil.Password)
	c.Get("/dashboard")
	return c
}

// comment posts a comment as c on the document at path.
func comment(t *testing.T, c *testutil.Client, path, body string) {
	t.Helper()
	if res := c.Post(path+"/comments", url.Values{"body": {body}}); res.Status != http.StatusSeeOther {
		t.Fatalf("comment on %s: %d %s", path, res.Status, res.Text("main"))
	}
}

// A comment tells everyone taking part in the document (requester, approvers, the buyer of
// its order, earlier commenters) except its author, in the app and by mail, naming the
// document, the author and the amount with a link to its comments; an @mention tells the
// person mentioned instead (by name, address or unique first name), whether or not they take
// part; and nobody who may not see the document is told, mentioned or not.
func TestCommentsAndMentionsTellThoseTakingPart(t *testing.T) {
	s := newOrderedSite(t)
	db, number := s.db, *s.req.Number

	// Max comments and mentions two people who may not see the requisition.
	m := mark(t, db)
	comment(t, s.maxC, s.requisitionPath, "Approved, but order the recycled paper. @Zed Outsider and @al, FYI.")
	got := toldSince(t, db, m)
	if w := got.who(); w != "carl.clerk@acme.example notify_comment, rita@acme.example notify_comment" {
		t.Errorf("Max's comment told %q; want Rita and Carl only (Zed and Al may not see it)", w)
	}
	if w := got.whoMailed(); w != "carl.clerk@acme.example notify_comment, rita@acme.example notify_comment" {
		t.Errorf("Max's comment mailed %q", w)
	}
	for _, n := range append(got.notes["rita@acme.example"], got.notes["carl.clerk@acme.example"]...) {
		if want := "Max Manager commented on requisition " + number + " from Rita Requester for $1,234.56"; n.Title != want {
			t.Errorf("notification title %q, want %q", n.Title, want)
		}
		if n.LinkPath != s.requisitionPath+"#comments" || !strings.Contains(n.Summary, "recycled paper") {
			t.Errorf("notification links to %q, summary %q", n.LinkPath, n.Summary)
		}
	}
	for _, ml := range append(got.mails["rita@acme.example"], got.mails["carl.clerk@acme.example"]...) {
		if ml.Subject != "Max Manager commented on requisition "+number ||
			!strings.Contains(ml.Body, "Max Manager commented on Rita Requester's requisition "+number+" for $1,234.56") ||
			!strings.Contains(ml.Body, "> Approved, but order the recycled paper.") ||
			!strings.Contains(ml.Body, "http://acme.localhost:8080"+s.requisitionPath+"#comments") {
			t.Errorf("comment mail %q:\n%s", ml.Subject, ml.Body)
		}
	}
	if got := s.ritaC.Get("/notifications/bell").Text(".bell-count"); got == "" {
		t.Error("Rita's bell does not count the comment")
	}

	// Rita mentions Fay, who sees every requisition but takes no part, by her first name,
	// and Max by his address: Fay and Max are told they were mentioned; Carl of the comment.
	// Max Other, whose first name is Max's, is not told.
	m = mark(t, db)
	comment(t, s.ritaC, s.requisitionPath, "@Fay could you check the price? @max: thanks.")
	got = toldSince(t, db, m)
	if w := got.who(); w != "carl.clerk@acme.example notify_comment, fay@acme.example notify_mention, max@acme.example notify_mention" {
		t.Errorf("Rita's comment told %q", w)
	}
	if n := got.notes["fay@acme.example"]; len(n) == 1 && n[0].Title != "Rita Requester mentioned you on requisition "+number+" for $1,234.56" {
		t.Errorf("Fay's notification %q", n[0].Title)
	}
	if ml := got.mails["fay@acme.example"]; len(ml) != 1 || ml[0].Subject != "Rita Requester mentioned you on requisition "+number ||
		!strings.Contains(ml[0].Body, "Rita Requester mentioned you in a comment on their requisition "+number+" for $1,234.56") {
		t.Errorf("Fay's mail %+v", ml)
	}

	// Once Fay replies she takes part; an address written out mentions nobody.
	comment(t, s.fayC, s.requisitionPath, "The price is right.")
	m = mark(t, db)
	comment(t, s.carlC, s.requisitionPath, "Ordered; the vendor is orders@max.example, not ours.")
	if w := toldSince(t, db, m).who(); w != "fay@acme.example notify_comment, max@acme.example notify_comment, rita@acme.example notify_comment" {
		t.Errorf("Carl's comment told %q", w)
	}

	// On the order: its buyer and the requester (who may open it, read-only) take part; a
	// mention tells Fay, who sees every order, and not Zed, who may not see it.
	m = mark(t, db)
	comment(t, s.carlC, s.purchaseOrderPath, "Delivery is expected next Tuesday. @fay @zed")
	got = toldSince(t, db, m)
	if w := got.who(); w != "fay@acme.example notify_mention, rita@acme.example notify_comment" {
		t.Errorf("Carl's comment on the order told %q", w)
	}
	if n := got.notes["rita@acme.example"]; len(n) == 1 && (n[0].LinkPath != s.purchaseOrderPath+"#comments" ||
		!strings.Contains(n[0].Title, "Carl Clerk commented on purchase order PO-") || !strings.Contains(n[0].Title, "$1,234.56")) {
		t.Errorf("Rita's notification of the order's comment %+v", n[0])
	}
	if page := s.ritaC.Get(s.purchaseOrderPath); page.Status != http.StatusOK {
		t.Errorf("Rita, told of the order's comment, cannot open it: %d", page.Status)
	}
	var zeds int64
	db.Raw(`SELECT count(*) FROM notifications WHERE recipient_id = ?`, s.zed.ID).Scan(&zeds)
	if zeds != 0 {
		t.Errorf("Zed, who may see neither document, was told %d times", zeds)
	}
	if got := signedIn(t, s.app, s.zed.Email).Get("/notifications/bell").Text(".bell-count"); got != "" {
		t.Errorf("Zed's bell shows %q", got)
	}
}

// A last approval over budget tells the requester and the approver concerned, naming the
// document, the people, the amount and the budget's figures: a warning once it is approved,
// and a block while the step still waits. When a delegate's approval is blocked, both the
// delegate and the approver they stand in for are told; trying again tells nobody who has not
// read the last such notification.
func TestOverBudgetApprovalsTellTheRequesterAndTheApprover(t *testing.T) {
	s := newApprovalSite(t)
	db := s.db
	year := time.Now().Year()
	if err := db.Create(&models.Budget{DepartmentID: s.eng.ID, GLAccountID: s.software.ID, AmountMinor: 1500, Currency: "USD",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}).Error; err != nil {
		t.Fatal(err)
	}

	// The default route warns: approved, with a warning to Rita and Max.
	r1, step1 := s.pending(t, 2000)
	m := mark(t, db)
	if res := approvalPost(s.maxC, stepURL(step1, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve: %d", res.Status)
	}
	got := toldSince(t, db, m)
	if w := got.who(); w != "max@acme.example notify_budget, rita@acme.example notify_budget, rita@acme.example notify_decided" {
		t.Errorf("an approval over budget told %q", w)
	}
	if w := got.whoMailed(); w != "max@acme.example notify_budget, rita@acme.example notify_budget, rita@acme.example notify_decided" {
		t.Errorf("an approval over budget mailed %q", w)
	}
	for _, email := range []string{"rita@acme.example", "max@acme.example"} {
		for _, n := range got.notes[email] {
			if n.Kind != models.MailBudget {
				continue
			}
			if want := "Requisition " + *r1.Number + " from Rita Requester for $20.00 was approved over budget by Max Manager"; n.Title != want {
				t.Errorf("%s's notification %q, want %q", email, n.Title, want)
			}
			if !strings.Contains(n.Summary, "Engineering 6000 Software: budget $15.00") || !strings.Contains(n.Summary, "remaining -$5.00") {
				t.Errorf("%s's notification summary %q lacks the figures", email, n.Summary)
			}
		}
		for _, ml := range got.mails[email] {
			if ml.Kind == models.MailBudget && (ml.Subject != "Requisition "+*r1.Number+" was approved over budget" ||
				!strings.Contains(ml.Body, "Rita Requester's requisition "+*r1.Number+" for $20.00") ||
				!strings.Contains(ml.Body, fmt.Sprintf("http://acme.localhost:8080/requisitions/%d", r1.ID))) {
				t.Errorf("%s's budget mail %q:\n%s", email, ml.Subject, ml.Body)
			}
		}
	}

	// A budget kept in another currency cannot be checked: approved, saying so.
	hardware := models.GLAccount{Code: "6100", Name: "Hardware"}
	if err := db.Create(&hardware).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&models.Budget{DepartmentID: s.eng.ID, GLAccountID: hardware.ID, AmountMinor: 900000, Currency: "EUR",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}).Error; err != nil {
		t.Fatal(err)
	}
	rh := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: s.rita.ID, DepartmentID: &s.eng.ID,
		Lines: []testutil.RequisitionLine{{GLAccountID: &hardware.ID, Amount: 5000}}})
	stepH := testutil.SubmitRequisition(t, db, rh).Steps[0].ID
	m = mark(t, db)
	if res := approvalPost(s.maxC, stepURL(stepH, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve: %d", res.Status)
	}
	got = toldSince(t, db, m)
	if w := got.who(); w != "max@acme.example notify_budget, rita@acme.example notify_budget, rita@acme.example notify_decided" {
		t.Errorf("an approval without a budget check told %q", w)
	}
	for _, n := range got.notes["rita@acme.example"] {
		if n.Kind == models.MailBudget && (n.Title != "Requisition "+*rh.Number+" from Rita Requester for $50.00 was approved by Max Manager though it could not be checked against its budget" ||
			!strings.Contains(n.Summary, "the budget is kept in EUR and this requisition is in USD")) {
			t.Errorf("Rita's notification %q: %q", n.Title, n.Summary)
		}
	}

	// A rule that blocks; Max is away and Al stands in for him.
	rule := models.ApprovalRule{DocType: models.DocRequisition, Name: "Engineering blocks", Priority: 1, DepartmentID: &s.eng.ID,
		Currency: "USD", BudgetCheck: models.BudgetCheckBlock, Active: true}
	if err := db.Create(&rule).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&models.ApprovalRuleStep{RuleID: rule.ID, Position: 1, Kind: models.StepManager}).Error; err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if err := db.Create(&models.ApprovalDelegation{UserID: s.max.ID, DelegateID: s.al.ID, StartsOn: today.AddDate(0, 0, -1), EndsOn: today.AddDate(0, 0, 1)}).Error; err != nil {
		t.Fatal(err)
	}
	r2, step2 := s.pending(t, 3000)
	m = mark(t, db)
	res := approvalPost(s.alC, stepURL(step2, "approve"), nil)
	if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("HX-Trigger"), "blocked") {
		t.Fatalf("a blocked approval: %d %q", res.Status, res.Header.Get("HX-Trigger"))
	}
	got = toldSince(t, db, m)
	if w := got.who(); w != "al@acme.example notify_budget, max@acme.example notify_budget, rita@acme.example notify_budget" {
		t.Errorf("a blocked approval told %q", w)
	}
	if w := got.whoMailed(); w != "al@acme.example notify_budget, max@acme.example notify_budget, rita@acme.example notify_budget" {
		t.Errorf("a blocked approval mailed %q", w)
	}
	for _, n := range got.notes["rita@acme.example"] {
		if want := "Requisition " + *r2.Number + " from Rita Requester for $30.00 is over budget: Al Approver's approval was blocked"; n.Title != want {
			t.Errorf("Rita's notification %q, want %q", n.Title, want)
		}
		if !strings.Contains(n.Summary, "still waits for approval") || !strings.Contains(n.Summary, "committed $20.00, this requisition $30.00, remaining -$35.00") {
			t.Errorf("Rita's notification summary %q", n.Summary)
		}
	}
	var status string
	db.Raw(`SELECT status FROM approval_steps WHERE id = ?`, step2).Scan(&status)
	if status != models.StepPending {
		t.Errorf("the blocked step is %s, want still pending", status)
	}

	// Trying again tells nobody new; once Rita has read hers, she is told again.
	m = mark(t, db)
	approvalPost(s.alC, stepURL(step2, "approve"), nil)
	if w := toldSince(t, db, m).who(); w != "" {
		t.Errorf("trying again told %q", w)
	}
	signedIn(t, s.app, "rita@acme.example").Post("/notifications/read-all", url.Values{})
	m = mark(t, db)
	approvalPost(s.alC, stepURL(step2, "approve"), nil)
	if w := toldSince(t, db, m).who(); w != "rita@acme.example notify_budget" {
		t.Errorf("trying again after Rita read hers told %q", w)
	}
}

// A step waiting for someone who has delegated tells their stand-in too, under the bell and
// by mail, saying for whom; a delegation that has ended tells nobody. Deciding the step
// resolves both.
func TestAStepWaitingForSomeoneAwayTellsTheirStandIn(t *testing.T) {
	s := newApprovalSite(t)
	db := s.db
	today := time.Now().UTC().Truncate(24 * time.Hour)
	ended := models.ApprovalDelegation{UserID: s.max.ID, DelegateID: s.al.ID, StartsOn: today.AddDate(0, 0, -9), EndsOn: today.AddDate(0, 0, -2)}
	if err := db.Create(&ended).Error; err != nil {
		t.Fatal(err)
	}
	m := mark(t, db)
	s.submitNotified(t, 1000)
	if w := toldSince(t, db, m).who(); w != "max@acme.example notify_step_waiting" {
		t.Errorf("with the delegation ended, submitting told %q", w)
	}
	if err := db.Create(&models.ApprovalDelegation{UserID: s.max.ID, DelegateID: s.al.ID, StartsOn: today.AddDate(0, 0, -1), EndsOn: today.AddDate(0, 0, 1)}).Error; err != nil {
		t.Fatal(err)
	}
	m = mark(t, db)
	r, step := s.submitNotified(t, 2500)
	got := toldSince(t, db, m)
	if w := got.who(); w != "al@acme.example notify_step_waiting, max@acme.example notify_step_waiting" {
		t.Errorf("with Al standing in, submitting told %q", w)
	}
	if w := got.whoMailed(); w != "al@acme.example notify_step_waiting, max@acme.example notify_step_waiting" {
		t.Errorf("with Al standing in, submitting mailed %q", w)
	}
	if n := got.notes["al@acme.example"]; len(n) != 1 || !strings.Contains(n[0].Title, *r.Number) || !strings.Contains(n[0].Summary, "You stand in for Max Manager") {
		t.Errorf("Al's notification %+v", n)
	}
	if ml := got.mails["al@acme.example"]; len(ml) != 1 || !strings.Contains(ml[0].Body, "approval by Max Manager, who has asked you to stand in") {
		t.Errorf("Al's mail %+v", ml)
	}
	if got := s.alC.Get("/notifications/bell").Text(".bell-count"); got != "1" {
		t.Errorf("Al's bell shows %q, want 1", got)
	}
	if res := approvalPost(s.alC, stepURL(step, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("Al approves for Max: %d", res.Status)
	}
	if got := s.alC.Get("/notifications/bell").Text(".bell-count"); got != "" {
		t.Errorf("after approving, Al's bell shows %q", got)
	}
	var unread int64
	db.Raw(`SELECT count(*) FROM notifications WHERE recipient_id = ? AND doc_id = ? AND read_at IS NULL`, s.max.ID, r.ID).Scan(&unread)
	if unread != 0 {
		t.Errorf("Max still has %d unread notifications of the step Al decided", unread)
	}
}
