package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestReferenceDataIsReadOncePerChange checks that the departments and the organisation's
// settings a page shows are read from the database once, then kept until they change, and
// that a change made outside this app server (straight in the database, as another server
// would) shows on the very next page. One version covers both, so a change of either reads
// both again.
func TestReferenceDataIsReadOncePerChange(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	s.pending(t, 1000)
	log := &statementLog{}
	log.register(t, s.db)
	// view shows the queue filtered by amount (which reads the settings for the currency)
	// and returns how many statements read the departments and the settings.
	view := func(step string) (depts, settings int, body string) {
		t.Helper()
		for _, st := range log.during(func() {
			r := s.maxC.Get("/approvals?min=10")
			if r.Status != http.StatusOK {
				t.Fatalf("%s: /approvals answered %d", step, r.Status)
			}
			body = r.Body
		}) {
			if strings.Contains(st.sql, `"departments"`) {
				depts++
			}
			if strings.Contains(st.sql, "FROM org_settings") {
				settings++
			}
		}
		return depts, settings, body
	}
	check := func(step string, wantDepts, wantSettings int, shown ...string) {
		t.Helper()
		d, st, body := view(step)
		if d != wantDepts || st != wantSettings {
			t.Errorf("%s: the page read the departments %d times and the settings %d; want %d and %d", step, d, st, wantDepts, wantSettings)
		}
		for _, text := range shown {
			if !strings.Contains(body, text) {
				t.Errorf("%s: the page does not show %q", step, text)
			}
		}
	}
	// The sign-in already viewed /approvals (without the filter): the departments are known.
	check("first filtered view", 0, 1, ">Engineering<")
	check("second view", 0, 0, ">Engineering<")

	if err := s.db.Exec(`UPDATE departments SET name = 'Research' WHERE id = ?`, s.eng.ID).Error; err != nil {
		t.Fatal(err)
	}
	check("after a department was renamed", 1, 1, ">Research<")
	check("the view after", 0, 0, ">Research<")
	if err := s.db.Exec(`INSERT INTO departments (name, code) VALUES ('Sales', 'SAL')`).Error; err != nil {
		t.Fatal(err)
	}
	check("after a department was added", 1, 1, ">Research<", ">Sales<")

	if err := s.db.Exec(`UPDATE org_settings SET time_zone = 'Asia/Tokyo' WHERE id = 1`).Error; err != nil {
		t.Fatal(err)
	}
	check("after the settings changed", 1, 1)
	check("the view after", 0, 0)
}
