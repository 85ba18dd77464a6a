package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
)

// approvalSite: Rita requests, her manager Max approves, Al approves nothing of hers.
type approvalSite struct {
	db             *gorm.DB
	app            *testutil.App
	max, rita, al  *models.User
	maxC, alC      *testutil.Client
	eng            models.Department
	software       models.GLAccount
	requisitionSeq int
}

func newApprovalSite(t *testing.T) *approvalSite {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	s := &approvalSite{db: env.DB(t, acme)}
	s.max = env.CreateUser(t, acme, "max@acme.example", "Max Manager", "approver")
	s.al = env.CreateUser(t, acme, "al@acme.example", "Al Approver", "approver")
	var err error
	s.rita, err = models.CreateUser(context.Background(), s.db, models.NewUser{Email: "rita@acme.example", Name: "Rita Requester",
		Password: testutil.Password, Roles: []string{"requester"}, ManagerID: &s.max.ID})
	if err != nil {
		t.Fatal(err)
	}
	s.eng = models.Department{Name: "Engineering"}
	s.software = models.GLAccount{Code: "6000", Name: "Software"}
	if err := s.db.Create(&s.eng).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Create(&s.software).Error; err != nil {
		t.Fatal(err)
	}
	s.app = testutil.NewApp(t, env)
	s.maxC, s.alC = s.client(t, "max@acme.example"), s.client(t, "al@acme.example")
	return s
}

func (s *approvalSite) client(t *testing.T, email string) *testutil.Client {
	c := s.app.Client(t, "acme")
	c.SignIn(email, testutil.Password)
	c.Get("/approvals")
	return c
}

// pending submits a requisition of Rita's for amount; no rule matches, so it waits for Max.
func (s *approvalSite) pending(t *testing.T, amount int64) (*models.Requisition, int64) {
	t.Helper()
	r := testutil.CreateRequisition(t, s.db, testutil.Requisition{RequesterID: s.rita.ID, DepartmentID: &s.eng.ID,
		Justification: "Licences for the team", Lines: []testutil.RequisitionLine{{GLAccountID: &s.software.ID, Amount: amount}}})
	out := testutil.SubmitRequisition(t, s.db, r)
	if len(out.Steps) != 1 {
		t.Fatalf("route %+v", out)
	}
	return r, out.Steps[0].ID
}

func approvalPost(c *testutil.Client, path string, form url.Values) *testutil.Response {
	c.Header.Set("HX-Request", "true")
	defer c.Header.Del("HX-Request")
	return c.Post(path, form)
}

func approvalGet(c *testutil.Client, path string) *testutil.Response {
	c.Header.Set("HX-Request", "true")
	defer c.Header.Del("HX-Request")
	return c.Get(path)
}

func stepURL(id int64, action string) string {
	if action == "" {
		return fmt.Sprintf("/approvals/%d", id)
	}
	return fmt.Sprintf("/approvals/%d/%s", id, action)
}

func TestApprovalsQueueShowsOnlyRoutedRequests(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	r, step := s.pending(t, 123456)
	page := s.maxC.Get("/approvals")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d", page.Status)
	}
	row := page.Doc.Find(fmt.Sprintf("tbody#step-%d", step))
	if row.Length() != 1 || !strings.Contains(row.Text(), *r.Number) || !strings.Contains(row.Text(), "$1,234.56") ||
		!strings.Contains(row.Text(), "Rita Requester") || !strings.Contains(row.Text(), "Engineering") {
		t.Errorf("Max's row: %q", row.Text())
	}
	if got := page.Text("#approvals-count"); got != "1" {
		t.Errorf("count badge %q", got)
	}
	if page.Doc.Find(`#bulk-form input[name="_csrf"]`).Length() != 1 {
		t.Error("bulk form without a CSRF field")
	}
	// Al sees nothing, and cannot open or decide Max's step.
	if al := s.alC.Get("/approvals"); al.Doc.Find("tbody.approval-item").Length() != 0 || !strings.Contains(al.Text(".empty-state"), "All caught up") {
		t.Errorf("Al's queue: %q", al.Text("#approval-results"))
	}
	for _, res := range []*testutil.Response{
		s.alC.Get(stepURL(step, "")),
		approvalPost(s.alC, stepURL(step, "approve"), nil),
		approvalPost(s.alC, stepURL(step, "reject"), url.Values{"comment": {"no"}}),
		s.maxC.Get("/approvals/not-a-number"),
	} {
		if res.Status != http.StatusNotFound {
			t.Errorf("status %d, want 404", res.Status)
		}
	}
	var st models.ApprovalStep
	if err := s.db.First(&st, step).Error; err != nil || st.Status != models.StepPending {
		t.Errorf("step after refusals: %+v %v", st, err)
	}
	// Filters narrow the queue.
	for q, want := range map[string]int{"?q=" + *r.Number: 1, "?q=zzz": 0, "?min=2000": 0, "?min=1000": 1,
		fmt.Sprintf("?department=%d", s.eng.ID): 1} {
		res := approvalGet(s.maxC, "/approvals"+q)
		if n := res.Doc.Find("tbody.approval-item").Length(); n != want {
			t.Errorf("%s: %d rows, want %d", q, n, want)
		}
	}
	if res := s.maxC.Get("/approvals?min=lots"); res.Text("#min-error") == "" {
		t.Error("a malformed amount filter says nothing")
	}
}

func TestApprovalsInlineApproveRejectAndDetails(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	_, first := s.pending(t, 1000)
	r2, second := s.pending(t, 2000)
	if err := s.db.Create(&models.Attachment{DocType: models.DocRequisition, DocID: r2.ID, UploadedBy: s.rita.ID, Filename: "quote.pdf",
		ContentType: "application/pdf", SizeBytes: 2048, SHA256: strings.Repeat("a", 64), StorageKey: "k"}).Error; err != nil {
		t.Fatal(err)
	}
	year := time.Now().Year()
	if err := s.db.Create(&models.Budget{DepartmentID: s.eng.ID, GLAccountID: s.software.ID, AmountMinor: 1500, Currency: "USD",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}).Error; err != nil {
		t.Fatal(err)
	}

	d := approvalGet(s.maxC, stepURL(second, ""))
	if d.Status != http.StatusOK || !strings.Contains(d.Body, "quote.pdf") || !strings.Contains(d.Body, "Licences for the team") {
		t.Fatalf("details: %d %s", d.Status, d.Body)
	}
	if href, _ := d.Doc.Find(".attachment-list a").Attr("href"); href != fmt.Sprintf("/requisitions/%d/attachments/", r2.ID)+fmt.Sprint(attachmentID(t, s.db, r2.ID)) {
		t.Errorf("attachment link %q", href)
	}
	budget := d.Doc.Find(".budget-impact tbody tr")
	if !strings.Contains(budget.Text(), "$15.00") || !strings.Contains(budget.Text(), "$20.00") ||
		!strings.Contains(budget.Text(), "-$5.00") || !strings.Contains(budget.Text(), "Over budget") {
		t.Errorf("budget impact %q", budget.Text())
	}

	// Reject without a comment: the row comes back with the error beside the field.
	res := approvalPost(s.maxC, stepURL(first, "reject"), url.Values{"comment": {" "}})
	if res.Status != http.StatusUnprocessableEntity || res.Text(fmt.Sprintf("#comment-%d-error", first)) == "" {
		t.Fatalf("reject without comment: %d %s", res.Status, res.Body)
	}
	res = approvalPost(s.maxC, stepURL(first, "reject"), url.Values{"comment": {"Use the site licence"}})
	// A bare <tbody> is no HTML document: read the row's text from the body.
	if res.Status != http.StatusOK || !strings.Contains(res.Body, fmt.Sprintf(`<tbody id="step-%d"`, first)) || !strings.Contains(res.Body, ">Rejected<") {
		t.Fatalf("reject: %d %s", res.Status, res.Body)
	}
	if !strings.Contains(res.Header.Get("HX-Trigger"), "back with its requester") {
		t.Errorf("toast %q", res.Header.Get("HX-Trigger"))
	}
	if oob, _ := res.Doc.Find("#approvals-count").Attr("hx-swap-oob"); oob != "true" || res.Text("#approvals-count") != "1" {
		t.Errorf("count badge after one decision: %q (oob %q)", res.Text("#approvals-count"), oob)
	}
	// Approve the other; approving it again tells who already did.
	res = approvalPost(s.maxC, stepURL(second, "approve"), nil)
	if res.Status != http.StatusOK || res.Text("#approvals-count") != "0" || !strings.Contains(res.Header.Get("HX-Trigger"), "over budget") {
		t.Fatalf("approve: %d %q %s", res.Status, res.Header.Get("HX-Trigger"), res.Body)
	}
	res = approvalPost(s.maxC, stepURL(second, "approve"), nil)
	if res.Status != http.StatusOK || !strings.Contains(res.Text(".outcome"), "Max Manager already approved") {
		t.Errorf("approve twice: %d %q", res.Status, res.Text(".outcome"))
	}
	var req models.Requisition
	if err := s.db.First(&req, r2.ID).Error; err != nil || req.Status != models.RequisitionApproved {
		t.Errorf("requisition %s %v", req.Status, err)
	}
	// Without htmx, a decision returns to the queue with a flash.
	_, third := s.pending(t, 100)
	res = s.maxC.Post(stepURL(third, "approve"), url.Values{})
	if res.Status != http.StatusSeeOther || !strings.Contains(s.maxC.Get(res.Location()).Text(".flash"), "Approved") {
		t.Errorf("plain approve: %d", res.Status)
	}
}

func attachmentID(t *testing.T, db *gorm.DB, docID int64) int64 {
	var a models.Attachment
	if err := db.Where("doc_id = ?", docID).First(&a).Error; err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func TestApprovalsBulkApprove(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	var steps []string
	for i := 0; i < 4; i++ {
		_, step := s.pending(t, int64(1000+i))
		steps = append(steps, fmt.Sprint(step))
	}
	// Someone decided one in the meantime.
	res := approvalPost(s.maxC, "/approvals/"+steps[3]+"/approve", nil)
	if res.Status != http.StatusOK {
		t.Fatal(res.Status)
	}
	res = approvalPost(s.maxC, "/approvals/bulk", url.Values{"step": steps})
	if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("HX-Trigger"), "3 approved, 1 already decided") {
		t.Fatalf("bulk: %d %q", res.Status, res.Header.Get("HX-Trigger"))
	}
	if res.Text("#approvals-count") != "0" || res.Doc.Find("tbody.approval-item").Length() != 0 {
		t.Errorf("after bulk: count %q, %d rows", res.Text("#approvals-count"), res.Doc.Find("tbody.approval-item").Length())
	}
}

// The page keeps "Approve ticked" waiting for a tick (app.js, through the form's
// data-ticks); a request with nothing ticked (a page without JavaScript, or a forged post) is
// still refused with a message saying to tick some, and decides nothing.
func TestApprovalsBulkApproveNeedsATick(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	_, step := s.pending(t, 1000)
	page := s.maxC.Get("/approvals")
	form := page.Doc.Find("#bulk-form")
	if form.AttrOr("data-ticks", "") != "step" || form.Find("[data-tick-all]").Length() != 1 ||
		form.Find(`button[type=submit]`).AttrOr("aria-describedby", "") != "bulk-hint" || page.Text("#bulk-hint") == "" {
		t.Error("the bulk form does not wait for a tick, or offers no 'Tick all'")
	}
	res := approvalPost(s.maxC, "/approvals/bulk", url.Values{})
	if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("HX-Trigger"), "Tick the requests to approve first.") ||
		!strings.Contains(res.Header.Get("HX-Trigger"), `"error"`) {
		t.Errorf("htmx, nothing ticked: %d %q", res.Status, res.Header.Get("HX-Trigger"))
	}
	if msg := flashAfter(t, s.maxC, s.maxC.Post("/approvals/bulk", url.Values{})); msg != "Tick the requests to approve first." {
		t.Errorf("plain post, nothing ticked: %q", msg)
	}
	var st models.ApprovalStep
	if err := s.db.First(&st, step).Error; err != nil || st.Status != models.StepPending {
		t.Errorf("an empty bulk approval left the step %q (%v)", st.Status, err)
	}
}

func TestApprovalsDelegation(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	_, step := s.pending(t, 1000)
	page := s.maxC.Get("/approvals/delegation")
	if page.Status != http.StatusOK || page.Doc.Find(`#delegation-form input[name="_csrf"]`).Length() != 1 {
		t.Fatalf("delegation page %d", page.Status)
	}
	today := time.Now().Format(time.DateOnly)
	res := s.maxC.Post("/approvals/delegation", url.Values{"delegate": {fmt.Sprint(s.al.ID)}, "starts_on": {today},
		"ends_on": {time.Now().AddDate(0, 0, -1).Format(time.DateOnly)}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#ends_on-error") == "" {
		t.Fatalf("ends before it starts: %d", res.Status)
	}
	res = s.maxC.Post("/approvals/delegation", url.Values{"delegate": {fmt.Sprint(s.max.ID)}, "starts_on": {today}, "ends_on": {today}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#delegate-error") == "" {
		t.Fatalf("delegate to oneself: %d", res.Status)
	}
	res = s.maxC.Post("/approvals/delegation", url.Values{"delegate": {fmt.Sprint(s.al.ID)}, "starts_on": {today}, "ends_on": {today}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("delegate: %d %s", res.Status, res.Text(".field-error"))
	}
	if got := s.maxC.Get(res.Location()).Text(".delegations"); !strings.Contains(got, "Al Approver") {
		t.Errorf("delegations %q", got)
	}
	// Al now sees Max's step, acts for him, and the step says so.
	q := s.alC.Get("/approvals")
	if !strings.Contains(q.Text(fmt.Sprintf("tbody#step-%d", step)), "On behalf of Max Manager") {
		t.Fatalf("Al's queue: %q", q.Text("#approval-results"))
	}
	if res := approvalPost(s.alC, stepURL(step, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("Al approves for Max: %d", res.Status)
	}
	var st models.ApprovalStep
	if err := s.db.First(&st, step).Error; err != nil || st.OnBehalfOf == nil || *st.OnBehalfOf != s.max.ID || *st.ActedBy != s.al.ID {
		t.Errorf("step %+v %v", st, err)
	}
	// Al cannot clear Max's delegation; Max can.
	var d models.ApprovalDelegation
	if err := s.db.First(&d).Error; err != nil {
		t.Fatal(err)
	}
	if res := s.alC.Post(fmt.Sprintf("/approvals/delegation/%d/delete", d.ID), nil); res.Status != http.StatusNotFound {
		t.Errorf("Al clears Max's delegation: %d", res.Status)
	}
	if res := s.maxC.Post(fmt.Sprintf("/approvals/delegation/%d/delete", d.ID), nil); res.Status != http.StatusSeeOther {
		t.Errorf("Max clears his delegation: %d", res.Status)
	}
}

// Two approvers holding the role click approve at the same moment: one decision counts, and
// the other gets the row back as it now stands, naming who decided.
func TestApprovalsRaceShowsTheWinner(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	if _, err := models.CreateApprovalRule(context.Background(), s.db, models.RuleInput{DocType: models.DocRequisition, Name: "Any approver",
		Priority: "1", Currency: "USD", BudgetCheck: models.BudgetCheckNone, Active: true,
		Steps: []models.RuleStepInput{{Kind: models.StepRole, Role: "approver"}}}); err != nil {
		t.Fatal(err)
	}
	_, step := s.pending(t, 1000)
	clients := []*testutil.Client{s.maxC, s.alC}
	bodies := make([]string, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := approvalPost(c, stepURL(step, "approve"), nil)
			bodies[i] = res.Header.Get("HX-Trigger") + " " + res.Body
		}()
	}
	wg.Wait()
	won := 0
	for _, b := range bodies {
		switch {
		case strings.Contains(b, "fully approved"):
			won++
		case strings.Contains(b, "Max Manager already approved") || strings.Contains(b, "Al Approver already approved"):
		default:
			t.Errorf("neither the winner nor told who won: %s", b)
		}
	}
	if won != 1 {
		t.Errorf("%d winners", won)
	}
}
