package tenancy

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"outlay/audit"
)

// ErrBusy means every connection this process may open to a database server was in use and
// none came free within the wait. The request is answered "try again shortly", not queued.
var ErrBusy = errors.New("all database connections are in use")

// SessionSettings are the server settings of every connection to a tenant's database.
// JIT compilation is off: Postgres compiles a statement whose estimated cost passes
// jit_above_cost, and at ten times the bench's volume the dashboard's and the approval
// queue's statements did, spending 126 ms compiling (263 functions) for 3 ms of work on
// every view. Outlay's statements are short and run often, never the long analytical
// queries JIT pays for.
var SessionSettings = map[string]string{"jit": "off"}

// Defaults of the pool manager.
const (
	// DefaultConnShare is the percentage of a server's usable connections (max_connections less
	// the reserved ones) that one Outlay process takes when no explicit cap is set: half, so that
	// operators' tools, backups and a second app server still find connections.
	DefaultConnShare = 50
	// DefaultConnWait is how long a request waits for a connection, or for its turn among its
	// tenant's requests, before it is answered 503.
	DefaultConnWait = 2 * time.Second
	// DefaultLockWait is how long a statement of a tenant's waits for a lock (Pools.LockWait).
	DefaultLockWait = 5 * time.Second
	// requestsPerConn is how many of a tenant's web requests are served at a time for each
	// connection its pool may hold: enough to keep the connections busy while others render.
	requestsPerConn = 2
	// maxHandles bounds the tenant handles kept in memory. A handle without connections costs
	// only memory; idle handles beyond this many are closed, least recently used first.
	maxHandles = 2000
	// connIdleTime closes a tenant's connection after this long unused.
	connIdleTime = 5 * time.Minute
	// connectTimeout bounds one attempt to connect to a tenant's database, so an unreachable
	// server answers a request with an error rather than holding it.
	connectTimeout = 5 * time.Second
)

// Pools holds one GORM handle per tenant, opened on first use and kept in a least-recently-used
// list, and caps the real connections this process opens to each Postgres server.
//
// Every connection to a tenant database is counted from the moment it is dialled until its
// socket closes. On each server the count stays under a budget read from the server at first
// use: an explicit cap, or DefaultConnShare percent of what max_connections leaves after the
// reserved slots, less what Reserve set aside for the control plane's and the job queue's own
// pools. A tenant needing a connection when the budget is spent closes the idle connections
// of the tenant on that server idle the longest (least recently used, no request in flight),
// keeping its handle; when every connection is busy it waits up to Wait for one to come free
// and then fails with ErrBusy.
//
// Each handle keeps up to perTenant connections open while they are used and idle for up to
// five minutes, so a tenant in use answers from warm connections.
//
// A tenant's web requests (AcquireRequest) are served at most requestsPerConn times perTenant
// at a time, the others in the order they came. database/sql hands a connection that comes
// free to a waiter chosen at random, so with many more requests than connections some wait
// many turns: 64 sessions on one tenant's four connections had a p99 three times their p50.
// Admitted in order, few enough that each finds a connection soon, every request waits about
// as long as the others, and the tenant's throughput is the same.
//
// A handle is borrowed with Acquire and given back with the returned release function; an
// evicted handle is closed only once its last borrower has given it back, so queries in
// flight always finish.
type Pools struct {
	perTenant int
	maxConns  int    // explicit cap per server; 0 means Share percent of the server's
	secret    []byte // OUTLAY_SECRET_KEY, from which each tenant's audit key is derived
	counter   *QueryCounter
	logger    *slog.Logger
	// OnOpen runs on each new handle before it is used, after the audit callbacks are
	// registered (open registers them on every handle, so no caller can forget).
	OnOpen func(slug string, db *gorm.DB) error
	// Share is the percentage of a server's usable connections taken when no cap is set
	// (DefaultConnShare when zero); set it before the first Acquire.
	Share int
	// Wait is how long a connection, or a request's turn, is waited for before ErrBusy
	// (DefaultConnWait when zero).
	Wait time.Duration
	// LockWait is the lock_timeout of every tenant connection: how long a statement waits for
	// a lock (DefaultLockWait when zero; negative: no limit). A lock held elsewhere (an
	// operator's psql session, a long migration) would otherwise hold each request that needs
	// the table or row, and the connection it holds, for as long as it lasts, and with them
	// the tenant's other requests, which wait for a connection. Such a request is answered 503
	// "try again" (Unavailable). There is no statement_timeout: a list's export streams its
	// rows to the client as it reads them, and to a slow client may rightly take minutes.
	LockWait time.Duration

	mu       sync.Mutex
	entries  map[string]*poolEntry
	lru      *list.List // front: most recently used; values are *poolEntry
	closed   bool
	servers  map[string]*dbServer
	reserved map[string]int // connections other pools of this process hold, by server

	dialled   atomic.Int64
	busy      atomic.Int64
	evictions atomic.Int64
	retired   atomic.Int64
}

// dbServer is one Postgres server's connection budget.
type dbServer struct {
	key            string // host:port
	maxConnections int
	usable         int // max_connections less the slots reserved for superusers and roles
	budget         int // this process's share of usable
	limit          int // what tenant pools may hold: budget less the reserved pools
	open           int // tenant connections dialled and not yet closed
	// waiters are the dials waiting for a connection of this server, oldest first, each
	// with a channel (of one slot) that is sent to when something may have come free.
	waiters list.List
}

type poolEntry struct {
	slug    string
	dsn     string
	ready   chan struct{} // closed once db or err is set
	db      *gorm.DB
	sqlDB   *sql.DB
	err     error
	server  *dbServer // set before any connection is dialled
	refs    int
	conns   int // connections of this handle that are open
	usedAt  time.Time
	evicted bool
	elem    *list.Element
	// serving counts the tenant's requests admitted by AcquireRequest and not yet done;
	// turns holds those waiting for their turn, oldest first, each a channel (of one slot)
	// that is sent to when it is admitted.
	serving int
	turns   list.List
	// memo keeps what requests read once and remember while it is unchanged (Pools.Memo).
	memo Memo
}

// NewPools makes an empty pool manager. maxConns caps the connections to each Postgres server
// (0: Share percent of what the server allows); perTenant caps one tenant's. secret is
// OUTLAY_SECRET_KEY: every connection carries the tenant's audit key derived from it
// (audit.ConnectionParameters), without which the database refuses to add to the audit log.
func NewPools(maxConns, perTenant int, secret []byte, counter *QueryCounter, logger *slog.Logger) *Pools {
	if logger == nil {
		logger = slog.Default()
	}
	return &Pools{
		perTenant: max(perTenant, 1),
		maxConns:  max(maxConns, 0),
		secret:    secret,
		counter:   counter,
		logger:    logger,
		entries:   map[string]*poolEntry{},
		lru:       list.New(),
		servers:   map[string]*dbServer{},
		reserved:  map[string]int{},
	}
}

// Acquire returns the tenant's handle, opening it if needed; concurrent first callers wait for
// one open. Call release when the request is done with it.
func (p *Pools) Acquire(ctx context.Context, t Tenant) (db *gorm.DB, release func(), err error) {
	return p.acquire(ctx, t, true, false)
}

// AcquireRequest is Acquire for a web request: at most requestsPerConn times perTenant
// requests of one tenant hold its handle at a time, and the others wait their turn in the
// order they came, up to Wait, then fail with ErrBusy. Jobs and upkeep use Acquire, and never
// take a request's turn; nor do uploads, which stream their body at the client's pace, and
// requests that wait on another server (the handlers decide which).
func (p *Pools) AcquireRequest(ctx context.Context, t Tenant) (db *gorm.DB, release func(), err error) {
	return p.acquire(ctx, t, true, true)
}

// AcquireKeepingOrder is Acquire for upkeep (recording audit heads) that must not count as
// use: the tenant keeps its place in the least-recently-used order.
func (p *Pools) AcquireKeepingOrder(ctx context.Context, t Tenant) (db *gorm.DB, release func(), err error) {
	return p.acquire(ctx, t, false, false)
}

func (p *Pools) acquire(ctx context.Context, t Tenant, use, request bool) (db *gorm.DB, release func(), err error) {
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
	var turn *list.Element // the request's place among those waiting, if it waits
	if ok {
		e.refs++
		if use {
			p.lru.MoveToFront(e.elem)
			e.usedAt = time.Now()
		}
	} else {
		e = &poolEntry{slug: t.Slug, dsn: t.DSN, ready: make(chan struct{}), refs: 1}
		if use {
			e.usedAt = time.Now()
			e.elem = p.lru.PushFront(e)
		} else {
			// Opened for upkeep: the tenant is not in use, and its connections are the first
			// to make room for another's.
			e.elem = p.lru.PushBack(e)
		}
		p.entries[t.Slug] = e
		p.trimLocked()
		go p.open(e)
	}
	if request {
		turn = p.enterLocked(e)
	}
	p.mu.Unlock()

	release = func() { p.release(e, use, request) }
	if turn != nil {
		if err := p.waitTurn(ctx, e, turn); err != nil {
			p.release(e, use, false)
			return nil, nil, err
		}
	}
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

// enterLocked admits a request of e at once when fewer than its share are being served and
// none is waiting; otherwise it queues the request last and returns its place.
func (p *Pools) enterLocked(e *poolEntry) *list.Element {
	if e.serving < requestsPerConn*p.perTenant && e.turns.Len() == 0 {
		e.serving++
		return nil
	}
	return e.turns.PushBack(make(chan struct{}, 1))
}

// leaveLocked ends an admitted request of e: the oldest waiting request takes its place.
func (p *Pools) leaveLocked(e *poolEntry) {
	if first := e.turns.Front(); first != nil {
		e.turns.Remove(first)
		first.Value.(chan struct{}) <- struct{}{}
		return
	}
	e.serving--
}

// waitTurn waits until the queued request at turn is admitted, up to Wait.
func (p *Pools) waitTurn(ctx context.Context, e *poolEntry, turn *list.Element) error {
	admitted := turn.Value.(chan struct{})
	timer := time.NewTimer(p.wait())
	defer timer.Stop()
	err := p.await(ctx, admitted, timer)
	if err == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-admitted: // Admitted as it gave up: the turn goes to the next.
		p.leaveLocked(e)
	default:
		e.turns.Remove(turn)
	}
	return err
}

// await waits for a send on ch until timer fires (ErrBusy, counted) or ctx ends.
func (p *Pools) await(ctx context.Context, ch <-chan struct{}, timer *time.Timer) error {
	select {
	case <-ch:
		return nil
	case <-timer.C:
		p.busy.Add(1)
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Pools) wait() time.Duration {
	if p.Wait <= 0 {
		return DefaultConnWait
	}
	return p.Wait
}

func (p *Pools) open(e *poolEntry) {
	defer close(e.ready)
	cfg, err := pgx.ParseConfig(e.dsn)
	if err != nil {
		e.err = err
		return
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > connectTimeout {
		cfg.ConnectTimeout = connectTimeout
	}
	srv, err := p.server(context.Background(), cfg)
	if err != nil {
		e.err = fmt.Errorf("open tenant %s database: %w", e.slug, err)
		return
	}
	p.mu.Lock()
	e.server = srv
	p.mu.Unlock()
	params, err := audit.ConnectionParameters(p.secret, e.slug)
	if err != nil {
		e.err = fmt.Errorf("open tenant %s database: %w", e.slug, err)
		return
	}
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	for k, v := range SessionSettings {
		cfg.RuntimeParams[k] = v
	}
	switch lw := p.LockWait; {
	case lw == 0:
		cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(DefaultLockWait.Milliseconds(), 10)
	case lw > 0:
		cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(max(lw.Milliseconds(), 1), 10)
	}
	if p.counter != nil {
		cfg.Tracer = countingTracer{&p.counter.Tenant, &p.counter.Background}
	}
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err := p.take(ctx, e); err != nil {
			return nil, err
		}
		conn, err := dial(ctx, network, addr)
		if err != nil {
			p.give(e)
			return nil, err
		}
		p.dialled.Add(1)
		return &countedConn{Conn: conn, closed: func() { p.give(e) }}, nil
	}
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(p.perTenant)
	sqlDB.SetMaxIdleConns(p.perTenant)
	sqlDB.SetConnMaxIdleTime(connIdleTime)
	db, err := OpenGorm(sqlDB)
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
	p.mu.Lock()
	e.db, e.sqlDB = db, sqlDB
	p.mu.Unlock()
}

// countedConn is a connection to a tenant database, counted against its server's budget
// until its socket closes.
type countedConn struct {
	net.Conn
	once   sync.Once
	closed func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.closed)
	return err
}

// take claims one connection of e's server. When the budget is spent it closes the idle
// connections of the tenant idle the longest on that server, or else waits for a connection
// to close or a handle to fall idle, up to Wait. Waiters are served in the order they came:
// only the oldest may take what comes free, and a dial that finds others waiting queues
// behind them, so that under overload every request waits about as long as the others
// rather than some being overtaken again and again until they time out.
func (p *Pools) take(ctx context.Context, e *poolEntry) error {
	timer := time.NewTimer(p.wait())
	defer timer.Stop()
	p.mu.Lock()
	s := e.server
	var me *list.Element // this dial's place among the waiters, once it waits
	for {
		if first := s.waiters.Front(); first == nil || first == me {
			if s.open < s.limit {
				s.open++
				e.conns++
				if me != nil {
					s.waiters.Remove(me)
					s.wakeFirstLocked() // More may have come free than this one connection.
				}
				p.mu.Unlock()
				return nil
			}
			if victim := p.idleVictimLocked(s, e); victim != nil {
				p.evictions.Add(1)
				p.mu.Unlock()
				victim.closeIdle(p.perTenant)
				p.mu.Lock()
				continue
			}
		}
		if me == nil {
			me = s.waiters.PushBack(make(chan struct{}, 1))
		}
		woken := me.Value.(chan struct{})
		p.mu.Unlock()
		err := p.await(ctx, woken, timer)
		p.mu.Lock()
		if err != nil {
			first := s.waiters.Front() == me
			s.waiters.Remove(me)
			if first {
				s.wakeFirstLocked()
			}
			p.mu.Unlock()
			return err
		}
	}
}

// closeIdle closes the handle's idle connections and keeps the handle, with what it has
// learnt (GORM's parsed models, the audit callbacks' table information): the tenant's next
// request only dials a connection. Connections in use are closed when given back meanwhile.
func (e *poolEntry) closeIdle(perTenant int) {
	<-e.ready
	if e.sqlDB != nil {
		e.sqlDB.SetMaxIdleConns(-1)
		e.sqlDB.SetMaxIdleConns(perTenant)
	}
}

// give returns a connection of e to its server's budget.
func (p *Pools) give(e *poolEntry) {
	p.mu.Lock()
	e.server.open--
	e.conns--
	e.server.wakeFirstLocked()
	p.mu.Unlock()
}

// idleVictimLocked is the least recently used handle on server s, other than e, that holds
// idle connections and has no request in flight.
func (p *Pools) idleVictimLocked(s *dbServer, e *poolEntry) *poolEntry {
	for el := p.lru.Back(); el != nil; el = el.Prev() {
		c := el.Value.(*poolEntry)
		// database/sql never calls back into the pools while holding its own lock, so its
		// statistics may be read under p.mu.
		if c != e && c.server == s && c.refs == 0 && c.conns > 0 && c.sqlDB != nil && c.sqlDB.Stats().Idle > 0 {
			return c
		}
	}
	return nil
}

// wakeFirstLocked tells the server's oldest waiter that a connection or an idle handle may
// have come free; it looks again and waits on if not.
func (s *dbServer) wakeFirstLocked() {
	if first := s.waiters.Front(); first != nil {
		select {
		case first.Value.(chan struct{}) <- struct{}{}:
		default: // Already told.
		}
	}
}

// server returns the budget of the server cfg points at, reading its limits on first use.
func (p *Pools) server(ctx context.Context, cfg *pgx.ConnConfig) (*dbServer, error) {
	key := serverKey(cfg)
	p.mu.Lock()
	s, ok := p.servers[key]
	p.mu.Unlock()
	if ok {
		return s, nil
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	probe := cfg.Copy()
	probe.Tracer = nil
	conn, err := pgx.ConnectConfig(ctx, probe)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	var maxConns, superuser, reserved int
	err = conn.QueryRow(ctx, `SELECT current_setting('max_connections')::int,
		current_setting('superuser_reserved_connections')::int,
		COALESCE(current_setting('reserved_connections', true), '0')::int`).Scan(&maxConns, &superuser, &reserved)
	if err != nil {
		return nil, fmt.Errorf("read the connection limits of %s: %w", key, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.servers[key]; ok { // Another open read it meanwhile.
		return s, nil
	}
	s = &dbServer{key: key, maxConnections: maxConns, usable: max(maxConns-superuser-reserved, 1)}
	p.servers[key] = s
	p.setBudgetLocked(s)
	return s, nil
}

func (p *Pools) setBudgetLocked(s *dbServer) {
	share := p.Share
	if share <= 0 || share > 100 {
		share = DefaultConnShare
	}
	s.budget = s.usable * share / 100
	if p.maxConns > 0 {
		s.budget = p.maxConns
	}
	if s.budget > s.usable {
		p.logger.Warn("the database connection cap is above what the server allows; using what it allows",
			"server", s.key, "cap", s.budget, "max_connections", s.maxConnections, "usable", s.usable)
		s.budget = s.usable
	}
	s.budget = max(s.budget, 1)
	s.limit = s.budget - p.reserved[s.key]
	if s.limit < p.perTenant {
		p.logger.Warn("few database connections are left for tenants on this server",
			"server", s.key, "budget", s.budget, "reserved", p.reserved[s.key], "for_tenants", max(s.limit, 1))
	}
	s.limit = max(s.limit, 1)
}

func serverKey(cfg *pgx.ConnConfig) string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// Reserve sets aside n connections of the server at dsn for pools of this process that are
// not tenant pools (the control plane's, the job queue's), reading the server's limits now.
// Tenant connections on that server stay within the budget less what is reserved.
func (p *Pools) Reserve(ctx context.Context, dsn string, n int) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	key := serverKey(cfg)
	p.mu.Lock()
	p.reserved[key] += n
	if s, ok := p.servers[key]; ok {
		p.setBudgetLocked(s)
	}
	p.mu.Unlock()
	_, err = p.server(ctx, cfg)
	return err
}

// Probe reads the limits of the servers the DSNs point at (one DSN per server is enough; the
// others are tried when one fails), so that start-up reports each server's budget.
func (p *Pools) Probe(ctx context.Context, dsns ...string) {
	done := map[string]bool{}
	for _, dsn := range dsns {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil || done[serverKey(cfg)] {
			continue
		}
		if _, err := p.server(ctx, cfg); err != nil {
			p.logger.Warn("could not read a database server's connection limits; will try again on first use", "server", serverKey(cfg), "err", err)
			continue
		}
		done[serverKey(cfg)] = true
	}
}

// OpenGorm opens a GORM handle over sqlDB with GormConfig and Postgres's dialector, as every
// tenant handle is opened.
func OpenGorm(sqlDB *sql.DB) (*gorm.DB, error) {
	return gorm.Open(quietDialector{&postgres.Dialector{Config: &postgres.Config{Conn: sqlDB}}}, GormConfig())
}

// quietDialector is Postgres's dialector, except that it does not write a statement's values
// into its text for the log (Explain). GORM's Scan asks for that text on every call, through
// a recorder of its own, even though the handle's log (logger.Discard) never reads it: a
// regular-expression pass over every statement, 8% of the server's CPU under inline
// approvals. The log would not want the values anyway: they are people's data.
type quietDialector struct{ *postgres.Dialector }

// Explain is the statement as it is sent, with its placeholders.
func (quietDialector) Explain(sql string, _ ...any) string { return sql }

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
		ClauseBuilders:         map[string]clause.ClauseBuilder{"LIMIT": literalLimit},
	}
}

// literalLimit writes a statement's LIMIT and OFFSET as numbers rather than parameters. A
// connection prepares each statement, and Postgres may then plan it once for any values (a
// generic plan), which expects an unknown LIMIT to take a tenth of the rows: a vendor search's
// page was read by walking all 5,000 vendors in name order (38 ms), priced at about the
// search through the trigram index (0.2 ms), which only a known limit of 25 rows prices
// right. A plan made for an unknown number of rows also looks dearer than one made for 25,
// so where Postgres did not take it, it planned the page anew on every view (the
// notifications, the search-as-you-type fields, the audit log). Each page size and offset
// is a statement of its own (pgx keeps at most 512 a connection, dropping the least used).
// Both are integers, written by strconv: no text of a request reaches the statement.
func literalLimit(c clause.Clause, b clause.Builder) {
	l, ok := c.Expression.(clause.Limit)
	if !ok {
		c.Build(b)
		return
	}
	if l.Limit != nil && *l.Limit >= 0 {
		b.WriteString("LIMIT " + strconv.Itoa(*l.Limit))
		if l.Offset > 0 {
			b.WriteByte(' ')
		}
	}
	if l.Offset > 0 {
		b.WriteString("OFFSET " + strconv.Itoa(l.Offset))
	}
}

func (p *Pools) release(e *poolEntry, use, request bool) {
	p.mu.Lock()
	if request {
		p.leaveLocked(e)
	}
	e.refs--
	if use {
		// A request's writes are committed by the time it gives its handle back: the tenant
		// counts as used until then, not only from when it began, and is the most recently
		// used (a long request's tenant is not the first evicted when it ends).
		e.usedAt = time.Now()
		if !e.evicted {
			p.lru.MoveToFront(e.elem)
		}
	}
	closeNow := e.refs == 0 && e.evicted
	if e.refs == 0 && e.conns > 0 {
		e.server.wakeFirstLocked() // Its connections may now go to a tenant waiting for one.
	}
	p.mu.Unlock()
	if closeNow {
		p.closeEntry(e)
	}
}

// trimLocked closes the least recently used idle handles while more than maxHandles are open.
// Handles in use are never closed for this: the cap only bounds memory.
func (p *Pools) trimLocked() {
	for el := p.lru.Back(); el != nil && p.lru.Len() > maxHandles; {
		prev := el.Prev()
		if c := el.Value.(*poolEntry); c.refs == 0 {
			p.evictLocked(c)
		}
		el = prev
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
// Acquire opens a fresh one. A handle nothing holds is closed by the time Evict returns; one
// in use is closed when its last holder lets go.
func (p *Pools) Evict(slug string) {
	p.mu.Lock()
	e, ok := p.entries[slug]
	if !ok {
		p.mu.Unlock()
		return
	}
	e.refs++ // held through its eviction, so that letting go below closes it here, not later
	p.evictLocked(e)
	p.mu.Unlock()
	p.release(e, false, false)
}

// Retire retires a tenant's handle when it still reaches t's database (t.DSN): its sessions
// were ended there (a move), so its other connections are dead too. A handle already opened
// on the tenant's new database is kept.
func (p *Pools) Retire(t Tenant) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.entries[t.Slug]; ok && e.dsn == t.DSN {
		p.retired.Add(1)
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
	return p.UsedSince(time.Time{})
}

// UsedSince lists the tenants with an open handle in use now, or acquired or given back at or
// after since, most recently used first.
func (p *Pools) UsedSince(since time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for el := p.lru.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*poolEntry); e.refs > 0 || !e.usedAt.Before(since) {
			out = append(out, e.slug)
		}
	}
	return out
}

// ServerStats is one database server's connection budget as the pools see it.
type ServerStats struct {
	Server         string // host:port
	MaxConnections int    // the server's max_connections
	Budget         int    // connections this process may hold there, reserved pools included
	Limit          int    // of which tenant pools may hold
	Open           int    // tenant connections open now
	Waiting        int    // dials waiting for one of them
}

// PoolStats describes the pools for metrics.
type PoolStats struct {
	Handles   int           // tenant handles open
	Warm      int           // of which hold at least one connection
	Servers   []ServerStats // by server
	Dialled   int64         // tenant connections opened since start
	Queued    int           // requests waiting their turn among their tenant's (AcquireRequest)
	Busy      int64         // waits for a connection or a turn that ended in ErrBusy
	Evictions int64         // idle tenants closed to make room for another
	Retired   int64         // handles closed because a session of theirs was ended (Retire)
}

// Stats reports the pools' current state.
func (p *Pools) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := PoolStats{Handles: p.lru.Len(), Dialled: p.dialled.Load(), Busy: p.busy.Load(), Evictions: p.evictions.Load(), Retired: p.retired.Load()}
	for el := p.lru.Front(); el != nil; el = el.Next() {
		e := el.Value.(*poolEntry)
		if e.conns > 0 {
			st.Warm++
		}
		st.Queued += e.turns.Len()
	}
	for _, s := range p.servers {
		st.Servers = append(st.Servers, ServerStats{Server: s.key, MaxConnections: s.maxConnections, Budget: s.budget, Limit: s.limit, Open: s.open, Waiting: s.waiters.Len()})
	}
	sort.Slice(st.Servers, func(i, j int) bool { return st.Servers[i].Server < st.Servers[j].Server })
	return st
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
