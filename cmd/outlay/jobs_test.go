package main

import (
	"context"
	"strings"
	"testing"

	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/mail"
	"outlay/models"
)

// `outlay jobs list --failed` shows a mail that kept failing, with its tenant and error.
func TestJobsListShowsAFailedMail(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	env.Config.MailAttempts = 2
	mailer, err := mail.New(srv.URL(), env.Config.MailFrom, env.Logger)
	if err != nil {
		t.Fatal(err)
	}
	q := testutil.StartJobs(t, env, mailer)
	srv.Stop()
	db := env.DB(t, tn)
	id, err := models.QueueMail(context.Background(), db, "test", mail.Message{To: "ivy@acme.example", Subject: "Never arrives", Body: "x"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.DeliverMail(context.Background(), tn.Slug, id); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OUTLAY_DATABASE_URL", env.ControlDSN)
	for {
		testutil.WaitJobs(t, q)
		if m, _ := models.GetMail(context.Background(), db, id); m.Status == models.MailFailed {
			break
		}
	}
	code, out, errs := runCmd(t, "jobs", "list", "--failed")
	if code != 0 {
		t.Fatalf("jobs list --failed: %d %q %q", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("jobs list --failed:\n%s", out)
	}
	for _, want := range []string{"deliver_mail (mail 1)", "acme", "failed", "2/2", "connect to SMTP server"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("the failed mail's row lacks %q:\n%s", want, out)
		}
	}
	// Without --failed, every job is listed.
	if code, out, _ := runCmd(t, "jobs", "list"); code != 0 || !strings.Contains(out, "deliver_mail") {
		t.Errorf("jobs list: %d\n%s", code, out)
	}
}
