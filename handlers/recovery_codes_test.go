package handlers_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// New recovery codes are made by a post and shown by the page it redirects to, once: a reload
// shows the page without them and makes no new ones. On the way they are in a cookie that is
// encrypted, HttpOnly and short-lived, and that no other session can open.
func TestNewRecoveryCodesAreShownOnceAfterARedirect(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("bo@acme.example", testutil.Password)
	enrolThroughPage(t, c)

	c.Get("/settings/security")
	res := c.Post("/settings/security/recovery-codes", url.Values{"confirm": {testutil.Password}})
	if res.Status != http.StatusSeeOther || res.Location() != "/settings/security" || res.Doc.Find("#recovery-codes").Length() != 0 {
		t.Fatalf("new codes: %d %q, codes in the answer: %d", res.Status, res.Location(), res.Doc.Find("#recovery-codes").Length())
	}
	var cookie *http.Cookie
	for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
		if ck.Name == "outlay_new_codes" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.MaxAge <= 0 || cookie.MaxAge > 300 {
		t.Fatalf("the codes' cookie: %+v", cookie)
	}

	codes := newCodesShown(t, c, res)
	raw, _ := base64.RawURLEncoding.DecodeString(cookie.Value)
	for _, code := range codes {
		if strings.Contains(cookie.Value, code) || strings.Contains(string(raw), code) {
			t.Fatalf("the cookie holds the code %s as it is", code)
		}
	}
	if n := countEvents(t, db, models.EventRecoveryCodesGenerated); n != 1 {
		t.Errorf("%d regenerations recorded after the page was loaded twice, want 1", n)
	}

	// Another session of Bo's, given the cookie, finds nothing in it.
	other := app.Client(t, "acme")
	passwordStep(t, other, "bo@acme.example", "/login/two-factor")
	if res := other.Post("/login/two-factor", url.Values{"code": {codes[0]}}); res.Status != http.StatusSeeOther {
		t.Fatalf("the other session's sign-in: %d", res.Status)
	}
	other.Cookies["outlay_new_codes"] = cookie.Value
	if page := other.Get("/settings/security"); page.Status != http.StatusOK || page.Doc.Find("#recovery-codes").Length() != 0 {
		t.Errorf("another session, given the cookie: %d, %d codes shown", page.Status, page.Doc.Find("#recovery-codes code").Length())
	}
}

// A browser asking for an address that only takes posts (reloading the answer to a post, or a
// link copied from it) is sent to the page the form is on, or to the dashboard when there is
// no page above the address.
func TestGetOnAPostOnlyAddressGoesToItsPage(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, env.DB(t, acme), rita.ID, "", standAndCable...)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	doc := "/requisitions/" + itoa(r.Requisition.ID)
	for path, want := range map[string]string{
		"/settings/security/recovery-codes": "/settings/security",
		doc + "/comments":                   doc,
	} {
		if res := c.Get(path); res.Status != http.StatusSeeOther || res.Location() != want {
			t.Errorf("GET %s: %d %q, want a redirect to %s", path, res.Status, res.Location(), want)
		}
	}
	if res := c.Get("/requisitions/new/nothing-here"); res.Status != http.StatusNotFound {
		t.Errorf("GET of an address nothing answers: %d", res.Status)
	}
}
