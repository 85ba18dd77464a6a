package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"outlay/internal/testutil"
)

// ringContrast is the contrast ratio (WCAG's, 1 to 21) of the focus ring of the focused
// element against the background around it, its colour blended over that background, or -1
// when it shows no ring (no outline, or one under 2px).
const ringContrast = `(function () {
  function rgba(s) { var m = s.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; }
  function over(top, under) { return {r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1}; }
  function background(el) {
    var layers = [];
    for (; el; el = el.parentElement) {
      var c = rgba(getComputedStyle(el).backgroundColor);
      if (c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    return layers.reduceRight(function (under, c) { return over(c, under); }, {r: 255, g: 255, b: 255, a: 1});
  }
  function luminance(c) {
    return [c.r, c.g, c.b].map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
      .reduce(function (sum, v, i) { return sum + v * [0.2126, 0.7152, 0.0722][i]; }, 0);
  }
  var e = document.activeElement, cs = getComputedStyle(e);
  if (cs.outlineStyle === 'none' || parseFloat(cs.outlineWidth) < 2) return -1;
  var around = background(e.parentElement), ring = over(rgba(cs.outlineColor), around);
  var l1 = luminance(ring), l2 = luminance(around);
  return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
})()`

// The approvals queue's "Details" toggle, reached with the keyboard, shows a focus ring of at
// least 3:1 against the row around it (it was the accent at 28%, 1.6:1), as do the row's
// other controls reached on from it.
func TestFocusRingsContrastWithTheirBackground(t *testing.T) {
	w := newQueueWorld(t)
	steps := w.submit(t, 129900)
	b := newBrowser(t)
	b.signIn(w.s, "max@acme.example", testutil.Password)
	row := fmt.Sprintf("tbody#step-%d", steps[0])
	b.do(chromedp.Navigate(w.s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS(row+" summary")))
	b.waitJS(settled)
	// The keyboard reaches the toggle from the row's Reject button, as a person tabbing
	// through the queue does.
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(` + jsString(row+` button[formaction$="/reject"]`) + `).focus()`))
	b.do(chromedp.KeyEvent(kb.Tab))
	b.waitJS(`document.activeElement.tagName === 'SUMMARY' && document.activeElement.matches(':focus-visible')`)
	if got := eval[float64](b, ringContrast); got < 3 {
		t.Errorf("the Details toggle's focus ring contrasts %.2f:1 with the row, want at least 3:1", got)
	}
	b.screenshot("details-toggle-focused")
	for _, sel := range []string{row + ` input[type="checkbox"]`, row + ` button[formaction$="/reject"]`, `form[aria-label="Filter the queue"] button[type="submit"]`} {
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(` + jsString(sel) + `).focus()`))
		b.waitJS(`document.activeElement.matches(':focus-visible')`)
		if got := eval[float64](b, ringContrast); got < 3 {
			t.Errorf("%s: the focus ring contrasts %.2f:1, want at least 3:1", sel, got)
		}
	}
}

// A refused bill's message about its vendor sits under the vendor field, apart from the
// label of the field below it, on a desktop and on a phone: it was as close to the next
// field's label as to its own field, and read as that field's.
func TestBillVendorMessageSitsUnderItsField(t *testing.T) {
	s := startSite(t)
	b := refusingBrowser(t, s)
	for _, sz := range sizes {
		b.size(sz.phone)
		b.do(chromedp.Navigate(s.URL("/bills/new")), chromedp.WaitVisible(chromedp.ID("bill-form")))
		b.waitBound("#bill-form")
		b.do(b.press(`#bill-form button[name="intent"][value="save"]`))
		b.do(chromedp.WaitVisible(chromedp.ID("vendor-error")))
		b.waitJS(settled)
		gaps := eval[[]float64](b, `(function () {
		  var field = document.getElementById('vendor').getBoundingClientRect();
		  var msg = document.getElementById('vendor-error').getBoundingClientRect();
		  var next = document.querySelector('label[for="vendor_invoice_number"]').getBoundingClientRect();
		  return [msg.top - field.bottom, next.top - msg.bottom];
		})()`)
		if above, below := gaps[0], gaps[1]; below < 12 || below < 2*above {
			t.Errorf("%s: the vendor's message is %.0fpx under its field and %.0fpx above the next field's label", sz.name, above, below)
		}
		if got := eval[string](b, `document.getElementById('vendor').getAttribute('aria-describedby')`); got != "vendor-error" {
			t.Errorf("%s: the vendor field is described by %q", sz.name, got)
		}
		b.do(chromedp.ScrollIntoView(chromedp.ID("vendor")))
		b.screenshot(sz.name + "-bill-vendor-refused")
	}
}
