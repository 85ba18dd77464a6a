package main

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"outlay/auth"
	"outlay/migrations"
	"outlay/policy"
	"outlay/tenancy"
)

// deployment is the bench's own control database and the databases named after it
// (<control>_<slug> for tenants, <control>_tpl for templates) on the server at serverDSN.
type deployment struct {
	serverDSN  string // any database on the server, as a superuser
	control    string
	ControlDSN string
	admin      *pgxpool.Pool // on serverDSN: CREATE/DROP DATABASE, pg_stat_activity
}

func newDeployment(ctx context.Context, serverDSN, control string) (*deployment, error) {
	controlDSN, err := tenancy.WithDatabase(serverDSN, control)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, serverDSN)
	if err != nil {
		return nil, err
	}
	d := &deployment{serverDSN: serverDSN, control: control, ControlDSN: controlDSN, admin: pool}
	return d, nil
}

// ident quotes a database name.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// databases lists the deployment's databases: the control one and all named after it.
func (d *deployment) databases(ctx context.Context) ([]string, error) {
	rows, err := d.admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $1 || '\_%' ORDER BY datname`, d.control)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// drop removes every database of the deployment (a previous run's too), a few at a time.
func (d *deployment) drop(ctx context.Context) error {
	names, err := d.databases(ctx)
	if err != nil {
		return err
	}
	// Templates refuse to be dropped; the control database goes last.
	slices.SortFunc(names, func(a, b string) int {
		if a == d.control {
			return 1
		}
		if b == d.control {
			return -1
		}
		return 0
	})
	var control []string
	if len(names) > 0 && names[len(names)-1] == d.control {
		names, control = names[:len(names)-1], []string{d.control}
	}
	drop := func(n string) error {
		if _, err := d.admin.Exec(ctx, "ALTER DATABASE "+ident(n)+" WITH IS_TEMPLATE false"); err != nil {
			return err
		}
		_, err := d.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(n)+" WITH (FORCE)")
		return err
	}
	if err := parallel(ctx, len(names), 4, func(i int) error { return drop(names[i]) }); err != nil {
		return err
	}
	for _, n := range control {
		if err := drop(n); err != nil {
			return err
		}
	}
	return nil
}

// parallel runs f(0..n-1) on at most workers goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// setUp creates the control database, migrated, and a template database migrated with fsys.
func (d *deployment) setUp(ctx context.Context) error {
	if _, err := d.admin.Exec(ctx, "CREATE DATABASE "+ident(d.control)); err != nil {
		return err
	}
	return tenancy.MigrateControl(ctx, d.ControlDSN)
}

// makeTemplate creates database name migrated with fsys and marks it a template.
func (d *deployment) makeTemplate(ctx context.Context, name string, fsys fs.FS) error {
	if _, err := d.admin.Exec(ctx, "CREATE DATABASE "+ident(name)); err != nil {
		return err
	}
	dsn, err := tenancy.WithDatabase(d.serverDSN, name)
	if err != nil {
		return err
	}
	if _, err := tenancy.MigrateDatabase(ctx, dsn, fsys); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	_, err = d.admin.Exec(ctx, "ALTER DATABASE "+ident(name)+" WITH IS_TEMPLATE true")
	return err
}

// cloneTenants registers n active tenants <prefix>0001… whose databases are copies of
// template (CREATE DATABASE … TEMPLATE), a few at a time, and returns their slugs.
func (d *deployment) cloneTenants(ctx context.Context, template, prefix string, n int) ([]string, error) {
	ctl, err := pgxpool.New(ctx, d.ControlDSN)
	if err != nil {
		return nil, err
	}
	defer ctl.Close()
	slugs := make([]string, n)
	for i := range slugs {
		slugs[i] = fmt.Sprintf("%s%04d", prefix, i+1)
	}
	err = parallel(ctx, n, 4, func(i int) error {
		db := d.control + "_" + slugs[i]
		if _, err := d.admin.Exec(ctx, "CREATE DATABASE "+ident(db)+" TEMPLATE "+ident(template)); err != nil {
			return fmt.Errorf("create %s: %w", db, err)
		}
		_, err := ctl.Exec(ctx, `INSERT INTO tenants (slug, name, database_name, status) VALUES ($1, $2, $3, 'active')`, slugs[i], "Tenant "+slugs[i], db)
		return err
	})
	return slugs, err
}

// signedInTemplate makes template name from base with one requester and one live session,
// written straight into its tables so that every copy of it has a signed-in person without
// n sign-ins. It returns the session's cookie value.
func (d *deployment) signedInTemplate(ctx context.Context, base, name string) (string, error) {
	if _, err := d.admin.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(base)); err != nil {
		return "", err
	}
	dsn, err := tenancy.WithDatabase(d.serverDSN, name)
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	hash, err := auth.HashPassword(benchPassword)
	if err != nil {
		conn.Close(ctx)
		return "", err
	}
	token, digest := auth.NewToken()
	_, err = conn.Exec(ctx, `WITH u AS (INSERT INTO users (email, name, password_hash) VALUES ($1, 'Rita Requester', $2) RETURNING id),
		r AS (INSERT INTO user_roles (user_id, role) SELECT id, $3 FROM u)
		INSERT INTO sessions (id_hash, user_id, expires_at) SELECT $4, id, now() + interval '12 hours' FROM u`,
		requesterEmail, hash, policy.RoleRequester, digest)
	conn.Close(ctx)
	if err != nil {
		return "", err
	}
	_, err = d.admin.Exec(ctx, "ALTER DATABASE "+ident(name)+" WITH IS_TEMPLATE true")
	return token, err
}

// connections counts the server's connections to the deployment's databases.
func (d *deployment) connections(ctx context.Context) (int, error) {
	var n int
	err := d.admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 OR datname LIKE $1 || '\_%'`, d.control).Scan(&n)
	return n, err
}

// sampleConnections records the most connections seen until stop is called.
func (d *deployment) sampleConnections(ctx context.Context, server *childServer) (stop func() (maxConns int, maxRSS int64)) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mConns int
	var mRSS int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if n, err := d.connections(ctx); err == nil {
				mConns = max(mConns, n)
			}
			if server != nil {
				if r, err := server.RSS(); err == nil {
					mRSS = max(mRSS, r)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	return func() (int, int64) {
		cancel()
		wg.Wait()
		return mConns, mRSS
	}
}

// tenantMigrationsBut returns the tenant migrations without the newest one, and its name.
func tenantMigrationsBut() (fs.FS, string, error) {
	all := migrations.Tenant()
	out := fstest.MapFS{}
	var newest string
	err := fs.WalkDir(all, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(all, p)
		if err != nil {
			return err
		}
		out[p] = &fstest.MapFile{Data: b}
		if path.Ext(p) == ".sql" && p > newest {
			newest = p
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	delete(out, newest)
	return out, path.Base(newest), nil
}
