package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
)

// History names the records its entries are about ("REQ-000006", "Step 1 of REQ-000006
// (Max Manager)") and reads statuses as the pages do ("Partly received"), never as stored.
func TestHistoryNamesRecordsAndLabelsStatuses(t *testing.T) {
	t.Parallel()
	f := newHistoryFixture(t)
	p, po := f.p, f.po
	env := f.env
	app := testutil.NewApp(t, env)
	ana := app.Client(t, "acme")
	ana.SignIn("ana@acme.example", testutil.Password)
	number := *p.Requisition.Number

	page := ana.Get(fmt.Sprintf("/requisitions/%d/history", p.Requisition.ID))
	if page.Status != http.StatusOK {
		t.Fatalf("requisition history: %d", page.Status)
	}
	what := page.Doc.Find(".audit-what").Text()
	for _, want := range []string{number, "Step 1 of " + number + " (Max Manager)", "Line 1 of " + number + ": Standing desk"} {
		if !strings.Contains(what, want) {
			t.Errorf("the requisition's History does not name %q: %q", want, what)
		}
	}
	for _, raw := range []string{"Requisitions #", "Approval steps #", "Requisition lines #"} {
		if strings.Contains(what, raw) {
			t.Errorf("the requisition's History still reads %q: %q", raw, what)
		}
	}
	if body := page.Text("main"); !strings.Contains(body, "Ordered") || strings.Contains(body, "ordered →") {
		t.Errorf("the requisition's status is not labelled: %q", body)
	}

	page = ana.Get(fmt.Sprintf("/purchase-orders/%d/history", po.ID))
	body := page.Text("main")
	if !strings.Contains(body, "Partly received") || strings.Contains(body, "partially_received") {
		t.Errorf("the order's History does not label its status: %q", body)
	}
	if what := page.Doc.Find(".audit-what").Text(); !strings.Contains(what, po.Number) || strings.Contains(what, "Purchase orders #") {
		t.Errorf("the order's History does not name it: %q", what)
	}

	log := ana.Get("/audit")
	if what := log.Doc.Find(".audit-what").Text(); !strings.Contains(what, "Step 1 of "+number+" (Max Manager)") || !strings.Contains(log.Text("main"), "Partly received") {
		t.Errorf("the audit log does not read as sentences: %q", log.Text("main"))
	}
}

// History and the audit log show times in the organisation's time zone, a setting on
// /admin/settings: Europe/Berlin reads an hour or two later than UTC. A zone that does not
// exist is refused beside the field, and nothing changes.
func TestHistoryAndAuditLogShowTimesInTheOrganisationsZone(t *testing.T) {
	t.Parallel()
	f := newHistoryFixture(t)
	app := testutil.NewApp(t, f.env)
	ana := app.Client(t, "acme")
	ana.SignIn("ana@acme.example", testutil.Password)
	historyPath := fmt.Sprintf("/purchase-orders/%d/history", f.po.ID)

	var at time.Time
	if err := f.db.Raw("SELECT at FROM audit_log WHERE table_name = 'purchase_orders' ORDER BY id DESC LIMIT 1").Scan(&at).Error; err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	whenIn := func(loc *time.Location) string { return at.In(loc).Format("2 Jan 2006 15:04:05") }
	if whenIn(berlin) == whenIn(time.UTC) {
		t.Fatal("Berlin and UTC read alike")
	}

	page := ana.Get(historyPath)
	if got := page.Text("thead"); !strings.Contains(got, "When (UTC)") {
		t.Errorf("History's times are not said to be in UTC: %q", got)
	}
	if !strings.Contains(page.Text("tbody"), whenIn(time.UTC)) {
		t.Errorf("History lacks %s (UTC): %q", whenIn(time.UTC), page.Text("tbody"))
	}

	// The zone is picked from the tz database's zones, the one in force chosen.
	form := ana.Get("/admin/settings")
	if v, _ := form.Doc.Find("#time_zone option[selected]").Attr("value"); v != "UTC" || form.Doc.Find(`#time_zone option[value="Europe/Berlin"]`).Length() != 1 ||
		form.Doc.Find("#time_zone option").Length() != len(models.TimeZones) {
		t.Errorf("time zone choice: %q chosen of %d", v, form.Doc.Find("#time_zone option").Length())
	}
	r := htmxPost(ana, "/admin/settings", "ref-form", url.Values{"default_currency": {"EUR"}, "time_zone": {"Europe/Berlinn"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("#time_zone-error"), "IANA") {
		t.Errorf("an unknown zone: %d %q", r.Status, r.Text("#time_zone-error"))
	}
	if v, _ := r.Doc.Find("#time_zone option[selected]").Attr("value"); v != "Europe/Berlinn" {
		t.Errorf("the zone typed was lost: %q", v)
	}
	st, err := models.Settings(context.Background(), f.db)
	if err != nil || st.TimeZone != "UTC" || st.DefaultCurrency != "USD" {
		t.Errorf("a refused form changed the settings: %+v %v", st, err)
	}

	if got := flashAfter(t, ana, ana.Post("/admin/settings", url.Values{"default_currency": {"USD"}, "time_zone": {"Europe/Berlin"}})); got != "Saved the settings." {
		t.Errorf("flash %q", got)
	}
	for _, path := range []string{historyPath, "/audit"} {
		page := ana.Get(path)
		if got := page.Text("thead"); !strings.Contains(got, "When (Europe/Berlin)") {
			t.Errorf("%s does not say its times are in Europe/Berlin: %q", path, got)
		}
		if body := page.Text("tbody"); !strings.Contains(body, whenIn(berlin)) {
			t.Errorf("%s lacks %s (Berlin): %q", path, whenIn(berlin), body)
		}
	}
	if h := ana.Get("/admin/settings/history").Text(".changes"); !strings.Contains(h, "UTC") || !strings.Contains(h, "Europe/Berlin") {
		t.Errorf("the change of zone is not audited with its old and new values: %q", h)
	}
}
