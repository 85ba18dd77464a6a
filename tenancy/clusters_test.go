package tenancy_test

import (
	"context"
	"errors"
	"testing"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/internal/pgcluster"
	"outlay/tenancy"
)

func TestClustersPlaceTenants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := dbtest.NewEnv(t)
	second := pgcluster.Start(t)

	if _, err := env.Registry.AddCluster(ctx, "Bad Name", second.DSN("postgres")); err == nil {
		t.Error("a cluster name with a space and capitals was accepted")
	}
	if _, err := env.Registry.AddCluster(ctx, "down", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2"); err == nil {
		t.Error("a cluster that cannot be reached was accepted")
	}
	c, err := env.Registry.AddCluster(ctx, "eu-2", second.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Registry.AddCluster(ctx, "eu-2", second.DSN("postgres")); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("adding eu-2 twice: %v, want a conflict", err)
	}

	// Named placement, then least-loaded placement: the default cluster already has one tenant,
	// eu-2 one, so the next goes to the default (tie), then eu-2.
	onDefault := env.NewTenant(t, "acme", "Acme")
	placed, err := env.Registry.Create(ctx, tenancy.CreateTenant{Slug: "globex", Name: "Globex", Cluster: "eu-2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantDSN, _ := tenancy.WithDatabase(c.DSN, env.Registry.TenantDatabaseName("globex"))
	if placed.ClusterID != "eu-2" || placed.DSN != wantDSN {
		t.Errorf("globex placed %+v", placed)
	}
	third, err := env.Registry.Create(ctx, tenancy.CreateTenant{Slug: "initech", Name: "Initech"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fourth, err := env.Registry.Create(ctx, tenancy.CreateTenant{Slug: "umbrella", Name: "Umbrella"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if third.ClusterID != tenancy.DefaultCluster || fourth.ClusterID != "eu-2" {
		t.Errorf("least-loaded placement: initech on %s, umbrella on %s; want default, then eu-2", third.ClusterID, fourth.ClusterID)
	}
	if _, err := env.Registry.Create(ctx, tenancy.CreateTenant{Slug: "nowhere", Name: "Nowhere", Cluster: "mars"}, nil); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("an unknown cluster: %v, want not found", err)
	}

	clusters, err := env.Registry.Clusters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range clusters {
		got[c.ID] = c.Tenants
	}
	if len(got) != 2 || got["default"] != 2 || got["eu-2"] != 2 {
		t.Errorf("clusters: %v, want default 2 and eu-2 2", got)
	}

	// The pool manager reaches each tenant on its own cluster: each database holds only what was
	// written through its own handle, and the servers differ.
	for _, tn := range []tenancy.Tenant{onDefault, placed} {
		db := env.DB(t, tn)
		if err := db.Exec(`INSERT INTO departments (name) VALUES (?)`, tn.Slug+" department").Error; err != nil {
			t.Fatal(err)
		}
	}
	var ports []int
	for _, tn := range []tenancy.Tenant{onDefault, placed} {
		var names []string
		var port int
		db := env.DB(t, tn)
		if err := db.Raw(`SELECT name FROM departments WHERE name LIKE '% department'`).Scan(&names).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Raw(`SELECT current_setting('port')::int`).Scan(&port).Error; err != nil {
			t.Fatal(err)
		}
		ports = append(ports, port)
		if len(names) != 1 || names[0] != tn.Slug+" department" {
			t.Errorf("%s's database holds %v", tn.Slug, names)
		}
	}
	if ports[0] == ports[1] {
		t.Errorf("both tenants are served by the server on port %d", ports[0])
	}
}
