package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// "Remind approvers after N days" sits on the settings page beside the time zone: a number of
// days from 0 (off) to 365 is saved and audited; anything else is refused beside the field,
// with what was typed kept and nothing changed.
func TestReminderSettingIsValidatedAndAudited(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	ana := app.Client(t, "acme")
	ana.SignIn("ana@acme.example", testutil.Password)
	page := ana.Get("/admin/settings")
	if v, _ := page.Doc.Find("#remind_approvers_after").Attr("value"); v != "0" {
		t.Errorf("the reminder field reads %q, want 0", v)
	}
	if !strings.Contains(page.Text("main"), "Approver reminders") || !strings.Contains(page.Text("main"), "Off") {
		t.Errorf("the settings do not say reminders are off: %q", page.Text("main"))
	}
	for _, bad := range []string{"soon", "-1", "366", "2.5"} {
		r := htmxPost(ana, "/admin/settings", "ref-form", url.Values{"default_currency": {"USD"}, "time_zone": {"UTC"}, "remind_approvers_after": {bad}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("#remind_approvers_after-error"), "whole number of days from 0 to 365") {
			t.Errorf("%q: %d %q", bad, r.Status, r.Text("#remind_approvers_after-error"))
		}
		if v, _ := r.Doc.Find("#remind_approvers_after").Attr("value"); v != bad {
			t.Errorf("what was typed was lost: %q, want %q", v, bad)
		}
	}
	db := env.DB(t, acme)
	if st, _ := models.Settings(context.Background(), db); st.RemindApproversAfterDays != 0 {
		t.Fatalf("a refused form changed the setting to %d", st.RemindApproversAfterDays)
	}
	if got := flashAfter(t, ana, ana.Post("/admin/settings", url.Values{"default_currency": {"USD"}, "time_zone": {"Europe/Berlin"}, "remind_approvers_after": {" 3 "}})); got != "Saved the settings." {
		t.Errorf("flash %q", got)
	}
	if st, _ := models.Settings(context.Background(), db); st.RemindApproversAfterDays != 3 {
		t.Errorf("saved %d, want 3", st.RemindApproversAfterDays)
	}
	if !strings.Contains(ana.Get("/admin/settings").Text("main"), "After 3 days of waiting") {
		t.Error("the settings do not say after how many days approvers are reminded")
	}
	var audited int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE table_name = 'org_settings' AND action = 'update'
		AND changed @> ARRAY['remind_approvers_after_days'] AND actor_label = 'ana@acme.example'`).Scan(&audited)
	if audited != 1 {
		t.Errorf("%d audited changes of remind_approvers_after_days, want 1", audited)
	}
	// Empty is off.
	flashAfter(t, ana, ana.Post("/admin/settings", url.Values{"default_currency": {"USD"}, "time_zone": {"Europe/Berlin"}, "remind_approvers_after": {""}}))
	if st, _ := models.Settings(context.Background(), db); st.RemindApproversAfterDays != 0 {
		t.Errorf("empty saved %d, want 0", st.RemindApproversAfterDays)
	}
}
