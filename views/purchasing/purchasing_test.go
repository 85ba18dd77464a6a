package purchasing

import "testing"

// The list's sentence says how many orders there are and how many wait for goods, for one
// order as for many, and when none wait.
func TestListSummary(t *testing.T) {
	for _, c := range []struct {
		all, open int
		want      string
	}{
		{0, 0, "No purchase orders yet."},
		{1, 1, "1 purchase order, waiting for goods."},
		{1, 0, "1 purchase order, none waiting for goods."},
		{3, 2, "3 purchase orders, 2 waiting for goods."},
		{2, 1, "2 purchase orders, 1 waiting for goods."},
		{4, 0, "4 purchase orders, none waiting for goods."},
	} {
		if got := (List{All: c.all, Open: c.open}).Summary(); got != c.want {
			t.Errorf("%d orders, %d open: %q, want %q", c.all, c.open, got, c.want)
		}
	}
}
