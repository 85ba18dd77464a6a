package policy_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/policy"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// seedPolicies replaces a tenant's policies with n generated ones over roles r0..r9.
func seedPolicies(t testing.TB, db *gorm.DB, n int) {
	t.Helper()
	if err := db.Exec(`DELETE FROM casbin_rule`).Error; err != nil {
		t.Fatal(err)
	}
	rows := make([]map[string]any, 0, n)
	for i := 0; i < n; i++ {
		rows = append(rows, map[string]any{"ptype": "p", "v0": fmt.Sprintf("r%d", i%10), "v1": fmt.Sprintf("object%d", i/10), "v2": []string{"read", "create", "update"}[i%3]})
	}
	if err := db.Table("casbin_rule").CreateInBatches(rows, 500).Error; err != nil {
		t.Fatal(err)
	}
}

// The permission set answers exactly as Casbin does, for granted and refused requests alike.
func TestPermissionSetAgreesWithCasbin(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	seedPolicies(t, db, 300)
	set, err := policy.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	casbin, err := policy.Enforcer(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	granted := 0
	for i := 0; i < 2000; i++ {
		role := fmt.Sprintf("r%d", rng.IntN(12))
		p := policy.Permission{Object: fmt.Sprintf("object%d", rng.IntN(35)), Action: []string{"read", "create", "update", "delete"}[rng.IntN(4)]}
		want, err := casbin.Enforce(role, p.Object, p.Action)
		if err != nil {
			t.Fatal(err)
		}
		if got := set.Allowed([]string{role}, p); got != want {
			t.Fatalf("%s %v: set says %v, Casbin %v", role, p, got, want)
		}
		if want {
			granted++
		}
	}
	if granted == 0 || granted == 2000 {
		t.Fatalf("degenerate sample: %d granted", granted)
	}
}

// The engine reloads a tenant's set only when the policy version moves.
func TestEngineReloadsOnNewVersion(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	e := policy.NewEngine()
	s1, err := e.For(ctx, "acme", db, 1)
	if err != nil {
		t.Fatal(err)
	}
	perm := policy.Permission{Object: "admin.users", Action: "read"}
	if !s1.Allowed([]string{"admin"}, perm) || s1.Allowed([]string{"requester"}, perm) {
		t.Fatal("seeded policies not loaded")
	}
	if s2, _ := e.For(ctx, "acme", db, s1.Version); s2 != s1 {
		t.Error("same version reloaded")
	}
	if err := db.Exec(`INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('p', 'requester', 'admin.users', 'read')`).Error; err != nil {
		t.Fatal(err)
	}
	var v int64
	db.Raw(`SELECT version FROM policy_state`).Scan(&v)
	if v <= s1.Version {
		t.Fatalf("policy version did not move: %d", v)
	}
	s3, err := e.For(ctx, "acme", db, v)
	if err != nil {
		t.Fatal(err)
	}
	if !s3.Allowed([]string{"requester"}, perm) {
		t.Error("new policy not seen after the version moved")
	}
}

// BenchmarkPolicyCheck measures one request's policy check at 1,000 policies: through the
// permission set (what requests use) and through Casbin's own Enforce, for a request that
// matches the last policy and one that is denied (Casbin's worst cases).
func BenchmarkPolicyCheck(b *testing.B) {
	env, acme := dbtest.NewTenant(b)
	db := env.DB(b, acme)
	seedPolicies(b, db, 1000)
	set, err := policy.Load(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	casbin, err := policy.Enforcer(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	last := policy.Permission{Object: "object99", Action: []string{"read", "create", "update"}[999%3]}
	denied := policy.Permission{Object: "object99", Action: "delete"}
	userRoles := []string{"r3", "r7", "r9"} // r9 holds the last policy
	b.Run("set/last", func(b *testing.B) {
		for b.Loop() {
			if !set.Allowed(userRoles, last) {
				b.Fatal("denied")
			}
		}
	})
	b.Run("set/denied", func(b *testing.B) {
		for b.Loop() {
			if set.Allowed(userRoles, denied) {
				b.Fatal("allowed")
			}
		}
	})
	b.Run("casbin/last", func(b *testing.B) {
		for b.Loop() {
			if ok, _ := casbin.Enforce("r9", last.Object, last.Action); !ok {
				b.Fatal("denied")
			}
		}
	})
	b.Run("casbin/denied", func(b *testing.B) {
		for b.Loop() {
			if ok, _ := casbin.Enforce("r9", denied.Object, denied.Action); ok {
				b.Fatal("allowed")
			}
		}
	})
}
