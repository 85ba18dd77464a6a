package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
)

// A role cannot be named so that it passes for another on screen: a label mixing alphabets
// ("Аdmin" with a Cyrillic А) is refused, and so is one that reads as an existing role's
// (all-Cyrillic "арргоѵег" for Approver, full-width "ＡＤＭＩＮ", "Ad<zero-width space>min"),
// when a role is added and when one is renamed. A name in another alphabet that reads
// differently is taken.
func TestRoleLabelsCannotLookLikeAnother(t *testing.T) {
	t.Parallel()
	_, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/roles")
	for _, tc := range []struct{ label, want string }{
		{"Аdmin", "Write the role's name in one alphabet: this one mixes Cyrillic and Latin letters"},
		{"Αuditor", "Write the role's name in one alphabet: this one mixes Greek and Latin letters"},
		{"арргоѵег", "This name looks the same as the role “Approver”."},
		{"ＡＤＭＩＮ", "This name looks the same as the role “Admin”."},
		{"Ad\u200bmin", "This name looks the same as the role “Admin”."},
	} {
		res := c.Post("/admin/roles", url.Values{"label": {tc.label}})
		if res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(res.Text("#label-error"), tc.want) {
			t.Errorf("add %q: %d %q, want 422 %q", tc.label, res.Status, res.Text("#label-error"), tc.want)
		}
	}
	if res := c.Post("/admin/roles", url.Values{"label": {"Администратор"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("add a Cyrillic name that reads differently: %d %q", res.Status, res.Text("#label-error"))
	}
	c.Get("/admin/roles")
	if res := c.Post("/admin/roles", url.Values{"label": {"Finance lead"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("add Finance lead: %d %q", res.Status, res.Text("#label-error"))
	}
	c.Get("/admin/roles")
	res := c.Post("/admin/roles/finance_lead/rename", url.Values{"label": {"Аpprover"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#label-finance_lead-error"), "mixes Cyrillic and Latin") {
		t.Errorf("rename to a mixed name: %d %q", res.Status, res.Text("#label-finance_lead-error"))
	}
	res = c.Post("/admin/roles/finance_lead/rename", url.Values{"label": {"ΑΡΡΡΟ"}}) // Greek capitals
	if res.Status != http.StatusSeeOther {
		t.Fatalf("rename to a Greek name: %d %q", res.Status, res.Text("#label-finance_lead-error"))
	}
	c.Get("/admin/roles")
	res = c.Post("/admin/roles", url.Values{"label": {"apppo"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(res.Text("#label-error"), "This name looks the same as the role “ΑΡΡΡΟ”.") {
		t.Errorf("add a Latin name that reads as a Greek one: %d %q", res.Status, res.Text("#label-error"))
	}
	c.Get("/admin/roles")
	res = c.Post("/admin/roles/finance_lead/rename", url.Values{"label": {"αρρρο"}})
	if res.Status == http.StatusUnprocessableEntity {
		t.Errorf("a role renamed to its own name in small letters was refused: %q", res.Text("#label-finance_lead-error"))
	}
}
