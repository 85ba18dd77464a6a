package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// The audit log shows what just happened, filters in place, and a person's History tab
// shows their changes; on a phone nothing scrolls sideways.
func TestAuditLogInTheBrowser(t *testing.T) {
	s := startSite(t)
	bo := s.App.CreateUser(t, s.Tenant, "bo@acme.example", "Bo Buyer", "requester")
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)

	b.do(chromedp.Navigate(s.URL("/audit")), chromedp.WaitVisible(chromedp.CSS("table.audit-table")))
	if got := b.text("table.audit-table tbody tr:first-child .badge"); got != "Signed in" {
		t.Errorf("newest entry is %q, want the sign-in", got)
	}
	b.screenshot("log")

	b.do(chromedp.SetValue(chromedp.ID("object"), "users"), chromedp.SetValue(chromedp.ID("action"), "create"))
	b.pressAndLoad(`form.audit-filters button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("table.audit-table")))
	if p := b.path(); !strings.Contains(p, "object=users") || !strings.Contains(p, "action=create") {
		t.Errorf("filtered address %s", p)
	}
	if rows := eval[int](b, `document.querySelectorAll('table.audit-table tbody tr').length`); rows != 2 {
		t.Errorf("%d people created, want 2 (Ana and Bo)", rows)
	}

	b.do(chromedp.Navigate(s.URL("/admin/users/"+itoaID(bo.ID)+"/history")), chromedp.WaitVisible(chromedp.CSS("table.audit-table")))
	if got := b.text("table.audit-table"); !strings.Contains(got, "Bo Buyer") || !strings.Contains(got, "Created") {
		t.Errorf("history shows %q", got)
	}
	b.screenshot("history")

	b.viewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL("/audit")), chromedp.WaitVisible(chromedp.CSS("table.audit-table")))
	if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("the audit log scrolls sideways on a phone")
	}
	b.screenshot("log-phone")
}

func itoaID(id int64) string { return strconv.FormatInt(id, 10) }
