package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/models"
)

// Approvals notify by mail, recorded in the decision's own transaction: the approver and
// their delegate hear that a step waits for them, the requester hears of the approval or
// the rejection (with the comment), nobody else hears anything, and a decision that rolls
// back notifies nobody.
func TestApprovalNotificationsGoToTheRightPeopleOnlyWhenCommitted(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	q := testutil.StartJobs(t, env, smtpMailer(t, env, srv))
	db := env.DB(t, tn)
	avery := env.CreateUser(t, tn, "avery@acme.example", "Avery Approver", "approver")
	riley := env.CreateUser(t, tn, "riley@acme.example", "Riley Requester", "requester")
	dana := env.CreateUser(t, tn, "dana@acme.example", "Dana Delegate", "approver")
	env.CreateUser(t, tn, "carl@acme.example", "Carl Bystander", "approver")
	if err := db.Exec(`UPDATE users SET manager_id = ? WHERE id = ?`, avery.ID, riley.ID).Error; err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if err := db.Create(&models.ApprovalDelegation{UserID: avery.ID, DelegateID: dana.ID, StartsOn: today.AddDate(0, 0, -1), EndsOn: today.AddDate(0, 0, 1)}).Error; err != nil {
		t.Fatal(err)
	}

	n := &models.Notifier{OrgName: "Acme Corporation", BaseURL: "http://acme.localhost:8080"}
	ctx := models.WithNotifier(context.Background(), n)
	deliver := func() {
		t.Helper()
		if err := q.DeliverMail(context.Background(), tn.Slug, n.TakeQueued()...); err != nil {
			t.Fatal(err)
		}
		testutil.WaitJobs(t, q)
	}
	r := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: riley.ID, Lines: []testutil.RequisitionLine{{Amount: 34000}}})
	out := testutil.SubmitRequisition(t, db.WithContext(ctx), r)
	deliver()
	got := srv.Wait(t, 2, 15*time.Second)
	wantTo(t, got, "avery@acme.example", "dana@acme.example")
	for _, m := range got {
		if !strings.Contains(m.Subject, "Requisition "+*r.Number+" from Riley Requester waits for your approval") ||
			!strings.Contains(m.Body, "$340.00") || !strings.Contains(m.Body, "http://acme.localhost:8080/approvals/"+fmt.Sprint(out.Steps[0].ID)+"\n") {
			t.Errorf("waiting mail %q:\n%s", m.Subject, m.Body)
		}
		if m.To[0] == "dana@acme.example" && !strings.Contains(m.Body, "approval by Avery Approver, who has asked you to stand in") {
			t.Errorf("the delegate's mail does not say for whom:\n%s", m.Body)
		}
	}

	step := out.Steps[0].ID
	averyV := models.Viewer{UserID: avery.ID, Roles: []string{"approver"}}
	decide := func(approve bool, comment string) error {
		_, err := models.DecideStep(audit.WithActor(ctx, audit.Actor{Type: audit.ActorUser, ID: avery.ID}), db, averyV, step, models.Decision{Approve: approve, Comment: comment})
		return err
	}
	// A rejection that rolls back with the change around it notifies nobody.
	undo := errors.New("undone")
	err := db.Transaction(func(tx *gorm.DB) error {
		if _, err := models.DecideStep(audit.WithActor(ctx, audit.Actor{Type: audit.ActorUser, ID: avery.ID}), tx, averyV, step, models.Decision{Comment: "No"}); err != nil {
			return err
		}
		return undo
	})
	if !errors.Is(err, undo) {
		t.Fatal(err)
	}
	deliver()
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("a rolled-back rejection sent mail: %d messages", n)
	}

	if err := decide(false, "Too expensive:\nfind a cheaper stand."); err != nil {
		t.Fatal(err)
	}
	deliver()
	got = srv.Wait(t, 3, 15*time.Second)
	wantTo(t, got[2:], "riley@acme.example")
	if m := got[2]; !strings.Contains(m.Subject, "Your requisition "+*r.Number+" was rejected and returned to you") ||
		!strings.Contains(m.Body, "Avery Approver rejected your requisition") || !strings.Contains(m.Body, "> Too expensive:\n> find a cheaper stand.") {
		t.Errorf("rejection mail %q:\n%s", m.Subject, m.Body)
	}

	out = testutil.SubmitRequisition(t, db.WithContext(ctx), r)
	step = out.Steps[0].ID
	if err := decide(true, "Fine"); err != nil {
		t.Fatal(err)
	}
	deliver()
	got = srv.Wait(t, 6, 15*time.Second)
	wantTo(t, got[3:], "avery@acme.example", "dana@acme.example", "riley@acme.example")
	last := got[len(got)-1]
	for _, m := range got[3:] {
		if m.To[0] == "riley@acme.example" {
			last = m
		}
	}
	if !strings.Contains(last.Subject, "Your requisition "+*r.Number+" was approved") || !strings.Contains(last.Body, "> Fine") {
		t.Errorf("approval mail %q:\n%s", last.Subject, last.Body)
	}
	testutil.WaitJobs(t, q)
	if n := len(srv.Messages()); n != 6 {
		t.Errorf("%d messages, want 6", n)
	}
}

// wantTo checks that msgs went to exactly these people, one each.
func wantTo(t *testing.T, msgs []smtptest.Message, want ...string) {
	t.Helper()
	var got []string
	for _, m := range msgs {
		got = append(got, strings.Join(m.To, ","))
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("mail went to %v, want %v", got, want)
	}
}
