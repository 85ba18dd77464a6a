package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// With JavaScript off, a refused comment comes back on the requisition's page with the text
// still in the box, the reason beside it, and the box in view and focused.
func TestRefusedCommentWithoutJavaScriptKeepsTheText(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	rita := s.App.CreateUser(t, s.Tenant, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", testutil.OrderLine{Description: "Desk lamp", Quantity: "3", UnitPrice: 2500})
	path := fmt.Sprintf("/requisitions/%d", r.Requisition.ID)

	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, "rita@acme.example", testutil.Password)
	scripts(b, false)
	long := strings.Repeat("The lamps must be the warm white ones. ", 110) // 4,290 characters, 4,289 without the last space
	b.do(chromedp.Navigate(s.URL(path)), chromedp.WaitVisible(chromedp.ID("comment-body")))
	if got := eval[string](b, `typeof htmx`); got != "undefined" {
		t.Fatalf("scripts ran: typeof htmx = %q", got)
	}
	// SendKeys would stop at the box's maxlength; a paste or a dictation need not.
	b.do(chromedp.SetValue(chromedp.ID("comment-body"), long))
	b.pressAndLoad(".comment-form button[type=submit]")
	b.do(chromedp.WaitVisible(chromedp.ID("body-error")))
	if got := b.text("#body-error"); got != "A comment has at most 4,000 characters; this one has 4,289." {
		t.Errorf("the reason beside the box: %q", got)
	}
	if got := eval[string](b, `document.getElementById('comment-body').value`); got != long {
		t.Errorf("the box holds %d characters, want the %d typed", len(got), len(long))
	}
	if got := eval[string](b, `document.activeElement && document.activeElement.id`); got != "comment-body" {
		t.Errorf("focused element %q, want the comment box", got)
	}
	if !eval[bool](b, `(function () { var r = document.getElementById('body-error').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`) {
		t.Error("the reason is not in view")
	}
	// The screenshot waits on a script of its own; the page, loaded without, stays so.
	scripts(b, true)
	b.screenshot("refused-comment-no-js")
}

// scripts turns the page's JavaScript on or off, as a person may in their browser.
func scripts(b *browser, on bool) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	}))
}

// Signed out in another tab, the person posts a comment through htmx: the browser goes to the
// sign-in page, which says why and that the comment was not saved, and after signing in comes
// back to the requisition.
func TestCommentAfterSignOutElsewhereSignsInAndComesBack(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	rita := s.App.CreateUser(t, s.Tenant, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", testutil.OrderLine{Description: "Desk lamp", Quantity: "3", UnitPrice: 2500})
	path := fmt.Sprintf("/requisitions/%d", r.Requisition.ID)

	b := newBrowser(t)
	b.signIn(s, "rita@acme.example", testutil.Password)
	b.do(chromedp.Navigate(s.URL(path)), chromedp.WaitVisible(chromedp.ID("comment-body")),
		chromedp.SendKeys(chromedp.ID("comment-body"), "Warm white, please."))
	// Another tab signs out: the browser loses its session cookie, this page keeps its token.
	eval[bool](b, `(fetch('/logout', {method: 'POST', headers: {'X-Csrf-Token': document.querySelector('meta[name="csrf-token"]').content}})
		.then(function () { window.__signedOut = true; }), true)`)
	b.waitJS(`window.__signedOut === true`)

	b.pressAndLoad(".comment-form button[type=submit]")
	b.do(chromedp.WaitVisible(chromedp.ID("email")))
	if p, want := b.path(), "/login?next="+strings.ReplaceAll(path, "/", "%2F"); p != want {
		t.Errorf("the comment sent the browser to %s, want %s", p, want)
	}
	if got := b.text("body.auth .flash"); got != "You were signed out, so that was not saved. Sign in again, then do it again." {
		t.Errorf("the sign-in page says %q", got)
	}
	b.screenshot("signed-out-elsewhere")
	b.do(chromedp.SendKeys(chromedp.ID("email"), "rita@acme.example"), chromedp.SendKeys(chromedp.ID("password"), testutil.Password))
	b.pressAndLoad(`form[action="/login"] button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("comment-body")))
	if p := b.path(); p != path {
		t.Errorf("signed in again, the browser is at %s, want %s", p, path)
	}
}
