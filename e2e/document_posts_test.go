package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"gorm.io/gorm"

	"outlay/internal/testutil"
)

// With JavaScript off, a refused comment comes back on the requisition's page with the text
// still in the box, the reason beside it, and the box in view and focused.
func TestRefusedCommentWithoutJavaScriptKeepsTheText(t *testing.T) {
	s, _, path := ritasRequisition(t)

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
	s, db, path := ritasRequisition(t)
	b := newBrowser(t)
	commentAfterSignOut(b, s, path, "Warm white, please.")
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
	// What was typed is back in the box, with the focus, and a toast says so.
	if got := eval[string](b, `document.getElementById('comment-body').value`); got != "Warm white, please." {
		t.Errorf("the comment box holds %q after signing in again, want the comment typed before", got)
	}
	if got := eval[string](b, `document.activeElement && document.activeElement.id`); got != "comment-body" {
		t.Errorf("focused element %q, want the comment box", got)
	}
	b.waitJS(`!!document.querySelector('#toasts .toast-message')`)
	if got := b.text("#toasts .toast-message"); !strings.Contains(got, "is back in the form") {
		t.Errorf("the toast says %q", got)
	}
	b.screenshot("comment-kept-across-sign-in")
	// It is given back once: the page loaded again has an empty box.
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("comment-body")))
	if got := eval[string](b, `document.getElementById('comment-body').value`); got != "" {
		t.Errorf("after a reload the comment box holds %q, want it empty", got)
	}
	// Nothing was saved meanwhile: the comment was never posted.
	var n int64
	if err := db.Raw(`SELECT count(*) FROM comments WHERE body = 'Warm white, please.'`).Scan(&n).Error; err != nil || n != 0 {
		t.Errorf("comments saved: %d (%v), want 0", n, err)
	}
}

// What a signed-out person typed is not shown to someone else who signs in on the same tab.
func TestKeptTextIsNotGivenToAnotherPerson(t *testing.T) {
	s, _, path := ritasRequisition(t)
	s.App.CreateUser(t, s.Tenant, "ada@acme.example", "Ada Admin", "admin")
	b := newBrowser(t)
	commentAfterSignOut(b, s, path, "My home address is 1 Elm Street.")
	if got := eval[string](b, `sessionStorage.getItem('outlay:kept') || ''`); !strings.Contains(got, "1 Elm Street") {
		t.Fatalf("the tab keeps %q, want the comment typed", got)
	}
	b.do(chromedp.SendKeys(chromedp.ID("email"), "ada@acme.example"), chromedp.SendKeys(chromedp.ID("password"), testutil.Password))
	b.pressAndLoad(`form[action="/login"] button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("comment-body")))
	if p := b.path(); p != path {
		t.Fatalf("signed in as Ada, the browser is at %s, want %s", p, path)
	}
	if got := eval[string](b, `document.getElementById('comment-body').value`); got != "" {
		t.Errorf("Ada's comment box holds %q, want it empty", got)
	}
	if got := eval[string](b, `sessionStorage.getItem('outlay:kept') || ''`); got != "" {
		t.Errorf("the tab still keeps %q after another person signed in", got)
	}
}

// Signed in again in another tab, the page's comment is sent with the token of the session
// the browser had before: it is not saved, the page is loaded again with a new token, and the
// comment typed is back in the box, with the page's flash saying why.
func TestCommentAfterSigningInAgainElsewhereIsKept(t *testing.T) {
	s, db, path := ritasRequisition(t)
	b := newBrowser(t)
	b.allow(`status of 403`) // none expected; a stale token refused outright would log it
	b.signIn(s, "rita@acme.example", testutil.Password)
	b.do(chromedp.Navigate(s.URL(path)), chromedp.WaitVisible(chromedp.ID("comment-body")),
		chromedp.SendKeys(chromedp.ID("comment-body"), "Warm white, please."))
	// Another tab signs out and in again: the browser's session cookie changes, this page
	// keeps the token of the old session.
	eval[bool](b, `(fetch('/logout', {method: 'POST', headers: {'X-Csrf-Token': document.querySelector('meta[name="csrf-token"]').content}})
		.then(function () { return fetch('/login'); })
		.then(function (r) { return r.text(); })
		.then(function (html) {
			var token = /name="_csrf" value="([^"]+)"/.exec(html)[1];
			return fetch('/login', {method: 'POST', body: new URLSearchParams({_csrf: token, email: 'rita@acme.example', password: '`+testutil.Password+`'})});
		})
		.then(function () { window.__signedInAgain = true; }), true)`)
	b.waitJS(`window.__signedInAgain === true`)
	old := eval[string](b, `document.querySelector('meta[name="csrf-token"]').content`)

	b.pressAndLoad(".comment-form button[type=submit]")
	b.do(chromedp.WaitVisible(chromedp.ID("comment-body")))
	if p := b.path(); p != path {
		t.Errorf("the comment sent the browser to %s, want %s", p, path)
	}
	if got := eval[string](b, `document.querySelector('meta[name="csrf-token"]').content`); got == old {
		t.Error("the page loaded again carries the old session's token")
	}
	if got := eval[string](b, `document.getElementById('comment-body').value`); got != "Warm white, please." {
		t.Errorf("the comment box holds %q, want the comment typed before", got)
	}
	if got, want := b.text(".flash-warning"), "This page was opened before you signed in again, so that was not saved. It has been loaded again: send it again. What you typed is back in the form."; got != want {
		t.Errorf("the page says %q, want %q", got, want)
	}
	b.screenshot("comment-kept-after-signing-in-again")
	// Sent again, it is saved.
	b.do(chromedp.Click(".comment-form button[type=submit]"))
	b.waitJS(`document.getElementById('comment-body') && document.getElementById('comment-body').value === '' && document.body.textContent.indexOf('Warm white, please.') >= 0`)
	var n int64
	if err := db.Raw(`SELECT count(*) FROM comments WHERE body = 'Warm white, please.'`).Scan(&n).Error; err != nil || n != 1 {
		t.Errorf("comments saved: %d (%v), want 1", n, err)
	}
}

// ritasRequisition is a site with Rita's approved requisition, and that requisition's path.
func ritasRequisition(t *testing.T) (*site, *gorm.DB, string) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	rita := s.App.CreateUser(t, s.Tenant, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", testutil.OrderLine{Description: "Desk lamp", Quantity: "3", UnitPrice: 2500})
	return s, db, fmt.Sprintf("/requisitions/%d", r.Requisition.ID)
}

// commentAfterSignOut signs Rita in, types text in the comment box of the page at path, signs
// her out from another tab (the browser loses its session cookie, the page keeps its token),
// and posts the comment: the browser ends on the sign-in page.
func commentAfterSignOut(b *browser, s *site, path, text string) {
	b.t.Helper()
	b.signIn(s, "rita@acme.example", testutil.Password)
	b.do(chromedp.Navigate(s.URL(path)), chromedp.WaitVisible(chromedp.ID("comment-body")),
		chromedp.SendKeys(chromedp.ID("comment-body"), text))
	eval[bool](b, `(fetch('/logout', {method: 'POST', headers: {'X-Csrf-Token': document.querySelector('meta[name="csrf-token"]').content}})
		.then(function () { window.__signedOut = true; }), true)`)
	b.waitJS(`window.__signedOut === true`)
	b.pressAndLoad(".comment-form button[type=submit]")
	b.do(chromedp.WaitVisible(chromedp.ID("email")))
}
