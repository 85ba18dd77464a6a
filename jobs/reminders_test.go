package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/models"
)

// With "remind approvers after 3 days", the approver of steps that have waited longer, and
// the delegate standing in for them today, get one mail a day from eight in the
// organisation's time zone listing those documents with their links; nobody else does, a
// second run the same day sends nothing, the next day reminds again, and a person who turned
// reminders off gets none.
func TestApproversAreRemindedOnceADayOfLongWaitingSteps(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	clock := &testClock{}
	clock.Set(utc("2026-03-10T07:30:00Z")) // 08:30 in Berlin
	q := dailyQueue(t, env, srv, clock)
	db := env.DB(t, tn)
	ctx := context.Background()
	setZone(t, db, "Europe/Berlin")
	avery := env.CreateUser(t, tn, "avery@acme.example", "Avery Approver", "approver")
	riley := env.CreateUser(t, tn, "riley@acme.example", "Riley <b>Requester</b>", "requester")
	dana := env.CreateUser(t, tn, "dana@acme.example", "Dana Delegate", "approver")
	env.CreateUser(t, tn, "carl@acme.example", "Carl Bystander", "approver")
	if err := db.Exec(`UPDATE users SET manager_id = ? WHERE id = ?`, avery.ID, riley.ID).Error; err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if err := db.Create(&models.ApprovalDelegation{UserID: avery.ID, DelegateID: dana.ID, StartsOn: today.AddDate(0, 0, -1), EndsOn: today.AddDate(0, 0, 30)}).Error; err != nil {
		t.Fatal(err)
	}
	var old, recent []string
	for i, waitingSince := range []string{"2026-03-05T09:00:00Z", "2026-03-06T09:00:00Z", "2026-03-09T09:00:00Z"} {
		r := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: riley.ID, Lines: []testutil.RequisitionLine{{Amount: int64(1000 * (i + 1))}}})
		testutil.SubmitRequisition(t, db, r)
		if err := db.Exec(`UPDATE approval_steps SET updated_at = ? WHERE doc_id = ? AND status = 'pending'`, waitingSince, r.ID).Error; err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			old = append(old, *r.Number)
		} else {
			recent = append(recent, *r.Number)
		}
	}

	// Off until the organisation says otherwise.
	runDaily(t, q, tn)
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("reminders went out with reminders off: %d", n)
	}
	if err := models.UpdateSettings(ctx, db, models.SettingsInput{DefaultCurrency: "USD", TimeZone: "Europe/Berlin", RemindApproversAfter: "3"}); err != nil {
		t.Fatal(err)
	}
	runDaily(t, q, tn)
	got := srv.Wait(t, 2, 15*time.Second)
	wantTo(t, got, "avery@acme.example", "dana@acme.example")
	for _, m := range got {
		if m.Subject != "Reminder: 2 requests wait for your approval" {
			t.Errorf("reminder subject %q", m.Subject)
		}
		for _, num := range old {
			if !strings.Contains(m.Body, "Requisition "+num+" from Riley <b>Requester</b>") {
				t.Errorf("the reminder to %s does not list %s:\n%s", m.To[0], num, m.Body)
			}
		}
		if strings.Contains(m.Body, recent[0]) {
			t.Errorf("the reminder lists %s, which has waited only a day:\n%s", recent[0], m.Body)
		}
		for _, want := range []string{"for more than 3 days", "waiting since Thu 5 Mar", "http://acme.localhost:8080/requisitions/", "http://acme.localhost:8080/approvals"} {
			if !strings.Contains(m.Body, want) {
				t.Errorf("the reminder to %s lacks %q:\n%s", m.To[0], want, m.Body)
			}
		}
		if strings.Join(m.Parts, " ") != "text/plain text/html" || !strings.Contains(m.HTML, "Riley &lt;b&gt;Requester&lt;/b&gt;") ||
			strings.Contains(m.HTML, "<b>Requester") {
			t.Errorf("the reminder to %s: parts %v, HTML:\n%s", m.To[0], m.Parts, m.HTML)
		}
		if l := m.Header.Get("List-Unsubscribe"); !strings.Contains(l, "/unsubscribe/") || !strings.Contains(m.Body, "Stop mail of this kind (reminder of requests") {
			t.Errorf("the reminder to %s: List-Unsubscribe %q\n%s", m.To[0], l, m.Body)
		}
		stands := strings.Contains(m.Body, "You stand in for Avery Approver")
		if stands != (m.To[0] == "dana@acme.example") {
			t.Errorf("the reminder to %s says whom it stands in for: %v\n%s", m.To[0], stands, m.Body)
		}
	}

	// Later the same day, and before eight the next morning: nothing more.
	clock.Set(utc("2026-03-10T18:00:00Z"))
	runDaily(t, q, tn)
	clock.Set(utc("2026-03-11T06:30:00Z"))
	runDaily(t, q, tn)
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("a second reminder went out the same day: %d messages", n)
	}
	// The next morning: reminded again, the third request too by now; Avery has turned
	// reminders off.
	if err := models.SetNotificationPreferences(ctx, db, avery.ID, map[string]string{models.MailApprovalReminder: models.DeliverOff}); err != nil {
		t.Fatal(err)
	}
	clock.Set(utc("2026-03-13T07:05:00Z"))
	runDaily(t, q, tn)
	got = srv.Wait(t, 3, 15*time.Second)
	wantTo(t, got[2:], "dana@acme.example")
	if m := got[2]; m.Subject != "Reminder: 3 requests wait for your approval" || !strings.Contains(m.Body, recent[0]) {
		t.Errorf("next reminder %q:\n%s", m.Subject, m.Body)
	}
	testutil.WaitJobs(t, q)
	if n := len(srv.Messages()); n != 3 {
		t.Errorf("%d messages, want 3", n)
	}
}
