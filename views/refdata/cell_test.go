package refdata

import (
	"context"
	"strings"
	"testing"

	"outlay/views"
)

// A cell writes what the template it replaced wrote (its output, kept here), escaping and a
// link's sanitizing included.
func TestCellIsTheMarkupOfItsTemplate(t *testing.T) {
	for _, tc := range []struct {
		cell Cell
		want string
	}{
		{Cell{Text: "A <b>", Href: "/vendors/1"}, `<a href="/vendors/1">A &lt;b&gt;</a> `},
		{Cell{Text: "Tom's & co", Href: "javascript:alert(1)"}, `<a href="about:invalid#TemplFailedSanitizationURL">Tom&#39;s &amp; co</a> `},
		{Cell{}, `<span class="muted">—</span> `},
		{Cell{Text: "On hold", Badge: "badge badge-warning"}, `<span class="badge badge-warning">On hold</span> `},
		{Cell{Badge: "badge"}, `<span class="badge"></span> `},
		{Cell{Text: "1,00 €", Num: true, Hint: `a "hint"`}, `1,00 € <span class="hint">a &#34;hint&#34;</span> `},
		{Cell{Text: "x", Meter: &views.BudgetMeter{}}, `x <span class="budget-meter budget-"><svg class="budget-bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect class="budget-track" width="100" height="8" rx="4"></rect> <rect class="budget-fill" width="0" height="8" rx="4"></rect></svg> <span class="budget-pct">0% used</span></span>`},
	} {
		var got strings.Builder
		if err := tc.cell.Render(context.Background(), &got); err != nil {
			t.Fatal(err)
		}
		if got.String() != tc.want {
			t.Errorf("%+v rendered\n%s\nwant\n%s", tc.cell, got.String(), tc.want)
		}
	}
}
