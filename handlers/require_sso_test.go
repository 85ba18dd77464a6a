package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// Under "require SSO" a password sign-in says the same to everyone: a person who must use
// single sign-on, an address nobody has, and the break-glass admin with a wrong password all
// get "Incorrect email or password." and a 422, and all count towards the throttle. Only the
// break-glass admin's right password signs in.
func TestRequireSSOAnswersEveryPasswordAlike(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Requester", "requester")
	if err := models.UpdateSSOSettings(context.Background(), s.db, models.ByOperator(), true, s.ana.ID); err != nil {
		t.Fatal(err)
	}
	c := s.app.Client(t, "acme")
	c.Get("/login")
	attempts := []struct{ who, email, password string }{
		{"Bo with his right password", "bo@acme.example", testutil.Password},
		{"Bo with a wrong password", "bo@acme.example", "not his password"},
		{"an address nobody has", "nobody@acme.example", "whatever it is"},
		{"the break-glass admin with a wrong password", "ana@acme.example", "not her password"},
	}
	for _, a := range attempts {
		res := c.Post("/login", url.Values{"email": {a.email}, "password": {a.password}})
		if res.Status != http.StatusUnprocessableEntity || res.Text(".flash-error") != "Incorrect email or password." {
			t.Errorf("%s: %d %q", a.who, res.Status, res.Text(".flash-error"))
		}
	}
	counted := func(email string) int64 {
		var n int64
		s.db.Table("login_failures").Where("lower(email) = lower(?)", email).Count(&n)
		return n
	}
	for email, want := range map[string]int64{"bo@acme.example": 2, "nobody@acme.example": 1, "ana@acme.example": 1} {
		if got := counted(email); got != want {
			t.Errorf("failures counted for %s = %d, want %d", email, got, want)
		}
	}
	// Bo's attempts meet the throttle like anyone's.
	for i := 0; i < 3; i++ {
		c.Post("/login", url.Values{"email": {"bo@acme.example"}, "password": {testutil.Password}})
	}
	if res := c.Post("/login", url.Values{"email": {"bo@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusTooManyRequests {
		t.Errorf("Bo's sixth attempt: %d, want 429", res.Status)
	}
	// The break-glass admin's right password signs in.
	res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}})
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("break-glass sign-in: %d %q %q", res.Status, res.Location(), res.Text(".flash-error"))
	}
}
