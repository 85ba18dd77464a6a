package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// outlay import checks a file, prints each refused row, and writes all of it or nothing.
func TestImportCommand(t *testing.T) {
	dsn := newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", dsn)
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme Corporation", "--admin-email", "ana@acme.example", "--admin-password", dbtest.Password); code != 0 {
		t.Fatalf("tenant create: %d %q %q", code, out, errs)
	}
	db := tenantDB(t, dsn, "acme")
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	vendors := func() (n int) { db.Raw(`SELECT count(*) FROM vendors`).Scan(&n); return }

	good := write("vendors.csv", "Name;Payment terms (days);Currency\nAcme;30;USD\nBeta;15;EUR\n")
	code, out, errs := runCmd(t, "import", "acme", "vendors", good, "--dry-run")
	if code != 0 || !strings.Contains(out, "semicolon-separated") || !strings.Contains(out, "dry run: would create 2, update 0, leave 0 unchanged") || vendors() != 0 {
		t.Fatalf("dry run: %d %q %q, %d vendors", code, out, errs, vendors())
	}
	code, out, errs = runCmd(t, "import", "acme", "vendors", good)
	if code != 0 || !strings.Contains(out, "Vendors imported into acme: 2 created, 0 updated, 0 unchanged") || vendors() != 2 {
		t.Fatalf("import: %d %q %q, %d vendors", code, out, errs, vendors())
	}
	var label string
	db.Raw(`SELECT actor_label FROM audit_log WHERE table_name = 'vendors' AND request_id LIKE 'import-cli-%' LIMIT 1`).Scan(&label)
	if label != "outlay import" {
		t.Errorf("audited as %q", label)
	}

	bad := write("more.csv", "name,payment_terms\nGamma,30\nDelta,forever\n")
	code, out, _ = runCmd(t, "import", "acme", "vendors", bad)
	if code != 1 || !strings.Contains(out, "line 3: Payment terms (days): Enter a whole number of days") || !strings.Contains(out, "1 of 2 rows refused; nothing was written") || vendors() != 2 {
		t.Fatalf("refused import: %d %q, %d vendors", code, out, vendors())
	}
	code, _, errs = runCmd(t, "import", "acme", "vendors", write("empty.csv", ""))
	if code != 1 || !strings.Contains(errs, "This file is empty.") {
		t.Fatalf("empty file: %d %q", code, errs)
	}
	code, _, errs = runCmd(t, "import", "acme", "planets", good)
	if code != 1 || !strings.Contains(errs, `unknown kind "planets"`) {
		t.Fatalf("unknown kind: %d %q", code, errs)
	}

	// A row that gives an invited person more access spends their set-password link and
	// sends them a new invitation, as the web page's import does, and says so.
	if _, _, err := models.InviteUser(context.Background(), db, models.ByOperator(),
		models.NewUser{Email: "ivy@acme.example", Name: "Ivy Invitee", Roles: []string{"requester"}}, models.InvitationTTL); err != nil {
		t.Fatal(err)
	}
	people := write("people.csv", "email,name,roles\nivy@acme.example,Ivy Invitee,\"requester, approver\"\n")
	code, out, errs = runCmd(t, "import", "acme", "users", people)
	if code != 0 || !strings.Contains(out, "line 2: Ivy Invitee (ivy@acme.example) was given more access: their set-password link no longer works; a new invitation was sent") {
		t.Fatalf("people import: %d %q %q", code, out, errs)
	}
	var invitations int
	db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = 'invitation' AND recipient = 'ivy@acme.example' AND body LIKE '%/password/reset/%'`).Scan(&invitations)
	if invitations != 1 {
		t.Errorf("%d invitations to Ivy in the outbox, want 1", invitations)
	}

	// A new person is invited and sent the invitation.
	people = write("new-people.csv", "email,name,roles\nnia@acme.example,Nia New,requester\n")
	code, out, errs = runCmd(t, "import", "acme", "users", people)
	if code != 0 || !strings.Contains(out, "each new person (1) is sent an invitation to set a password: it waits in the outbox") {
		t.Fatalf("new people import: %d %q %q", code, out, errs)
	}
	db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = 'invitation' AND recipient = 'nia@acme.example' AND body LIKE '%/password/reset/%'`).Scan(&invitations)
	if invitations != 1 {
		t.Errorf("%d invitations to Nia in the outbox, want 1", invitations)
	}
}

// As on the web page, a lapsed organisation's data is not changed by an import; a dry run
// still checks the file.
func TestImportCommandLeavesALapsedTenantAlone(t *testing.T) {
	dsn := newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", dsn)
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme Corporation", "--admin-email", "ana@acme.example", "--admin-password", dbtest.Password); code != 0 {
		t.Fatalf("tenant create: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, "tenant", "lapse", "acme"); code != 0 {
		t.Fatalf("tenant lapse: %d %q %q", code, out, errs)
	}
	db := tenantDB(t, dsn, "acme")
	file := filepath.Join(t.TempDir(), "vendors.csv")
	if err := os.WriteFile(file, []byte("Name,Payment terms (days),Currency\nAcme,30,USD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "import", "acme", "vendors", file)
	if code == 0 || !strings.Contains(errs, `tenant "acme" is lapsed`) {
		t.Fatalf("import into a lapsed tenant: %d %q %q", code, out, errs)
	}
	var n int
	db.Raw(`SELECT count(*) FROM vendors`).Scan(&n)
	if n != 0 {
		t.Errorf("%d vendors imported into a lapsed tenant", n)
	}
	if code, out, errs := runCmd(t, "import", "acme", "vendors", file, "--dry-run"); code != 0 || !strings.Contains(out, "would create 1") {
		t.Errorf("dry run on a lapsed tenant: %d %q %q", code, out, errs)
	}
}
