package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"outlay/internal/dbtest"
)

// tamper runs SQL on a tenant's database as its owner would, triggers disabled.
func tamper(t *testing.T, controlDSN, slug string, sqls ...string) {
	t.Helper()
	ctx := context.Background()
	tn := lookupTenant(t, controlDSN, slug)
	conn, err := pgx.Connect(ctx, tn.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, sql := range append([]string{`ALTER TABLE audit_log DISABLE TRIGGER USER`}, sqls...) {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// outlay audit verify says a tenant's chain is intact, or names the first row that was
// altered, removed or inserted out of order and exits 1.
func TestAuditVerify(t *testing.T) {
	controlDSN := newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", controlDSN)
	for _, slug := range []string{"acme", "globex", "initech", "hooli"} {
		// Each tenant's log starts with its first admin and the admin's role grant.
		if code, out, errs := runCmd(t, "tenant", "create", slug, "--name", slug, "--admin-email", "admin@"+slug+".example", "--admin-password", dbtest.Password); code != 0 {
			t.Fatalf("create %s: %d %q %q", slug, code, out, errs)
		}
	}
	code, out, errs := runCmd(t, "audit", "verify", "acme")
	if code != 0 || !strings.Contains(out, "audit log of acme: 2 rows, chain intact") || !strings.Contains(out, "head: row 2, hash ") {
		t.Fatalf("intact log: exit %d, %q %q", code, out, errs)
	}

	tamper(t, controlDSN, "globex", `UPDATE audit_log SET actor_label = 'someone else' WHERE id = 1`)
	tamper(t, controlDSN, "initech", `DELETE FROM audit_log WHERE id = 1`)
	tamper(t, controlDSN, "hooli", `INSERT INTO audit_log (id, actor_type, action, event, prev_hash, hash)
		SELECT 3, 'system', 'event', 'export', prev_hash, hash FROM audit_log WHERE id = 2`)
	for slug, want := range map[string]string{
		"globex":  "audit log of globex: BROKEN: row 1 altered: its contents do not match its hash",
		"initech": "audit log of initech: BROKEN: row 1 removed: row 1 is missing",
		"hooli":   "audit log of hooli: BROKEN: row 3 inserted out of order: it is chained after row 1 but follows row 2",
	} {
		code, out, errs := runCmd(t, "audit", "verify", slug)
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, %q %q; want exit 1 and %q", slug, code, out, errs, want)
		}
	}

	if code, _, errs := runCmd(t, "audit", "verify", "nosuch"); code != 1 || !strings.Contains(errs, `no tenant "nosuch"`) {
		t.Errorf("unknown tenant: exit %d, %q", code, errs)
	}
	if code, _, errs := runCmd(t, "audit", "verify"); code != 1 || !strings.Contains(errs, "usage: outlay audit verify <slug>") {
		t.Errorf("no slug: exit %d, %q", code, errs)
	}
}

// A row altered by someone who recomputes every plain hash after it, as a superuser without
// the application's secret can, is caught by the keyed hashes.
func TestAuditVerifyCatchesARewriteWithoutTheSecret(t *testing.T) {
	controlDSN := newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", controlDSN)
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme", "--admin-email", "admin@acme.example", "--admin-password", dbtest.Password); code != 0 {
		t.Fatalf("create: %d %q %q", code, out, errs)
	}
	tamper(t, controlDSN, "acme", `UPDATE audit_log SET actor_label = 'mallory' WHERE id = 1`, `DO $$
	DECLARE r record; prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
	BEGIN
		FOR r IN SELECT id FROM audit_log ORDER BY id LOOP
			UPDATE audit_log SET prev_hash = prev WHERE id = r.id;
			UPDATE audit_log SET hash = sha256(convert_to(audit_canonical(audit_log), 'UTF8')) WHERE id = r.id RETURNING hash INTO prev;
		END LOOP;
	END $$`)
	code, out, errs := runCmd(t, "audit", "verify", "acme")
	if code != 1 || !strings.Contains(out, "audit log of acme: BROKEN: row 1 altered: its keyed hash does not match") {
		t.Errorf("rewritten log: exit %d, %q %q", code, out, errs)
	}
}

// `outlay audit head` records the head in the control plane and prints it signed; `verify`
// (which compares with the control plane's head unless --head=false) and `verify
// --signed-head` then show the newest rows cut off, which the chain alone cannot.
func TestAuditHeads(t *testing.T) {
	controlDSN := newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", controlDSN)
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme", "--admin-email", "admin@acme.example", "--admin-password", dbtest.Password); code != 0 {
		t.Fatalf("create: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, "audit", "verify", "acme", "--head"); code != 0 || !strings.Contains(out, "no head of acme is recorded in the control plane yet") {
		t.Fatalf("before any head: exit %d, %q %q", code, out, errs)
	}
	code, first, errs := runCmd(t, "audit", "head", "acme")
	if code != 0 || !strings.HasPrefix(first, "outlay-audit-head-v1 acme 2 ") {
		t.Fatalf("audit head: exit %d, %q %q", code, first, errs)
	}
	if code, out, errs := runCmd(t, "user", "add", "acme", "bo@acme.example", "--name", "Bo", "--role", "requester", "--password", dbtest.Password); code != 0 {
		t.Fatalf("user add: %d %q %q", code, out, errs)
	}
	code, second, errs := runCmd(t, "audit", "head", "acme")
	if code != 0 || !strings.HasPrefix(second, "outlay-audit-head-v1 acme 4 ") {
		t.Fatalf("second audit head: exit %d, %q %q", code, second, errs)
	}
	if code, out, errs := runCmd(t, "audit", "verify", "acme", "--head", "--signed-head", second); code != 0 ||
		!strings.Contains(out, "the control plane's head matches: row 4") || !strings.Contains(out, "the signed head matches: row 4") {
		t.Fatalf("intact log against its heads: exit %d, %q %q", code, out, errs)
	}

	// The newest rows removed: the chain alone still checks out, the heads do not.
	tamper(t, controlDSN, "acme", `DELETE FROM audit_log WHERE id > 2`)
	if code, out, errs := runCmd(t, "audit", "verify", "acme", "--head=false"); code != 0 || !strings.Contains(out, "2 rows, chain intact") {
		t.Fatalf("cut-off log checked without a head: exit %d, %q %q", code, out, errs)
	}
	cutOff := "audit log of acme: BROKEN: the newest rows were cut off: the log ends at row 2, but row 4 was its head"
	for name, args := range map[string][]string{
		"by default":    {"audit", "verify", "acme"},
		"--head":        {"audit", "verify", "acme", "--head"},
		"--signed-head": {"audit", "verify", "acme", "--signed-head", second},
	} {
		if code, out, errs := runCmd(t, args...); code != 1 || !strings.Contains(out, cutOff) {
			t.Errorf("%s after the cut: exit %d, %q %q; want %q", name, code, out, errs, cutOff)
		}
	}
	if code, out, errs := runCmd(t, "audit", "verify", "acme", "--head=false", "--signed-head", first); code != 0 || !strings.Contains(out, "the signed head matches: row 2") {
		t.Errorf("an older head still matches: exit %d, %q %q", code, out, errs)
	}
	// The recorded head does not follow the log backwards.
	if code, out, errs := runCmd(t, "audit", "head", "acme"); code != 1 || !strings.Contains(errs, "the newest rows were cut off") {
		t.Errorf("audit head of a cut-off log: exit %d, %q %q", code, out, errs)
	}

	// Heads cannot be forged without the secret: not on the command line, not in the control plane.
	forged := strings.Replace(second, " acme 4 ", " acme 2 ", 1)
	if code, out, errs := runCmd(t, "audit", "verify", "acme", "--signed-head", forged); code != 1 || !strings.Contains(out, "the signed head is refused: the audit head's signature does not match") {
		t.Errorf("forged signed head: exit %d, %q %q", code, out, errs)
	}
	dbtest.ControlExec(t, controlDSN, `UPDATE audit_heads SET head_id = 2, signed = replace(signed, ' acme 4 ', ' acme 2 ')`)
	if code, out, errs := runCmd(t, "audit", "verify", "acme", "--head"); code != 1 || !strings.Contains(out, "signature does not match") {
		t.Errorf("forged control-plane head: exit %d, %q %q", code, out, errs)
	}
}
