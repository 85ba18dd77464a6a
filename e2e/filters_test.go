package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// levelControls lists, for the fields of form that share a row, the ones whose input or
// select does not line up with the others of the row (top and bottom), buttons beside a field
// that do not line up with its input, and any message that is not below its field's input:
// an empty string when every row is level.
const levelControls = `(function (form) {
  var fields = [...document.querySelectorAll(form + ' .field')].filter(f => f.getClientRects().length && f.querySelector('input:not([type=hidden]), select'));
  var out = [];
  fields.forEach(function (a, i) {
    var ra = a.getBoundingClientRect(), ca = a.querySelector('input:not([type=hidden]), select').getBoundingClientRect();
    fields.slice(i + 1).forEach(function (b) {
      var rb = b.getBoundingClientRect(), cb = b.querySelector('input:not([type=hidden]), select').getBoundingClientRect();
      var sameRow = ra.top < rb.bottom && rb.top < ra.bottom;
      if (sameRow && (Math.abs(ca.top - cb.top) > 0.5 || Math.abs(ca.bottom - cb.bottom) > 0.5)) {
        out.push(a.querySelector('label').textContent + ' ' + Math.round(ca.top) + '–' + Math.round(ca.bottom) +
          ' vs ' + b.querySelector('label').textContent + ' ' + Math.round(cb.top) + '–' + Math.round(cb.bottom));
      }
    });
    var act = document.querySelector(form + ' .filter-actions .btn'), r = act && act.getBoundingClientRect();
    if (r && ra.top < r.bottom && r.top < ra.bottom && Math.abs(r.top - ca.top) > 1) {
      out.push('the buttons ' + Math.round(r.top) + ' vs ' + a.querySelector('label').textContent + ' ' + Math.round(ca.top));
    }
    var msg = a.querySelector('.field-error');
    if (msg && msg.getBoundingClientRect().top < ca.bottom) out.push(a.querySelector('label').textContent + ': message above or beside the input');
  });
  return out.join('; ');
})(%q)`

// A filter refused (a date of the spend report or the audit log, the approvals queue's
// amount) is named below its field, and the filters stay level: the refused field's input
// lines up with the others of its row, and the buttons beside them too, on a desktop and on
// a phone.
func TestFilterRowsStayLevelWithARefusedValue(t *testing.T) {
	s := startSite(t)
	b := refusingBrowser(t, s)
	for _, sz := range sizes {
		b.size(sz.phone)
		for _, tc := range []struct{ path, form, message string }{
			{"/reports/spend?from=2026-13-45&to=2026-12-31", ".spend-filters", "#from-error"},
			{"/reports/spend?from=2026-03-01&to=2026-02-01", ".spend-filters", "#to-error"},
			{"/audit?from=2026-13-45", ".audit-filters", "#from-error"},
			{"/approvals?min=lots", `form[aria-label="Filter the queue"]`, "#min-error"},
		} {
			b.do(chromedp.Navigate(s.URL(tc.path)), chromedp.WaitVisible(chromedp.CSS(tc.message)))
			if bad := eval[string](b, fmt.Sprintf(levelControls, tc.form)); bad != "" {
				t.Errorf("%s, %s: the filters are not level: %s", sz.name, tc.path, bad)
			}
			b.screenshot(sz.name + "-" + safeName(tc.path))
		}
	}
}
