package tenancy

import (
	"container/list"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"outlay/audit"
)

// Pools holds one GORM handle per tenant, opened on first use and kept in a least-recently-used
// list. Every handle has at most perTenant connections and at most maxConns/perTenant handles
// are open, so thousands of tenants fit under one Postgres max_connections.
//
// A handle is borrowed with Acquire and given back with the returned release function; an
// evicted handle is closed only once its last borrower has given it back, so queries in
// flight always finish.
type Pools struct {
	perTenant  int
	maxHandles int
	secret     []byte // OUTLAY_SECRET_KEY, from which each tenant's audit key is derived
	counter    *QueryCounter
	logger     *slog.Logger
	// OnOpen runs on each new handle before it is used, after the audit callbacks are
	// registered (open registers them on every handle, so no caller can forget).
	OnOpen func(slug string, db *gorm.DB) error

	mu      sync.Mutex
	entries map[string]*poolEntry
	lru     *list.List // front: most recently used; values are *poolEntry
	closed  bool
}

type poolEntry struct {
	slug    string
	dsn     string
	ready   chan struct{} // closed once db or err is set
	db      *gorm.DB
	sqlDB   *sql.DB
	err     error
	refs    int
	evicted bool
	elem    *list.Element
}

// NewPools makes an empty pool manager. secret is OUTLAY_SECRET_KEY: every connection carries
// the tenant's audit key derived from it (audit.ConnectionParameters), without which the
// database refuses to add to the audit log.
func NewPools(maxConns, perTenant int, secret []byte, counter *QueryCounter, logger *slog.Logger) *Pools {
	if logger == nil {
		logger = slog.Default()
	}
	perTenant = max(perTenant, 1)
	return &Pools{
		perTenant:  perTenant,
		maxHandles: max(maxConns/perTenant, 1),
		secret:     secret,
		counter:    counter,
		logger:     logger,
		entries:    map[string]*poolEntry{},
		lru:        list.New(),
	}
}

// Acquire returns the tenant's handle, opening it if needed; concurrent first callers wait for
// one open. Call release when the request is done with it.
func (p *Pools) Acquire(ctx context.Context, t Tenant) (db *gorm.DB, release func(), err error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, nil, fmt.Errorf("tenant pools are closed")
	}
	e, ok := p.entries[t.Slug]
	if ok && e.dsn != t.DSN {
		// The tenant moved to another database or cluster: retire the old handle.
		p.evictLocked(e)
		ok = false
	}
	if ok {
		e.refs++
		p.lru.MoveToFront(e.elem)
	} else {
		e = &poolEntry{slug: t.Slug, dsn: t.DSN, ready: make(chan struct{}), refs: 1}
		e.elem = p.lru.PushFront(e)
		p.entries[t.Slug] = e
		p.trimLocked()
		go p.open(e)
	}
	p.mu.Unlock()

	release = func() { p.release(e) }
	select {
	case <-e.ready:
	case <-ctx.Done():
		release()
		return nil, nil, ctx.Err()
	}
	if e.err != nil {
		release()
		p.mu.Lock()
		if p.entries[e.slug] == e {
			p.evictLocked(e) // Let the next request try again.
		}
		p.mu.Unlock()
		return nil, nil, e.err
	}
	return e.db, release, nil
}

func (p *Pools) open(e *poolEntry) {
	defer close(e.ready)
	cfg, err := pgx.ParseConfig(e.dsn)
	if err != nil {
		e.err = err
		return
	}
	params, err := audit.ConnectionParameters(p.secret, e.slug)
	if err != nil {
		e.err = fmt.Errorf("open tenant %s database: %w", e.slug, err)
		return
	}
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	if p.counter != nil {
		cfg.Tracer = countingTracer{&p.counter.Tenant, &p.counter.Background}
	}
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(p.perTenant)
	sqlDB.SetMaxIdleConns(p.perTenant)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), GormConfig())
	if err != nil {
		_ = sqlDB.Close()
		e.err = fmt.Errorf("open tenant %s database: %w", e.slug, err)
		return
	}
	if err := audit.Register(db); err != nil {
		_ = sqlDB.Close()
		e.err = fmt.Errorf("open tenant %s database: %w", e.slug, err)
		return
	}
	if p.OnOpen != nil {
		if err := p.OnOpen(e.slug, db); err != nil {
			_ = sqlDB.Close()
			e.err = err
			return
		}
	}
	e.db, e.sqlDB = db, sqlDB
}

// GormConfig is the configuration of every tenant handle.
func GormConfig() *gorm.Config {
	return &gorm.Config{
		// Single statements need no transaction of their own, and multi-row changes open one
		// explicitly: a plain read or write is one round trip. An audited write stays one
		// statement too, carrying its audit records with it (package audit), so it is atomic
		// without a transaction.
		SkipDefaultTransaction: true,
		TranslateError:         true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

func (p *Pools) release(e *poolEntry) {
	p.mu.Lock()
	e.refs--
	closeNow := e.refs == 0 && e.evicted
	p.mu.Unlock()
	if closeNow {
		p.closeEntry(e)
	}
}

// trimLocked evicts least recently used handles while more than maxHandles are open,
// preferring idle ones.
func (p *Pools) trimLocked() {
	for p.lru.Len() > p.maxHandles {
		var victim *poolEntry
		for el := p.lru.Back(); el != nil; el = el.Prev() {
			if c := el.Value.(*poolEntry); c.refs == 0 {
				victim = c
				break
			}
		}
		if victim == nil {
			// Every handle is in use: retire the least recently used, which closes as soon
			// as its requests finish. The cap is exceeded only for that moment.
			victim = p.lru.Back().Value.(*poolEntry)
		}
		p.evictLocked(victim)
	}
}

func (p *Pools) evictLocked(e *poolEntry) {
	if e.evicted {
		return
	}
	e.evicted = true
	p.lru.Remove(e.elem)
	if p.entries[e.slug] == e {
		delete(p.entries, e.slug)
	}
	if e.refs == 0 {
		go p.closeEntry(e)
	}
}

func (p *Pools) closeEntry(e *poolEntry) {
	<-e.ready
	if e.sqlDB != nil {
		if err := e.sqlDB.Close(); err != nil {
			p.logger.Warn("closing tenant pool", "tenant", e.slug, "err", err)
		}
	}
}

// Evict retires a tenant's handle (after a migration, suspension, move or purge); the next
// Acquire opens a fresh one.
func (p *Pools) Evict(slug string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.entries[slug]; ok {
		p.evictLocked(e)
	}
}

// Open reports how many tenant handles are open.
func (p *Pools) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lru.Len()
}

// OpenSlugs lists the tenants whose handles are open, most recently used first.
func (p *Pools) OpenSlugs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, p.lru.Len())
	for el := p.lru.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*poolEntry).slug)
	}
	return out
}

// Close retires every handle; borrowed ones close when given back.
func (p *Pools) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, e := range p.entries {
		p.evictLocked(e)
	}
}

// OpenOne opens a short-lived handle on one tenant's database, for commands that run outside
// the server (seeding, operator tools). secret is OUTLAY_SECRET_KEY, as for NewPools.
func OpenOne(ctx context.Context, t Tenant, secret []byte) (*gorm.DB, func(), error) {
	p := NewPools(1, 1, secret, nil, nil)
	db, release, err := p.Acquire(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	return db, func() { release(); p.Close() }, nil
}
