package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/handlers"
	"outlay/internal/testutil"
	"outlay/models"
)

// Every route of the table, asked on another tenant's host with this tenant's session,
// CSRF token or API token, is refused before it reaches a handler: pages send the visitor to
// sign in, forms are refused for their CSRF token, the API answers 401. No answer carries
// the other tenant's name or data.
func TestEveryRouteRefusesAnotherTenantsCredentials(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	globex := env.NewTenant(t, "globex", "Globex Industries")
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	// Globex has a requisition of its own under the same ids acme's would have.
	gdb := env.DB(t, globex)
	gina := env.CreateUser(t, globex, "gina@globex.example", "Gina Globex", "admin")
	if err := gdb.Create(&models.Requisition{RequesterID: gina.ID, Currency: "USD", Status: models.RequisitionDraft, Justification: "Globex secret plans"}).Error; err != nil {
		t.Fatal(err)
	}
	_, token, err := models.CreateToken(context.Background(), env.DB(t, acme), ana.ID, "cross-tenant test", 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t, env)
	a := app.Client(t, "acme")
	a.SignIn("ana@acme.example", testutil.Password)
	a.Get("/dashboard")

	for _, r := range app.Server.Routes() {
		if r.Access == handlers.Public {
			continue
		}
		g := app.Client(t, "globex")
		for k, v := range a.Cookies {
			g.Cookies[k] = v
		}
		path := concretePath(r.Path)
		var res *testutil.Response
		if r.API {
			g.Header.Set("Authorization", "Bearer "+token)
		}
		if r.Method == http.MethodGet {
			res = g.Get(path)
		} else {
			res = g.Post(path, url.Values{"_csrf": {a.CSRF}})
		}
		switch {
		case r.API:
			if res.Status != http.StatusUnauthorized {
				t.Errorf("%s %s with acme's API token on globex: %d, want 401", r.Method, path, res.Status)
			}
		case r.Method == http.MethodGet:
			if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
				t.Errorf("%s %s with acme's session on globex: %d %q, want a redirect to sign in", r.Method, path, res.Status, res.Location())
			}
		default:
			if res.Status != http.StatusForbidden && !(res.Status == http.StatusSeeOther && strings.HasPrefix(res.Location(), "/login")) {
				t.Errorf("%s %s with acme's session and CSRF token on globex: %d %q, want refused", r.Method, path, res.Status, res.Location())
			}
		}
		for _, leak := range []string{"Globex secret plans", "Gina Globex", "Ana Admin"} {
			if strings.Contains(res.Body, leak) {
				t.Errorf("%s %s on globex with acme's credentials shows %q", r.Method, path, leak)
			}
		}
	}
}
