package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// A wrong password in the token form's "Confirm it's you" field brings the form back in the
// browser with the token's name kept, the message beside the field and the focus in it.
func TestRefusedConfirmationKeepsTheTokenForm(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, s.User.Email, testutil.Password)
	s.App.DB(t, s.Tenant).Exec(`UPDATE sessions SET reauthenticated_at = NULL`)
	b.do(chromedp.Navigate(s.URL("/settings/tokens")), chromedp.WaitVisible(chromedp.ID("token-confirm")))
	b.do(
		chromedp.SendKeys(chromedp.ID("token-name"), "Nightly ERP sync"),
		chromedp.SendKeys(chromedp.ID("token-confirm"), "not-her-password"),
	)
	b.pressAndLoad(`form:has(#token-confirm) button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("token-confirm-error")))
	b.waitJS(settled)
	if got := eval[string](b, `document.getElementById('token-name').value`); got != "Nightly ERP sync" {
		t.Errorf("the token's name came back as %q", got)
	}
	if got := eval[string](b, focusedRefusal); got != "token-confirm" {
		t.Errorf("the focus is on %q, want the confirm field", got)
	}
	b.screenshot("token-form")
}

// The spend report refused for its dates, and an empty list filtered to nothing, as a person
// sees them.
func TestRefusedFiltersAndEmptyListAsSeen(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/reports/spend?from=2026-02-01&to=2026-01-01")), chromedp.WaitVisible(chromedp.ID("to-error")))
	b.screenshot("spend-filters")
	b.do(chromedp.Navigate(s.URL("/requisitions?q=no-such-thing")), chromedp.WaitVisible(chromedp.CSS(".empty-state")))
	if got := b.text(`.empty-state [role="status"]`); got != "0 requisitions" {
		t.Errorf("the empty list counts %q", got)
	}
	b.screenshot("empty-requisitions")
}
