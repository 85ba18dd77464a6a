package handlers_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// A CSRF token counts only from the form's body or the X-CSRF-Token header: the same valid
// token in the query string is refused, for a plain form and for a multipart one.
func TestCSRFTokenInTheQueryStringIsIgnored(t *testing.T) {
	app, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/locations/new")
	tok := c.CSRF
	q := "?_csrf=" + url.QueryEscape(tok)
	if res := c.Post("/admin/locations"+q, url.Values{"_csrf": {""}, "name": {"Depot"}, "address": {"1 Road"}}); res.Status != http.StatusForbidden {
		t.Errorf("form with the token in the query string: %d, want 403", res.Status)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("name", "Depot")
	_ = w.WriteField("address", "1 Road")
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, "/admin/locations"+q, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if res := c.Do(req); res.Status != http.StatusForbidden {
		t.Errorf("multipart form with the token in the query string: %d, want 403", res.Status)
	}
	var n int64
	app.DB(t, mustTenant(t, app, "acme")).Model(&models.Location{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d locations stored", n)
	}
	// The body and the header still work.
	if res := c.Post("/admin/locations", url.Values{"_csrf": {tok}, "name": {"Depot"}, "address": {"1 Road"}}); res.Status != http.StatusSeeOther {
		t.Errorf("form with the token in the body: %d", res.Status)
	}
	c.Header.Set("X-CSRF-Token", tok)
	if res := c.Post("/admin/locations", url.Values{"_csrf": {""}, "name": {"Store"}, "address": {"2 Road"}}); res.Status != http.StatusSeeOther {
		t.Errorf("form with the token in the header: %d", res.Status)
	}
}

// A query string that is not text (NUL, control characters, broken UTF-8), in a value or a
// name, is refused with a 400 that says why, on every route, before any handler runs.
func TestQueryStringsThatAreNotTextAreRefused(t *testing.T) {
	app, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/locations/new")
	bad := []string{"q=%00", "q=%FF", "q=a%0Ab", "q=%1B%5B31m", "q=%C2%85", "%FF=1", "page=1&q=%C3%28"}
	paths := []string{"/healthz", "/login", "/static/nothing.css"}
	for _, r := range app.Server.Routes() {
		if !r.API {
			paths = append(paths, r.Method+" "+concretePath(r.Path))
		}
	}
	for _, p := range paths {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = http.MethodGet, p
		}
		for _, q := range bad {
			var res *testutil.Response
			if method == http.MethodGet {
				res = c.Get(path + "?" + q)
			} else {
				res = c.Post(path+"?"+q, url.Values{"name": {"Depot"}, "address": {"1 Road"}})
			}
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "not text") {
				t.Errorf("%s %s?%s: %d, want 400 saying the address is not text", method, path, q, res.Status)
			}
		}
	}
	var n int64
	app.DB(t, mustTenant(t, app, "acme")).Model(&models.Location{}).Count(&n)
	if n != 0 {
		t.Errorf("%d locations stored", n)
	}
	// Text of any language, tabs aside, passes.
	if res := c.Get("/vendors?q=" + url.QueryEscape("Zürich – 東京")); res.Status != http.StatusOK {
		t.Errorf("a search in other scripts: %d", res.Status)
	}
	// The API says so in JSON.
	api := app.Client(t, "acme")
	api.Header.Set("Authorization", "Bearer nothing")
	if res := api.Get("/api/v1/me?q=%00"); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `"error"`) {
		t.Errorf("API with a NUL in the query: %d %s", res.Status, res.Body)
	}
}
