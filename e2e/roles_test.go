package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/handlers"
	"outlay/internal/testutil"
)

// An admin unticks a permission in the matrix; the person whose role held it loses the page
// from their navigation at once, and a direct visit lands on the dashboard with the message.
func TestUntickingAPermissionTakesThePageAway(t *testing.T) {
	s := startSite(t)
	s.App.CreateUser(t, s.Tenant, "aud@acme.example", "Audrey Auditor", "auditor")

	auditor := newBrowser(t)
	auditor.signIn(s, "aud@acme.example", testutil.Password)
	if n := eval[int](auditor, `document.querySelectorAll('nav.nav a[href="/admin/roles"]').length`); n != 1 {
		t.Fatalf("before the edit the auditor's navigation has %d Roles links, want 1", n)
	}

	admin := newBrowser(t)
	admin.signIn(s, s.User.Email, testutil.Password)
	admin.do(chromedp.Navigate(s.URL("/admin/roles")), chromedp.WaitVisible(chromedp.CSS("table.matrix")))
	box := `table.matrix input[hx-post="/admin/roles/auditor/permissions"][hx-vals*='"admin.roles"'][hx-vals*='"read"']`
	if !eval[bool](admin, `document.querySelector(`+jsString(box)+`).checked`) {
		t.Fatal("the auditor's Roles: View box is not ticked to begin with")
	}
	admin.screenshot("matrix-before")
	admin.do(admin.press(box))
	admin.waitJS(`!!document.querySelector('#toasts .toast')`)
	if got := admin.text("#toasts .toast"); got == "" || !strings.Contains(got, "Auditor no longer has") {
		t.Errorf("toast after unticking: %q", got)
	}
	if eval[bool](admin, `document.querySelector(`+jsString(box)+`).checked`) {
		t.Error("the box is ticked again after the swap")
	}
	admin.screenshot("matrix-after")

	auditor.do(chromedp.Navigate(s.URL("/dashboard")), chromedp.WaitVisible(chromedp.CSS("nav.nav")))
	if n := eval[int](auditor, `document.querySelectorAll('nav.nav a[href="/admin/roles"]').length`); n != 0 {
		t.Errorf("after the edit the auditor's navigation still links to Roles")
	}
	auditor.do(chromedp.Navigate(s.URL("/admin/roles")), chromedp.WaitVisible(chromedp.CSS(".flash-error")))
	if p := auditor.path(); p != "/dashboard" {
		t.Errorf("a direct visit landed on %s, want /dashboard", p)
	}
	if got := auditor.text(".flash-error"); got != handlers.ForbiddenMessage {
		t.Errorf("flash %q, want %q", got, handlers.ForbiddenMessage)
	}
	auditor.screenshot("refused")
}

func jsString(s string) string {
	out := []rune{'"'}
	for _, r := range s {
		if r == '"' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(append(out, '"'))
}
