package handlers_test

import (
	"net/http"
	"testing"

	"outlay/models"
)

// A new requisition's form submitted twice (a double click on Submit, a resent request) makes
// one requisition waiting for approval, not two that could both be approved and ordered; the
// second post lands on the first one's page.
func TestNewRequisitionFormPostedTwiceMakesOne(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	page := c.Get("/requisitions/new")
	key, _ := page.Doc.Find(`input[name="form_key"]`).Attr("value")
	f := s.reqForm([4]string{"Desk", "1", "100", ids(s.gl)})
	f.Set("intent", "submit")
	f.Set("form_key", key)
	first := c.Post("/requisitions", f)
	second := c.Post("/requisitions", f)
	if first.Status != http.StatusSeeOther || second.Status != http.StatusSeeOther || second.Location() != first.Location() {
		t.Errorf("posts: %d %q, %d %q", first.Status, first.Location(), second.Status, second.Location())
	}
	var n int64
	s.db(t).Model(&models.Requisition{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d requisitions made by one form", n)
	}
	// A fresh form makes a new one.
	key2, _ := c.Get("/requisitions/new").Doc.Find(`input[name="form_key"]`).Attr("value")
	if key2 == "" || key2 == key {
		t.Fatalf("form keys %q, %q", key, key2)
	}
	f.Set("form_key", key2)
	c.Post("/requisitions", f)
	s.db(t).Model(&models.Requisition{}).Count(&n)
	if n != 2 {
		t.Errorf("%d requisitions after a second form", n)
	}
}
