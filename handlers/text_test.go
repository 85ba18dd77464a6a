package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// Form fields that are not text (a NUL byte, broken UTF-8) are refused with a clear message
// before any handler runs, on every form, and nothing is stored.
func TestFormsRefuseWhatIsNotText(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/locations/new")
	for _, name := range []string{"Depot\x00", "Dep\xffot"} {
		res := c.Post("/admin/locations", url.Values{"name": {name}, "address": {"1 Road"}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "not text") {
			t.Errorf("location named %q: %d", name, res.Status)
		}
	}
	var n int64
	app.DB(t, mustTenant(t, app, "acme")).Model(&models.Location{}).Count(&n)
	if n != 0 {
		t.Errorf("%d locations stored", n)
	}
	// Text of any language is welcome.
	if res := c.Post("/admin/locations", url.Values{"name": {"Zürich – 東京"}, "address": {"1 Road"}}); res.Status != http.StatusSeeOther {
		t.Errorf("a name in other scripts: %d", res.Status)
	}
}
