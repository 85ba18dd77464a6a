package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/mail"
	"outlay/models"
)

// BenchmarkApproveNotifications measures what notifying costs an approval's request: the
// approve action (an htmx POST through the real Fiber app) of a step whose requester is
// mailed of it, against one whose requester turned every kind of mail off, one after the
// other in the same run with the job workers sending the mails to a real SMTP server all the
// while. The mail is written to the outbox in the approval's transaction and its delivery
// queued after it; sending happens in the job, so the two should cost nearly the same. It
// reports each one's median and the ratio of the medians (notified ÷ not mailed).
//
//	go test -run '^$' -bench ApproveNotifications -benchtime 300x ./handlers/
func BenchmarkApproveNotifications(b *testing.B) {
	srv := smtptest.Start(b)
	env, acme := testutil.NewTenant(b)
	env.Config.SMTPURL = srv.URL()
	mailer, err := mail.New(srv.URL(), env.Config.MailFrom, env.Logger)
	if err != nil {
		b.Fatal(err)
	}
	app := testutil.NewAppMailer(b, env, mailer)
	db := env.DB(b, acme)
	ctx := context.Background()
	max := env.CreateUser(b, acme, "max@acme.example", "Max Manager", "approver")
	requester := func(email, name string) *models.User {
		u, err := models.CreateUser(ctx, db, models.NewUser{Email: email, Name: name, Password: testutil.Password,
			Roles: []string{"requester"}, ManagerID: &max.ID})
		if err != nil {
			b.Fatal(err)
		}
		return u
	}
	mailed, quiet := requester("rita@acme.example", "Rita Mailed"), requester("quinn@acme.example", "Quinn Quiet")
	off := map[string]string{}
	for _, k := range models.NotificationKinds {
		off[k.Kind] = models.DeliverOff
	}
	if err := models.SetNotificationPreferences(ctx, db, quiet.ID, off); err != nil {
		b.Fatal(err)
	}
	c := app.Client(b, "acme")
	c.SignIn(max.Email, testutil.Password)
	c.Get("/approvals")
	c.Header.Set("HX-Request", "true")
	pending := func(u *models.User, n int) int64 {
		r := testutil.CreateRequisition(b, db, testutil.Requisition{RequesterID: u.ID, Lines: []testutil.RequisitionLine{{Amount: int64(1000 + n)}}})
		return testutil.SubmitRequisition(b, db, r).Steps[0].ID
	}
	var onSteps, offSteps []int64
	for n := range b.N {
		onSteps, offSteps = append(onSteps, pending(mailed, n)), append(offSteps, pending(quiet, n))
	}
	approve := func(step int64) time.Duration {
		t0 := time.Now()
		res := c.Post(fmt.Sprintf("/approvals/%d/approve", step), nil)
		d := time.Since(t0)
		if res.Status != http.StatusOK {
			b.Fatalf("approve step %d: %d", step, res.Status)
		}
		return d
	}
	// Warm up both paths (templates, prepared statements, pool connections).
	approve(pending(mailed, -1))
	approve(pending(quiet, -1))
	app.WaitJobs(b)
	on, offTimes := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for n := range b.N {
		// Alternate which goes first, so neither always follows the other's mail.
		if n%2 == 0 {
			on = append(on, approve(onSteps[n]))
			offTimes = append(offTimes, approve(offSteps[n]))
		} else {
			offTimes = append(offTimes, approve(offSteps[n]))
			on = append(on, approve(onSteps[n]))
		}
	}
	b.StopTimer()
	app.WaitJobs(b)
	var mails, quietMails int64
	db.Raw(`SELECT count(*) FROM mail_outbox WHERE recipient = ? AND status = ?`, mailed.Email, models.MailSent).Scan(&mails)
	db.Raw(`SELECT count(*) FROM mail_outbox WHERE recipient = ?`, quiet.Email).Scan(&quietMails)
	if mails != int64(b.N+1) || quietMails != 0 {
		b.Fatalf("%d mails sent to the mailed requester (want %d), %d written for the quiet one (want 0)", mails, b.N+1, quietMails)
	}
	median := func(ds []time.Duration) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[len(s)/2].Microseconds()) / 1000
	}
	onMs, offMs := median(on), median(offTimes)
	b.ReportMetric(onMs, "notified-p50-ms")
	b.ReportMetric(offMs, "unmailed-p50-ms")
	b.ReportMetric(onMs/offMs, "notified/unmailed")
}
