package handlers_test

import (
	"net/http"
	"testing"

	"outlay/models"
)

// The form asks the server whether it may be submitted before it asks its requester: a form
// that would be refused is 422, one that would go into approval 204, and neither stores
// anything or takes a number.
func TestSubmissionCheckSaysWhetherTheFormWouldBeAccepted(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	c.Get("/requisitions/new")
	complete := s.reqForm([4]string{"Desk", "2", "10", ids(s.gl)})
	complete.Set("intent", "submit")
	cases := []struct {
		name   string
		change func()
		want   int
	}{
		{"complete", func() {}, http.StatusNoContent},
		{"no justification", func() { complete.Set("justification", " ") }, http.StatusUnprocessableEntity},
		{"no GL account", func() { complete.Set("gl_account", "") }, http.StatusUnprocessableEntity},
		{"a quantity that cannot be read", func() { complete.Set("quantity", "2,5") }, http.StatusUnprocessableEntity},
		{"a vendor on hold", func() { complete.Set("vendor", ids(s.onHold)) }, http.StatusUnprocessableEntity},
		{"a past date", func() { complete.Set("needed_by", "2020-01-01") }, http.StatusUnprocessableEntity},
	}
	for _, tc := range cases {
		saved := map[string][]string{}
		for k, v := range complete {
			saved[k] = append([]string(nil), v...)
		}
		tc.change()
		if res := c.Post("/requisitions/check", complete); res.Status != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, res.Status, tc.want)
		}
		complete = saved
	}
	if n := s.count(t); n != 0 {
		t.Errorf("the check stored %d requisitions", n)
	}
	var last int64
	if err := s.db(t).Raw(`SELECT last FROM document_numbers WHERE kind = ?`, models.NumberRequisition).Scan(&last).Error; err != nil || last != 0 {
		t.Errorf("the check took number %d (%v)", last, err)
	}
	// What the check accepts, the form submits.
	complete.Set("intent", "submit")
	if res := c.Post("/requisitions", complete); res.Status != http.StatusSeeOther {
		t.Fatalf("submit after the check: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	var r models.Requisition
	if err := s.db(t).First(&r).Error; err != nil || r.Status == models.RequisitionDraft {
		t.Errorf("submitted as %q (%v)", r.Status, err)
	}
}
