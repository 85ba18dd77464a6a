package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
)

// A delegate must hold the permission to approve when the delegation is set and whenever they
// act; while it lasts they see what is pending for the person away, not everything that was
// ever routed to that person.
func TestApprovalsDelegateMustApproveAndSeesOnlyWhatIsPending(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	ctx := context.Background()
	today := time.Now().Format(time.DateOnly)

	// Rita only requests: she is not offered as a delegate, and is refused if named.
	// The delegate is found by typing; Max himself is not offered either.
	offered := s.maxC.Get("/lookup/people/delegation").Doc
	if offered.Find(fmt.Sprintf(`[role=option][data-value="%d"]`, s.rita.ID)).Length() != 0 {
		t.Error("the delegation form offers someone who cannot approve")
	}
	if offered.Find(fmt.Sprintf(`[role=option][data-value="%d"]`, s.al.ID)).Length() != 1 {
		t.Error("the delegation form does not offer Al, who approves")
	}
	if offered.Find(fmt.Sprintf(`[role=option][data-value="%d"]`, s.max.ID)).Length() != 0 {
		t.Error("the delegation form offers Max to himself")
	}
	res := s.maxC.Post("/approvals/delegation", url.Values{"delegate": {fmt.Sprint(s.rita.ID)}, "starts_on": {today}, "ends_on": {today}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#delegate-error"), "approve") {
		t.Fatalf("delegating to Rita: %d %q", res.Status, res.Text("#delegate-error"))
	}
	given, _, err := models.Delegations(ctx, s.db, s.max.ID)
	if err != nil || len(given) != 0 {
		t.Fatalf("delegations after a refusal: %v %v", given, err)
	}

	// Max approved one request himself before going away; another waits for him.
	decided, decidedStep := s.pending(t, 1000)
	if res := approvalPost(s.maxC, stepURL(decidedStep, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("Max approves: %d", res.Status)
	}
	waiting, waitingStep := s.pending(t, 2000)
	res = s.maxC.Post("/approvals/delegation", url.Values{"delegate": {fmt.Sprint(s.al.ID)}, "starts_on": {today}, "ends_on": {today}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("delegating to Al: %d %q", res.Status, res.Text(".field-error"))
	}

	// Al sees what waits for Max, and nothing Max decided before.
	q := s.alC.Get("/approvals")
	if q.Doc.Find(fmt.Sprintf("tbody#step-%d", waitingStep)).Length() != 1 || q.Doc.Find(fmt.Sprintf("tbody#step-%d", decidedStep)).Length() != 0 {
		t.Errorf("Al's queue: %q", q.Text("#approval-results"))
	}
	if res := s.alC.Get(fmt.Sprintf("/requisitions/%d", waiting.ID)); res.Status != http.StatusOK {
		t.Errorf("Al opens the request waiting for Max: %d", res.Status)
	}
	if res := s.alC.Get(fmt.Sprintf("/requisitions/%d", decided.ID)); res.Status != http.StatusNotFound {
		t.Errorf("Al opens a request Max decided before: %d, want 404", res.Status)
	}
	if res := approvalGet(s.alC, stepURL(decidedStep, "")); res.Status != http.StatusNotFound {
		t.Errorf("Al opens the step Max decided before: %d, want 404", res.Status)
	}

	// Al loses the permission to approve: the delegation no longer lets him see or act.
	// (Ana keeps the power to edit roles.)
	if _, err := models.CreateUser(ctx, s.db, models.NewUser{Email: "ana@acme.example", Name: "Ana Admin", Password: testutil.Password, Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateUser(ctx, s.db, models.ByOperator(), s.al.ID, models.UserChange{Name: "Al Approver", Roles: []string{"requester"}}); err != nil {
		t.Fatal(err)
	}
	if res := s.alC.Get(fmt.Sprintf("/requisitions/%d", waiting.ID)); res.Status != http.StatusNotFound {
		t.Errorf("Al, no longer an approver, opens the request waiting for Max: %d, want 404", res.Status)
	}
	_, err = models.DecideStep(ctx, s.db, models.Viewer{UserID: s.al.ID, Roles: []string{"requester"}}, waitingStep, models.Decision{Approve: true})
	if err == nil {
		t.Error("Al, no longer an approver, approved for Max")
	}
	if n, err := models.QueueCount(ctx, s.db, models.Viewer{UserID: s.al.ID, Roles: []string{"requester"}}); err != nil || n != 0 {
		t.Errorf("Al's queue count = %d %v, want 0", n, err)
	}

	// Al deactivated: Max's page no longer says Al approves for him now.
	if err := models.DeactivateUser(ctx, s.db, models.ByOperator(), s.al.ID); err != nil {
		t.Fatal(err)
	}
	page := s.maxC.Get("/approvals/delegation")
	if text := page.Text("main"); !strings.Contains(text, "Al Approver (deactivated: nobody approves for you)") {
		t.Errorf("Max's delegation page with Al deactivated: %q", text)
	}
}
