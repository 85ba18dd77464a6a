package main

import (
	"context"
	"strings"
	"testing"

	"outlay/audit"
	"outlay/config"
	"outlay/internal/dbtest"
	"outlay/models"
)

// A command started with another secret key than the deployment's is refused before it
// writes: a record written under that key would break the tenant's audit chain for good,
// and every later backup and export with it. The deployment's own key still works.
func TestAnotherSecretKeyIsRefusedBeforeAnythingIsWritten(t *testing.T) {
	dsn := newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", dsn)
	// A command that only reads, run first with a mistaken key, does not make it the key.
	t.Setenv("OUTLAY_SECRET_KEY", config.NewSecretKey())
	if code, out, errs := runCmd(t, "tenant", "list"); code != 0 {
		t.Fatalf("tenant list: %d %q %q", code, out, errs)
	}
	t.Setenv("OUTLAY_SECRET_KEY", testSecretKey)
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme Corporation", "--admin-email", "ana@acme.example", "--admin-name", "Ana Admin", "--admin-password", dbtest.Password); code != 0 {
		t.Fatalf("tenant create: %d %q %q", code, out, errs)
	}
	db := tenantDB(t, dsn, "acme")
	key := secretKey(t)
	t.Setenv("OUTLAY_SECRET_KEY", config.NewSecretKey())
	code, out, errs := runCmd(t, "user", "add", "acme", "x@acme.example", "--name", "X", "--role", "requester", "--password", "x's long password")
	if code == 0 || !strings.Contains(errs, "OUTLAY_SECRET_KEY is not the key this deployment was started with") {
		t.Fatalf("user add under another key: %d %q %q", code, out, errs)
	}
	var n int64
	db.Model(&models.User{}).Where("email = ?", "x@acme.example").Count(&n)
	if n != 0 {
		t.Error("the person was added under another key")
	}
	if code, _, errs := runCmd(t, "serve", "--listen", "127.0.0.1:0"); code == 0 || !strings.Contains(errs, "OUTLAY_SECRET_KEY is not the key") {
		t.Errorf("serve under another key: %d %q", code, errs)
	}
	t.Setenv("OUTLAY_SECRET_KEY", testSecretKey)
	tk, err := audit.TenantKey(key, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if res, err := audit.Verify(context.Background(), db, tk); err != nil || !res.Intact() {
		t.Fatalf("the audit log after the refusals: %v %v", res, err)
	}
	if code, out, errs := runCmd(t, "user", "add", "acme", "x@acme.example", "--name", "X", "--role", "requester", "--password", "x's long password"); code != 0 {
		t.Fatalf("user add under the deployment's key: %d %q %q", code, out, errs)
	}
}
