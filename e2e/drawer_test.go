package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"outlay/internal/testutil"
)

// With the navigation drawer open on a phone (390px wide), Tab and Shift+Tab go round the
// drawer's links and never reach the page behind it, which is inert; Escape closes it and
// gives the focus back to the menu button.
func TestOpenDrawerKeepsTheFocus(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL("/requisitions")), chromedp.WaitVisible(chromedp.CSS(".menu-toggle")))
	b.do(chromedp.Focus(chromedp.CSS(".menu-toggle")), chromedp.KeyEvent(kb.Enter))
	b.waitJS(`document.body.classList.contains('nav-open') && !!document.activeElement.closest('.sidebar')`)
	links := eval[int](b, `[...document.querySelectorAll('.sidebar a[href]')].length`)
	if links < 3 {
		t.Fatalf("the drawer has %d links", links)
	}
	inDrawer := `!!document.activeElement.closest('.sidebar')`
	for i := 0; i < links+2; i++ {
		b.do(chromedp.KeyEvent(kb.Tab))
		if !eval[bool](b, inDrawer) {
			t.Fatalf("Tab %d put the focus on %s, behind the drawer", i+1, eval[string](b, `describe(document.activeElement)`))
		}
	}
	b.do(chromedp.Focus(chromedp.CSS(".sidebar a[href]")), chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if !eval[bool](b, `document.activeElement === [...document.querySelectorAll('.sidebar a[href]')].pop()`) {
		t.Errorf("Shift+Tab on the drawer's first link put the focus on %s, want its last link", eval[string](b, `describe(document.activeElement)`))
	}
	if !eval[bool](b, `document.querySelector('main').inert && document.querySelector('.topbar').inert`) {
		t.Error("the page behind the open drawer is not inert")
	}
	b.screenshot("drawer-open")
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitJS(`!document.body.classList.contains('nav-open')`)
	if !eval[bool](b, `document.activeElement === document.querySelector('.menu-toggle') && !document.querySelector('main').inert`) {
		t.Errorf("after Escape the focus is on %s, want the menu button, and the page usable", eval[string](b, `describe(document.activeElement)`))
	}
}
