package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"outlay/internal/testutil"
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
		if code, out, errs := runCmd(t, "tenant", "create", slug, "--name", slug, "--admin-email", "admin@"+slug+".example", "--admin-password", testutil.Password); code != 0 {
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
