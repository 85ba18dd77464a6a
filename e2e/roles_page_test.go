package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// The roles page on a laptop: permissions grouped by area in plain words, the role names stay
// in view while the matrix scrolls, and each change's toast replaces the one before.
func TestRolesPageReadsAsPlainWordsInTheBrowser(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.viewport(1280, 900)
	b.do(chromedp.Navigate(s.URL("/admin/roles")), chromedp.WaitVisible(chromedp.CSS("table.matrix")))
	text := b.text("table.matrix")
	for _, want := range []string{"Buying", "Setup", "Administration", "Approve requests", "Edit users"} {
		if !strings.Contains(text, want) {
			t.Errorf("the matrix lacks %q", want)
		}
	}
	if strings.Contains(text, "/admin") {
		t.Error("the matrix shows page addresses")
	}
	// Scroll the matrix to its last rows: the role names stay at its top.
	eval[bool](b, `(document.querySelector('.matrix-wrap').scrollTop = 100000, true)`)
	b.waitJS(`document.querySelector('.matrix-wrap').scrollTop > 200`)
	if gap := eval[float64](b, `document.querySelector('table.matrix thead th:nth-child(2)').getBoundingClientRect().top - document.querySelector('.matrix-wrap').getBoundingClientRect().top`); gap < -1 || gap > 1 {
		t.Errorf("after scrolling, the role header is %.0fpx from the top of the matrix, want 0", gap)
	}
	b.screenshot("scrolled")

	// Two changes in a row leave one toast, the latest.
	box := func(object, action string) string {
		return `table.matrix input[hx-post="/admin/roles/auditor/permissions"][hx-vals*='"` + object + `"'][hx-vals*='"` + action + `"']`
	}
	b.do(b.press(box("vendors", "read")))
	b.waitJS(`!!document.querySelector('#toasts .toast') && document.querySelector('#toasts').textContent.includes('See vendors')`)
	// The box swapped in keeps the focus, so the keyboard goes on from it.
	if id := eval[string](b, `document.activeElement && document.activeElement.id`); id != "perm-matrix-auditor-vendors-read" {
		t.Errorf("after a tick, the focus is on %q, want the box ticked", id)
	}
	b.do(b.press(box("admin.departments", "read")))
	b.waitJS(`document.querySelector('#toasts').textContent.includes('See departments')`)
	if n := eval[int](b, `document.querySelectorAll('#toasts .toast').length`); n != 1 {
		t.Errorf("%d toasts showing after two changes, want 1", n)
	}
	if got := b.text("#toasts .toast"); !strings.Contains(got, "“See departments”") {
		t.Errorf("toast %q", got)
	}
	b.screenshot("desktop")
}
