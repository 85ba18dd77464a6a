package views

import (
	"context"
	"strings"
	"testing"
)

// A badge is the markup templ made of <span class={ class }>{ text }</span> (recorded from
// templ v0.3.1100 when the list rows moved to Badge), escaping included.
func TestBadgeIsTheMarkupOfAClassExpression(t *testing.T) {
	for _, tc := range []struct{ class, text, want string }{
		{"badge badge-success", "Approved", `<span class="badge badge-success">Approved</span>`},
		{"badge", `Pending <review> & "more"`, `<span class="badge">Pending &lt;review&gt; &amp; &#34;more&#34;</span>`},
		{`badge badge-x"onmouseover=alert(1)`, "Tom's", `<span class="badge badge-x&#34;onmouseover=alert(1)">Tom&#39;s</span>`},
	} {
		var got strings.Builder
		if err := Badge(tc.class, tc.text).Render(context.Background(), &got); err != nil {
			t.Fatal(err)
		}
		if got.String() != tc.want {
			t.Errorf("Badge(%q, %q) = %s, want %s", tc.class, tc.text, got.String(), tc.want)
		}
	}
}
