package main

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for goose
	"github.com/pressly/goose/v3"

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

// ensure creates the control database if it is missing and brings it up to date.
func (d *deployment) ensure(ctx context.Context) error {
	exists, err := d.exists(ctx, d.control)
	if err != nil {
		return err
	}
	if !exists {
		if _, err := d.admin.Exec(ctx, "CREATE DATABASE "+ident(d.control)); err != nil {
			return err
		}
	}
	return tenancy.MigrateControl(ctx, d.ControlDSN)
}

func (d *deployment) exists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := d.admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok)
	return ok, err
}

// userTemplate makes, unless it exists, template database name: the tenant schema with one
// requester, written straight into its tables. It is brought up to the current schema either
// way.
func (d *deployment) userTemplate(ctx context.Context, name string) error {
	dsn, err := tenancy.WithDatabase(d.serverDSN, name)
	if err != nil {
		return err
	}
	exists, err := d.exists(ctx, name)
	if err != nil || exists {
		if err == nil {
			_, err = tenancy.MigrateDatabase(ctx, dsn, migrations.Tenant())
		}
		return err
	}
	if _, err := d.admin.Exec(ctx, "CREATE DATABASE "+ident(name)); err != nil {
		return err
	}
	if _, err := tenancy.MigrateDatabase(ctx, dsn, migrations.Tenant()); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(benchPassword)
	if err != nil {
		conn.Close(ctx)
		return err
	}
	_, err = conn.Exec(ctx, `WITH u AS (INSERT INTO users (email, name, password_hash) VALUES ($1, 'Rita Requester', $2) RETURNING id)
		INSERT INTO user_roles (user_id, role) SELECT id, $3 FROM u`, requesterEmail, hash, policy.RoleRequester)
	conn.Close(ctx)
	if err != nil {
		return err
	}
	_, err = d.admin.Exec(ctx, "ALTER DATABASE "+ident(name)+" WITH IS_TEMPLATE true")
	return err
}

// prepareTenants makes sure n active tenants <prefix>0001… are registered with a database
// each, creating the missing ones as copies of template (CREATE DATABASE … TEMPLATE) and
// bringing the others up to the current schema, a few at a time. Each gets one live session
// of its requester whose cookie is token, written straight into its sessions table, so that
// n tenants need no n sign-ins. It returns the slugs and how many databases it created.
func (d *deployment) prepareTenants(ctx context.Context, template, prefix string, n int, token string) ([]string, int, error) {
	ctl, err := pgxpool.New(ctx, d.ControlDSN)
	if err != nil {
		return nil, 0, err
	}
	defer ctl.Close()
	slugs := make([]string, n)
	for i := range slugs {
		slugs[i] = fmt.Sprintf("%s%04d", prefix, i+1)
	}
	var created atomic.Int64
	err = parallel(ctx, n, 4, func(i int) error {
		db := d.control + "_" + slugs[i]
		exists, err := d.exists(ctx, db)
		if err != nil {
			return err
		}
		dsn, err := tenancy.WithDatabase(d.serverDSN, db)
		if err != nil {
			return err
		}
		if !exists {
			if _, err := d.admin.Exec(ctx, "CREATE DATABASE "+ident(db)+" TEMPLATE "+ident(template)); err != nil {
				return fmt.Errorf("create %s: %w", db, err)
			}
			created.Add(1)
		} else if _, err := tenancy.MigrateDatabase(ctx, dsn, migrations.Tenant()); err != nil {
			return fmt.Errorf("migrate %s: %w", db, err)
		}
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		_, err = conn.Exec(ctx, `WITH gone AS (DELETE FROM sessions)
			INSERT INTO sessions (id_hash, user_id, expires_at) SELECT $1, id, now() + interval '12 hours' FROM users WHERE email = $2`,
			auth.Digest(token), requesterEmail)
		conn.Close(ctx)
		if err != nil {
			return fmt.Errorf("session in %s: %w", db, err)
		}
		_, err = ctl.Exec(ctx, `INSERT INTO tenants (slug, name, database_name, status) VALUES ($1, $2, $3, 'active')
			ON CONFLICT (slug) DO UPDATE SET status = 'active', database_name = $3`, slugs[i], "Tenant "+slugs[i], db)
		return err
	})
	return slugs, int(created.Load()), err
}

// rollBackNewest undoes the newest tenant migration in each tenant's database.
func (d *deployment) rollBackNewest(ctx context.Context, slugs []string) error {
	return parallel(ctx, len(slugs), 4, func(i int) error {
		dsn, err := tenancy.WithDatabase(d.serverDSN, d.control+"_"+slugs[i])
		if err != nil {
			return err
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.Tenant(), goose.WithDisableGlobalRegistry(true))
		if err != nil {
			return err
		}
		_, err = p.Down(ctx)
		return err
	})
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
