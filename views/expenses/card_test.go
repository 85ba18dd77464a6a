package expenses

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The dashboard's card separates each currency's total with a spaced dot: templ drops the
// space before a dot written in a loop, which ran them together ("¥1,500· $3.00").
func TestOpenExpensesCardSeparatesTotals(t *testing.T) {
	var b bytes.Buffer
	if err := OpenExpensesCard(OpenCard{Count: 2, Totals: []string{"¥1,500", "$3.00"}}).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), ">2<span class=\"dash-expenses-totals\"> · ¥1,500 · $3.00</span>") {
		t.Errorf("card %s", b.String())
	}
}
