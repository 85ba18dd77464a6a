package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"outlay/internal/testutil"
)

// The organisation settings lead to the import and the export of the organisation's data,
// for whoever may open them: an admin sees both links there and in the navigation; an
// auditor, who reads the settings but imports and exports nothing, sees neither; a requester
// reaches neither the settings nor, through the navigation, the import or the export.
func TestSettingsLinkToImportAndExport(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	env.CreateUser(t, acme, "aud@acme.example", "Audrey Auditor", "auditor")
	env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	app := testutil.NewApp(t, env)
	// The card names them as the navigation does.
	links := map[string]string{"/admin/import": "Import", "/admin/export": "Export everything"}

	ana := app.Client(t, "acme")
	ana.SignIn("ana@acme.example", testutil.Password)
	page := ana.Get("/admin/settings")
	if page.Status != http.StatusOK {
		t.Fatalf("settings as admin: %d", page.Status)
	}
	card := page.Doc.Find(`section.links-card[aria-labelledby="data-title"]`)
	if got := card.Find("#data-title").Text(); got != "Your organisation's data" {
		t.Errorf("card title %q", got)
	}
	for href, label := range links {
		if got := strings.TrimSpace(card.Find(`a[href="` + href + `"]`).Text()); got != label {
			t.Errorf("admin's settings: link to %s reads %q, want %q", href, got, label)
		}
		if nav := page.Doc.Find(`nav.nav a[href="` + href + `"]`); nav.Length() != 1 || strings.TrimSpace(nav.Text()) != label {
			t.Errorf("admin's navigation links to %s %d times, reading %q; want once, reading %q", href, nav.Length(), nav.Text(), label)
		}
		if res := ana.Get(href); res.Status != http.StatusOK {
			t.Errorf("admin following %s: %d", href, res.Status)
		}
	}

	aud := app.Client(t, "acme")
	aud.SignIn("aud@acme.example", testutil.Password)
	page = aud.Get("/admin/settings")
	if page.Status != http.StatusOK {
		t.Fatalf("settings as auditor: %d", page.Status)
	}
	if page.Doc.Find("section.links-card").Length() != 0 {
		t.Errorf("auditor's settings show the data card: %q", page.Text("section.links-card"))
	}
	for href := range links {
		if page.Doc.Find(`a[href="`+href+`"]`).Length() != 0 {
			t.Errorf("auditor's settings page links to %s", href)
		}
	}

	rita := app.Client(t, "acme")
	rita.SignIn("rita@acme.example", testutil.Password)
	if res := rita.Get("/admin/settings"); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("settings as requester: %d %q", res.Status, res.Location())
	}
	dash := rita.Get("/dashboard")
	for href := range links {
		if dash.Doc.Find(`a[href="`+href+`"]`).Length() != 0 {
			t.Errorf("requester's dashboard links to %s", href)
		}
	}
}
