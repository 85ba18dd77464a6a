package models_test

import (
	"context"
	"testing"

	"outlay/internal/dbtest"
	"outlay/mail"
	"outlay/models"
)

// TestMailStatementsReadOneMailByItsKey reads the plans of the statements that claim a mail
// and record a failed attempt, over 20,000 mails sent and 500 waiting that came after the
// table's statistics (a backlog): each reads the one mail by its primary key, never the index
// of waiting mails, which made every delivery read the whole backlog. It then checks what the
// statements do: a mail sent already is neither claimed nor marked, a waiting one is.
func TestMailStatementsReadOneMailByItsKey(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	for _, q := range []string{
		// Autovacuum would take the statistics again once enough rows changed.
		`ALTER TABLE mail_outbox SET (autovacuum_enabled = false)`,
		`INSERT INTO mail_outbox (kind, recipient, subject, body, status, sent_at)
			SELECT 'notify_decided', 'p' || i || '@acme.example', 'Approved', repeat('x', 500), 'sent', now()
			FROM generate_series(1, 20000) i`,
		`ANALYZE mail_outbox`,
		`INSERT INTO mail_outbox (kind, recipient, subject, body)
			SELECT 'notify_decided', 'p' || i || '@acme.example', 'Approved', repeat('x', 500) FROM generate_series(1, 500) i`,
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	var waiting, sent int64
	if err := db.Raw(`SELECT max(id) FILTER (WHERE status = 'queued'), max(id) FILTER (WHERE status = 'sent') FROM mail_outbox`).Row().Scan(&waiting, &sent); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"claim":          {models.ClaimMailSQL, []any{waiting}},
		"failed attempt": {models.MailAttemptFailedSQL, []any{waiting, "421 try later"}},
		"given up":       {models.MailGivenUpSQL, []any{waiting, "550 no such user"}},
	} {
		var plan string
		if err := db.Raw("EXPLAIN (FORMAT JSON) "+q.sql, q.args...).Row().Scan(&plan); err != nil {
			t.Fatalf("%s: explain: %v", name, err)
		}
		for _, root := range planRoots(t, plan) {
			if bad := readsMailsBesidesItsKey(root); bad != "" {
				t.Errorf("%s reads mail_outbox by %s:\n%s", name, bad, plan)
			}
		}
	}

	ctx := context.Background()
	if _, ok, err := models.ClaimMail(ctx, db, sent); err != nil || ok {
		t.Errorf("a sent mail was claimed (ok %v, err %v)", ok, err)
	}
	m, ok, err := models.ClaimMail(ctx, db, waiting)
	if err != nil || !ok || m.ID != waiting {
		t.Fatalf("the waiting mail %d was not claimed: %+v, %v, %v", waiting, m, ok, err)
	}
	secret, err := models.QueueMail(ctx, db, models.MailInvitation, mail.Message{To: "new@acme.example", Subject: "Join", Body: "https://acme.example/set-password?t=secret"}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id    int64
		final bool
	}{{sent, false}, {sent, true}, {waiting, false}, {secret, true}} {
		if err := models.MarkMailAttemptFailed(ctx, db, c.id, "421 try later", c.final); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []struct {
		id       int64
		status   string
		attempts int
		body     bool
	}{{sent, models.MailSent, 0, true}, {waiting, models.MailQueued, 1, true}, {secret, models.MailFailed, 1, false}} {
		got, err := models.GetMail(ctx, db, w.id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != w.status || got.Attempts != w.attempts || (got.Body != "") != w.body {
			t.Errorf("mail %d: status %s, %d attempts, body %q; want %s, %d attempts, body kept %v", w.id, got.Status, got.Attempts, got.Body, w.status, w.attempts, w.body)
		}
	}
}

// readsMailsBesidesItsKey names how a plan node under node reads mail_outbox other than by
// its primary key: a sequential scan or another index.
func readsMailsBesidesItsKey(node map[string]any) string {
	if node["Relation Name"] == "mail_outbox" {
		switch {
		case node["Node Type"] == "Seq Scan":
			return "a sequential scan"
		case node["Index Name"] != nil && node["Index Name"] != "mail_outbox_pkey":
			return node["Index Name"].(string)
		}
	}
	kids, _ := node["Plans"].([]any)
	for _, k := range kids {
		if bad := readsMailsBesidesItsKey(k.(map[string]any)); bad != "" {
			return bad
		}
	}
	return ""
}

// TestSingleSignOnMailCapReadsItsIndex reads the plan of the count behind the cap on "how you
// sign in" mails, over 20,000 other mails and 300 of that kind: it reads the index of those
// mails for the one address, never the outbox whole, and counts only that address's mails of
// the last hour.
func TestSingleSignOnMailCapReadsItsIndex(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	for _, q := range []string{
		`INSERT INTO mail_outbox (kind, recipient, subject, body, status, sent_at)
			SELECT 'notify_decided', 'p' || i || '@acme.example', 'Approved', repeat('x', 500), 'sent', now()
			FROM generate_series(1, 20000) i`,
		`INSERT INTO mail_outbox (kind, recipient, subject, body, created_at)
			SELECT '` + models.MailSingleSignOn + `', 'p' || (i % 100) || '@acme.example', 'How you sign in', 'x',
				now() - make_interval(mins => i % 3 * 50)
			FROM generate_series(1, 300) i`,
		`ANALYZE mail_outbox`,
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	var plan string
	if err := db.Raw("EXPLAIN (FORMAT JSON) "+models.RecentSingleSignOnMailsSQL, "P7@acme.example").Row().Scan(&plan); err != nil {
		t.Fatal(err)
	}
	for _, root := range planRoots(t, plan) {
		if rel := seqScan(root, "mail_outbox"); rel != "" {
			t.Errorf("the cap's count reads %s whole:\n%s", rel, plan)
		}
	}
	// p7 was sent three mails: at once, 50 and 100 minutes ago; the last hour holds two.
	var n int64
	if err := db.Raw(models.RecentSingleSignOnMailsSQL, "P7@acme.example").Scan(&n).Error; err != nil || n != 2 {
		t.Errorf("mails of the last hour to p7: %d (%v), want 2", n, err)
	}
}
