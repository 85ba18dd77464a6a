package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"outlay/internal/testutil"
)

// Someone whose roles do not let them ask for anything (an auditor) reads, on their own empty
// lists, what the list holds, not an invitation to do what they may not.
func TestOwnEmptyListsDoNotInviteWhatOnesRolesForbid(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ada@acme.example", "Ada Auditor", "auditor")
	env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	app := testutil.NewApp(t, env)
	ada := app.Client(t, "acme")
	ada.SignIn("ada@acme.example", testutil.Password)
	rita := app.Client(t, "acme")
	rita.SignIn("rita@acme.example", testutil.Password)
	for _, path := range []string{"/requisitions", "/travel", "/expenses"} {
		res := ada.Get(path)
		if res.Status != http.StatusOK {
			t.Errorf("auditor %s: %d", path, res.Status)
			continue
		}
		if got := res.Text(".empty-state"); !strings.Contains(got, "your roles do not let you") || strings.Contains(got, "submit it for approval") || res.Doc.Find(".empty-state .btn-primary").Length() != 0 {
			t.Errorf("auditor's empty %s: %q", path, got)
		}
		if got := rita.Get(path).Text(".empty-state"); !strings.Contains(got, "submit it for approval") {
			t.Errorf("requester's empty %s: %q", path, got)
		}
	}
}

// Every list filtered to nothing says what it lists, counts it ("0 requisitions") where the
// pagination counts rows, and offers to clear the filters; the payment runs, with no filters,
// say what a run is and how to start one.
func TestEveryListFilteredToNothingCountsAndOffersToClear(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	for _, tc := range []struct{ path, count string }{
		{"/requisitions", "0 requisitions"},
		{"/purchase-orders", "0 purchase orders"},
		{"/vendors", "0 vendors"},
		{"/bills", "0 bills"},
		{"/expenses", "0 expense reports"},
		{"/travel", "0 trips"},
		{"/approvals", "0 requests"},
		{"/audit", "0 entries"},
		{"/admin/users", "0 people"},
	} {
		res := c.Get(tc.path + "?q=no-such-thing-anywhere")
		empty := res.Doc.Find(".empty-state")
		if res.Status != http.StatusOK || empty.Length() != 1 {
			t.Errorf("%s filtered to nothing: %d, %d empty states", tc.path, res.Status, empty.Length())
			continue
		}
		if got := strings.TrimSpace(empty.Find(`[role="status"]`).Text()); got != tc.count {
			t.Errorf("%s counts %q, want %q", tc.path, got, tc.count)
		}
		if empty.Find("h2").Length() != 1 || !strings.Contains(empty.Find("a").Text(), "Clear") {
			t.Errorf("%s says %q", tc.path, strings.Join(strings.Fields(empty.Text()), " "))
		}
	}
	res := c.Get("/payments")
	empty := res.Doc.Find(".empty-state")
	if got := strings.TrimSpace(empty.Find(`[role="status"]`).Text()); res.Status != http.StatusOK || got != "0 payment runs" ||
		empty.Find(`a[href="/payments/new"]`).Length() != 1 {
		t.Errorf("payments: %d, count %q, %q", res.Status, got, strings.Join(strings.Fields(empty.Text()), " "))
	}
}
