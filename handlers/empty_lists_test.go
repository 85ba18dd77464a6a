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
