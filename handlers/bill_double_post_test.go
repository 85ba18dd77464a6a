package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// A new bill's form posted many times at once (a double click, resent requests), to save or
// to submit, makes one bill, and every post goes to it: none fails on the form's key, and
// none is told that the invoice is already entered as the bill its own form made.
func TestNewBillFormPostedAtOnceMakesOne(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	for n, intent := range []string{"save", "submit"} {
		// Each bill takes another quantity of toner: the same amount again would be asked
		// whether it is a duplicate of the first.
		f := s.orderForm("AT-ONCE-"+intent, [2]string{strconv.Itoa(n + 1), "3.99"})
		f.Set("intent", intent)
		answers := s.cleoC.PostAtOnce(15, "/bills", f)
		first := answers[0].Location()
		for i, res := range answers {
			if res.Status != http.StatusSeeOther || res.Location() != first || !strings.HasPrefix(first, "/bills/") {
				t.Errorf("%s, post %d: %d %q (first %q) %s", intent, i, res.Status, res.Location(), first, res.Text(".field-error"))
			}
		}
		if got := s.count(t); got != int64(n+1) {
			t.Fatalf("%s: %d bills after its form was posted 15 times at once; want %d", intent, got, n+1)
		}
	}
}
