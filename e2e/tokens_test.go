package e2e

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// A person makes a token, confirming it's them with their password, copies it with the button
// that only a browser with JavaScript shows, and revokes it after a confirmation; declining the
// confirmation sends nothing.
func TestTokenCreateCopyAndRevoke(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(
		chromedp.Navigate(s.URL("/settings/tokens")),
		chromedp.WaitVisible(chromedp.ID("token-name")),
		chromedp.SendKeys(chromedp.ID("token-name"), "ERP sync"),
		// A token outlives the session, so making one asks the person to confirm it's them.
		chromedp.SendKeys(chromedp.ID("token-confirm"), testutil.Password),
	)
	b.screenshot("empty")
	b.pressAndLoad(`form[action="/settings/tokens"] button[type="submit"]`)
	if tok := get(b, chromedp.Value(chromedp.ID("new-token"))); !strings.HasPrefix(tok, models.TokenPrefix) {
		t.Fatalf("token field holds %q", tok)
	}
	b.do(b.press(`[data-copy="new-token"]`))
	b.waitJS(`!!document.querySelector('.toast-success')`)
	if got := b.text(".toast-success .toast-message"); got != "Copied to the clipboard." {
		t.Errorf("toast after copying = %q", got)
	}
	b.screenshot("created")
	assertNoHorizontalScroll(t, b)

	// Revoking asks first. The answers are kept in sessionStorage, which outlives the page
	// load that follows the form.
	answer := func(yes bool) {
		b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function (q) { sessionStorage.setItem('asked', q); return ` + strconv.FormatBool(yes) + `; }`))
	}
	revoke := `form[action$="/revoke"] button[type="submit"]`
	action := eval[string](b, `document.querySelector('form[action$="/revoke"]').getAttribute('action')`)
	answer(false)
	b.do(b.press(revoke))
	if asked := eval[string](b, `sessionStorage.getItem('asked')`); !strings.HasPrefix(asked, "Revoke “ERP sync”?") {
		t.Errorf("confirmation asked %q", asked)
	}
	if posts := b.requestsTo(http.MethodPost, action); len(posts) != 0 {
		t.Errorf("a declined confirmation still posted: %+v", posts)
	}
	answer(true)
	b.pressAndLoad(revoke)
	if posts := b.requestsTo(http.MethodPost, action); len(posts) != 1 {
		t.Errorf("POST %s after confirming: %+v, want one", action, posts)
	}
	if got := b.text(".flash-success"); !strings.HasPrefix(got, "Token revoked.") {
		t.Errorf("flash after revoking = %q", got)
	}
	if got := b.text("tbody .badge"); got != "Revoked" {
		t.Errorf("status after revoking = %q", got)
	}
}

// The token pages never scroll sideways, however long the names and emails in them, on a
// desktop or a phone: wide tables scroll inside their cards.
func TestTokenPagesFit(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	casey := s.App.CreateUser(t, s.Tenant, "casey.clerk.with.a.rather.long.address@acme.example", "Casey Clerk", "ap_clerk")
	// More than one person may make (models.MaxWorkingTokens), written straight into the table.
	if err := db.Exec(`INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at)
		SELECT ?, 'Nightly export to the ERP system, ledger ' || g, sha256(g::text::bytea), now() - g * interval '1 second', now() + interval '90 days'
		FROM generate_series(1, 55) g`, casey.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, _, err := models.CreateToken(context.Background(), db, 1, strings.Repeat("Long-name-without-spaces", 4), 7, nil); err != nil {
		t.Fatal(err)
	}
	db.Exec(`UPDATE api_tokens SET last_used_at = now() WHERE id % 3 = 0`)
	db.Exec(`UPDATE api_tokens SET revoked_at = now() WHERE id % 7 = 0`)
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	pages := []string{"/settings/tokens", "/admin/tokens", "/admin/tokens?status=all&page=2"}
	check := func(device string) {
		for i, p := range pages {
			b.do(chromedp.Navigate(s.URL(p)), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
			b.screenshot(device + "-" + strconv.Itoa(i))
			assertNoHorizontalScroll(t, b)
			// On a desktop the whole row, Revoke button included, is in view without scrolling.
			if device == "desktop" && !eval[bool](b, `Array.from(document.querySelectorAll('.table-wrap')).every(w => w.scrollWidth <= w.clientWidth)`) {
				t.Errorf("%s on a desktop: a table is wider than its card", p)
			}
		}
	}
	check("desktop")
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	check("phone")
}
