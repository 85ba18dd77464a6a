package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// flashWatch records each element put into the flash's status region, with whether the page
// had loaded by then and whether it was hidden from screen readers.
const flashWatch = `window.__flashes = [];
new MutationObserver(function (records) {
  records.forEach(function (r) {
    if (r.target.id !== 'flash-status') return;
    r.addedNodes.forEach(function (n) {
      if (n.nodeType === 1) window.__flashes.push({text: n.textContent.trim(), loaded: document.readyState !== 'loading', hidden: n.getAttribute('aria-hidden') === 'true'});
    });
  });
}).observe(document, {childList: true, subtree: true});`

// A saved draft's "Draft saved." and the saved settings' message are put into a polite
// status region that was in the page before them, so that a screen reader announces them
// (once: the flash on the screen, shown as before, is hidden from it).
func TestSavedFlashIsAnnounced(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: flashWatch})
		return err
	}))
	b.signIn(s, s.User.Email, testutil.Password)
	announced := func(message string) {
		t.Helper()
		b.waitJS(`__flashes.some(function (f) { return f.text === ` + jsString(message) + ` && f.loaded && !f.hidden; })`)
		region := `document.getElementById('flash-status')`
		if role, live := eval[string](b, region+`.getAttribute('role')`), eval[string](b, region+`.getAttribute('aria-live')`); role != "status" || live != "polite" {
			t.Errorf("the flash's region has role %q and aria-live %q, want status and polite", role, live)
		}
		if got := b.text(".flash"); got != message {
			t.Errorf("the flash shows %q, want %q", got, message)
		}
		if !eval[bool](b, region+`.querySelector('.flash').getAttribute('aria-hidden') === 'true'`) {
			t.Error("the flash on the screen is read besides the message put into its region")
		}
	}

	b.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.ID("requisition-form")))
	b.typeInto("justification", "Chairs for the meeting room")
	b.pressAndLoad(`button[name="intent"][value="save"]`)
	announced("Draft saved.")
	b.screenshot("draft-saved")

	b.do(chromedp.Navigate(s.URL("/admin/settings")), chromedp.WaitVisible(chromedp.CSS("main form button[type=submit]")))
	b.pressAndLoad(`main form button[type=submit]`)
	announced("Saved the settings.")
	b.screenshot("settings-saved")
}
