package tenancy_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/migrations"
	"outlay/tenancy"
)

func TestValidateSlug(t *testing.T) {
	t.Parallel()
	for slug, want := range map[string]string{
		"acme":                  "",
		"acme-corp-2":           "",
		"a1b":                   "",
		strings.Repeat("a", 40): "",
		"":                      "required",
		"ab":                    "3 to 40",
		strings.Repeat("a", 41): "3 to 40",
		"-acme":                 "must not start or end",
		"acme-":                 "must not start or end",
		"Acme":                  "lowercase",
		"ac_me":                 "lowercase",
		"ac.me":                 "lowercase",
		"acmé":                  "lowercase",
		"www":                   "reserved",
		"admin":                 "reserved",
		"api":                   "reserved",
		"static":                "reserved",
		"backups":               "reserved",
		"mail":                  "reserved",
	} {
		err := tenancy.ValidateSlug(slug)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: unexpected error %v", slug, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want one mentioning %q", slug, err, want)
		}
	}
}

func dbExists(t *testing.T, name string) bool {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbtest.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var ok bool
	if err := conn.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestCreateTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := dbtest.NewEnv(t)
	control := env.Registry.ControlDatabase()

	// Created from the real migrations (no template), named <control>_<slug>, active.
	acme, err := env.Registry.Create(ctx, tenancy.CreateTenant{Slug: "acme", Name: "  Acme Corporation "}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acme.DatabaseName != control+"_acme" || acme.Status != tenancy.StatusActive || acme.Name != "Acme Corporation" {
		t.Errorf("created %+v", acme)
	}
	if got, ok := env.Registry.Lookup("acme"); !ok || got.Name != "Acme Corporation" {
		t.Errorf("registry cache: %+v %v", got, ok)
	}

	// An existing slug is refused and nothing changes.
	_, err = env.Registry.Create(ctx, tenancy.CreateTenant{Slug: "acme", Name: "Impostor"}, nil)
	if !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate slug: %v", err)
	}
	if got, _ := env.Registry.Lookup("acme"); got.Name != "Acme Corporation" {
		t.Errorf("duplicate create changed the tenant: %+v", got)
	}
	if !dbExists(t, control+"_acme") {
		t.Error("duplicate create dropped the existing database")
	}

	// Bad slugs and names are refused before anything is written.
	for _, in := range []tenancy.CreateTenant{{Slug: "www", Name: "X"}, {Slug: "Bad_Slug", Name: "X"}, {Slug: "okay", Name: "  "}, {Slug: "okay", Name: strings.Repeat("é", 201)}} {
		_, err := env.Registry.Create(ctx, in, nil)
		if _, ok := outlay.AsValidation(err); !ok {
			t.Errorf("%+v: %v, want a validation error", in, err)
		}
	}

	// A failing seed undoes everything: no registry row, no database.
	_, err = env.Registry.Create(ctx, tenancy.CreateTenant{Slug: "broken", Name: "Broken"}, func(context.Context, tenancy.Tenant) error {
		return errors.New("seed failed")
	})
	if err == nil || !strings.Contains(err.Error(), "seed failed") {
		t.Fatalf("failing seed: %v", err)
	}
	if _, ok := env.Registry.Lookup("broken"); ok {
		t.Error("failed tenant left in the registry")
	}
	if dbExists(t, control+"_broken") {
		t.Error("failed tenant left its database")
	}
	list, err := env.Registry.List(ctx)
	if err != nil || len(list) != 1 || list[0].Slug != "acme" {
		t.Errorf("list after failures: %+v %v", list, err)
	}
	// The slug is free to use again. A name's limit counts characters: 200 of "é" is 400 bytes.
	if _, err := env.Registry.Create(ctx, tenancy.CreateTenant{Slug: "broken", Name: strings.Repeat("é", 200)}, nil); err != nil {
		t.Errorf("reuse slug after failure: %v", err)
	}
}

// withExtraMigration is the tenant migrations plus one more, as a release would add.
func withExtraMigration(t *testing.T) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(migrations.Tenant(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.Tenant(), path)
		m[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m["99999_release_test.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\nCREATE TABLE release_test (id int);\n-- +goose Down\nDROP TABLE release_test;\n")}
	return m
}

func TestMigrateAllIsIdempotentAndSurvivesABrokenTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := dbtest.NewEnv(t)
	for _, slug := range []string{"alpha", "bravo", "charlie", "delta", "echo"} {
		env.NewTenant(t, slug, strings.ToUpper(slug))
	}
	// Twice with the current migrations: nothing to do, every tenant at the same version.
	for run := 0; run < 2; run++ {
		results := env.Registry.MigrateAll(ctx, migrations.Tenant(), 3, nil)
		if len(results) != 5 {
			t.Fatalf("run %d: %d results", run, len(results))
		}
		for _, r := range results {
			if r.Err != nil || r.Version != results[0].Version || r.Version < 2 {
				t.Errorf("run %d: %+v", run, r)
			}
		}
	}
	// Break charlie: the next release's table already exists there.
	charlie, _ := env.Registry.Lookup("charlie")
	if err := env.DB(t, charlie).Exec(`CREATE TABLE release_test (conflict text)`).Error; err != nil {
		t.Fatal(err)
	}
	var reported []string
	results := env.Registry.MigrateAll(ctx, withExtraMigration(t), 2, func(r tenancy.MigrationResult) { reported = append(reported, r.Slug) })
	if len(reported) != 5 {
		t.Errorf("reported %v", reported)
	}
	for _, r := range results {
		if r.Slug == "charlie" {
			if r.Err == nil {
				t.Error("charlie: migration should have failed")
			}
			continue
		}
		if r.Err != nil || r.Version != 99999 {
			t.Errorf("%s: %+v", r.Slug, r)
		}
		tn, _ := env.Registry.Lookup(r.Slug)
		var n int
		if err := env.DB(t, tn).Raw(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'release_test'`).Scan(&n).Error; err != nil || n != 1 {
			t.Errorf("%s: release_test table missing (%d, %v)", r.Slug, n, err)
		}
	}
}
