package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"outlay/audit"
	"outlay/config"
)

// Import pressed twice (a double click, a resent request: ten posts at once) runs the import
// once: every post is answered with the import's page, which shows the people it created, not
// a second run's "already exists"; the audit log has one import, and each new person one
// invitation.
func TestImportCommittedTwiceRunsOnce(t *testing.T) {
	t.Parallel()
	app, c, env := importAsAdminWith(t, func(cfg *config.Config) {
		cfg.SMTPURL = "smtp://mail.acme.example:587" // the server has a mail server; the test's mailer keeps what it sends
	})
	acme, _ := env.Registry.Lookup("acme")
	app.WaitJobs(t)
	mailed := len(app.Mail.Sent())
	file := "Email,Name,Roles\nnia@acme.example,Nia New,requester\nomar@acme.example,Omar Other,requester\npia@acme.example,Pia Third,requester\n"
	item := uploadImport(c, "users", "people.csv", []byte(file)).Location()
	c.Get(item)

	for i, res := range c.PostAtOnce(10, item+"/commit", nil) {
		if res.Status != http.StatusSeeOther || res.Location() != item {
			t.Errorf("post %d: %d %q %s", i, res.Status, res.Location(), res.Text("main"))
		}
	}
	page := c.Get(item)
	if got := importResult(page); got != "Rows 3, Created 3, Updated 0, Unchanged 0" {
		t.Errorf("result: %q; %s", got, page.Text("main"))
	}
	if strings.Contains(page.Text("main"), "already exists") {
		t.Errorf("the page says a person already exists: %s", page.Text("main"))
	}
	db := env.DB(t, acme)
	var imports, people int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE event = ?`, audit.EventImport).Scan(&imports)
	db.Raw(`SELECT count(*) FROM users WHERE email IN ('nia@acme.example', 'omar@acme.example', 'pia@acme.example')`).Scan(&people)
	if imports != 1 || people != 3 {
		t.Errorf("%d import events and %d people; want 1 and 3", imports, people)
	}
	app.WaitJobs(t)
	if sent := app.Mail.Sent()[mailed:]; len(sent) != 3 {
		t.Errorf("%d invitations sent; want one to each of the 3 new people", len(sent))
	}
}
