package handlers_test

import (
	"net/http"
	"testing"
)

// A new expense report's form submitted twice (a double click on Submit, a resent request)
// makes one report waiting for approval, not two whose costs could both be paid back; the
// second post lands on the first one's page. A form refused for a mistake keeps its key, so
// that once corrected it is still the one form.
func TestNewExpenseFormPostedTwiceMakesOne(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	key, _ := c.Get("/expenses/new").Doc.Find(`input[name="form_key"]`).Attr("value")
	if key == "" {
		t.Error("the new-report form carries no form_key")
	}
	f := s.expenseForm("submit", [4]string{day(1), ids(s.meals.ID), "Cafe", "10.00"})
	f.Set("form_key", key)
	f.Set("title", "")
	refused := c.Post("/expenses", f)
	if refused.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a report without a title: %d", refused.Status)
	}
	if kept, _ := refused.Doc.Find(`input[name="form_key"]`).Attr("value"); kept != key {
		t.Errorf("refused form's key %q, want %q", kept, key)
	}
	f.Set("title", "Client visit")
	first := c.Post("/expenses", f)
	second := c.Post("/expenses", f)
	if first.Status != http.StatusSeeOther || second.Status != http.StatusSeeOther || second.Location() != first.Location() {
		t.Errorf("posts: %d %q, %d %q", first.Status, first.Location(), second.Status, second.Location())
	}
	if n := s.count(t); n != 1 {
		t.Fatalf("%d expense reports made by one form", n)
	}
	// A fresh form makes a new one.
	key2, _ := c.Get("/expenses/new").Doc.Find(`input[name="form_key"]`).Attr("value")
	if key2 == "" || key2 == key {
		t.Fatalf("form keys %q, %q", key, key2)
	}
	f.Set("form_key", key2)
	c.Post("/expenses", f)
	if n := s.count(t); n != 2 {
		t.Errorf("%d expense reports after a second form", n)
	}
}
