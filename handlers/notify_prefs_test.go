package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/models"
)

// decidedMails counts the "approved or rejected" mails written to the outbox for Rita.
func (s *approvalSite) decidedMails(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := s.db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ? AND recipient = ?`, models.MailDecided, s.rita.Email).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A person who turns "approved or rejected" off on their preferences page is no longer
// mailed when their request is decided, but is still told under the bell; the other kinds
// keep their choice. A choice that is not one of the three is refused beside its kind.
func TestTurningAKindOffStopsItsMailButNotTheBell(t *testing.T) {
	s := newApprovalSite(t)
	rita := s.client(t, "rita@acme.example")

	page := rita.Get("/settings/notifications")
	if page.Status != http.StatusOK {
		t.Fatalf("preferences page: %d", page.Status)
	}
	if v, _ := page.Doc.Find(`input[name="` + models.MailDecided + `"]:checked`).Attr("value"); v != models.DeliverInstantly {
		t.Errorf("a new person's choice for decisions is %q, want instantly", v)
	}

	// Before: a decision mails Rita.
	_, first := s.pending(t, 1000)
	if res := approvalPost(s.maxC, stepURL(first, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve: %d", res.Status)
	}
	if n := s.decidedMails(t); n != 1 {
		t.Fatalf("%d decision mails before turning them off, want 1", n)
	}

	bad := rita.Post("/settings/notifications", url.Values{models.MailDecided: {"hourly"}, models.MailOrdered: {models.DeliverOff}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Text("#"+models.MailDecided+"-error"), "Choose instantly, daily digest or off") {
		t.Errorf("a bad choice: %d %q", bad.Status, bad.Text("main"))
	}
	if v, _ := bad.Doc.Find(`input[name="` + models.MailOrdered + `"]:checked`).Attr("value"); v != models.DeliverOff {
		t.Errorf("the refused form lost the other choice: ordered shows %q", v)
	}

	res := rita.Post("/settings/notifications", url.Values{models.MailDecided: {models.DeliverOff}, models.MailOrdered: {models.DeliverDigest}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("saving preferences: %d %q", res.Status, res.Text("main"))
	}
	page = rita.Get("/settings/notifications")
	for kind, want := range map[string]string{models.MailDecided: models.DeliverOff, models.MailOrdered: models.DeliverDigest, models.MailReceived: models.DeliverInstantly} {
		if v, _ := page.Doc.Find(`input[name="` + kind + `"]:checked`).Attr("value"); v != want {
			t.Errorf("%s shows %q, want %q", kind, v, want)
		}
	}

	// After: the decision is under the bell, and no mail is written.
	r2, second := s.pending(t, 2000)
	if res := approvalPost(s.maxC, stepURL(second, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve: %d", res.Status)
	}
	if n := s.decidedMails(t); n != 1 {
		t.Errorf("%d decision mails after turning them off, want still 1", n)
	}
	if got := rita.Get("/notifications/bell").Text(".bell-count"); got != "2" {
		t.Errorf("Rita's bell shows %q, want 2", got)
	}
	if title := rita.Get("/notifications").Text(".notification-title"); !strings.Contains(title, *r2.Number) {
		t.Errorf("Rita's notifications %q do not name %s", title, *r2.Number)
	}
	s.app.WaitJobs(t)
	for _, m := range s.app.Mail.Sent() {
		if m.To == s.rita.Email && strings.Contains(m.Subject, *r2.Number) {
			t.Errorf("Rita was mailed %q after turning decisions off", m.Subject)
		}
	}
}
