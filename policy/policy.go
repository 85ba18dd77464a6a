// Package policy decides who may do what. Role policies (`p, role, object, action`) are rows in
// each tenant's database, loaded into a Casbin enforcer through the GORM adapter; from the
// enforcer a per-role permission set is built, so that a check on a request is a few map
// lookups however many policies a tenant has.
package policy

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	gormadapter "github.com/casbin/gorm-adapter/v3"
	"gorm.io/gorm"

	"outlay"
)

// Permission is an action on an object.
type Permission struct {
	Object string
	Action string
}

func (p Permission) String() string { return p.Object + ":" + p.Action }

// RoleEditor is the permission that must always remain with at least one active person, or
// nobody could ever change access again.
var RoleEditor = Permission{Object: outlay.ObjRoles, Action: outlay.ActUpdate}

//go:embed model.conf
var modelText string

// NewModel returns the Casbin model of every tenant.
func NewModel() (model.Model, error) { return model.NewModelFromString(modelText) }

// Set is one tenant's policy at one version: the permission set derived from Casbin's
// enforcer.
type Set struct {
	Version int64
	allowed map[string]struct{}
}

func key(role string, p Permission) string { return role + "\x00" + p.Object + "\x00" + p.Action }

// Allowed reports whether any of roles grants p.
func (s *Set) Allowed(roles []string, p Permission) bool {
	for _, r := range roles {
		if _, ok := s.allowed[key(r, p)]; ok {
			return true
		}
	}
	return false
}

// Grants lists every role's permissions, sorted.
func (s *Set) Grants() map[string][]Permission {
	out := map[string][]Permission{}
	for k := range s.allowed {
		parts := strings.SplitN(k, "\x00", 3)
		out[parts[0]] = append(out[parts[0]], Permission{parts[1], parts[2]})
	}
	for _, ps := range out {
		sort.Slice(ps, func(i, j int) bool { return ps[i].String() < ps[j].String() })
	}
	return out
}

// Load reads a tenant's policy. The version is read first, so a set is never labelled newer
// than the rows it was built from. The set keeps only what it derived from Casbin's enforcer:
// a server keeps one set per tenant, and an enforcer with its loaded rules is most of a
// tenant's memory (about 70 MB of 113 MB measured over 1,000 tenants).
func Load(ctx context.Context, db *gorm.DB) (*Set, error) {
	db = db.WithContext(ctx)
	var version int64
	if err := db.Raw(`SELECT version FROM policy_state WHERE id = 1`).Scan(&version).Error; err != nil {
		return nil, fmt.Errorf("read policy version: %w", err)
	}
	e, err := Enforcer(ctx, db)
	if err != nil {
		return nil, err
	}
	rules, err := e.GetPolicy()
	if err != nil {
		return nil, err
	}
	s := &Set{Version: version, allowed: make(map[string]struct{}, len(rules))}
	for _, r := range rules {
		if len(r) >= 3 {
			s.allowed[key(r[0], Permission{r[1], r[2]})] = struct{}{}
		}
	}
	return s, nil
}

// Enforcer loads a tenant's rules into a Casbin enforcer: what Load derives each Set from,
// and what tests hold a Set's answers against.
func Enforcer(ctx context.Context, db *gorm.DB) (*casbin.SyncedEnforcer, error) {
	m, err := NewModel()
	if err != nil {
		return nil, err
	}
	// The table comes from our migrations; the adapter must not create or alter it.
	adb := db.WithContext(ctx).Session(&gorm.Session{})
	gormadapter.TurnOffAutoMigrate(adb)
	adapter, err := gormadapter.NewAdapterByDB(adb)
	if err != nil {
		return nil, fmt.Errorf("policy adapter: %w", err)
	}
	// The adapter shares the tenant's pool; its Close would close that pool, so it is never called.
	e, err := casbin.NewSyncedEnforcer(m, adapter)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	e.EnableAutoSave(false) // Outlay writes policy rows itself, in guarded transactions.
	return e, nil
}

// Engine keeps each tenant's current Set in memory.
type Engine struct {
	mu   sync.Mutex
	sets map[string]*Set
	// loading makes concurrent requests for a stale set wait for one load.
	loading map[string]*loadCall
}

type loadCall struct {
	done chan struct{}
	set  *Set
	err  error
}

// NewEngine returns an empty engine.
func NewEngine() *Engine {
	return &Engine{sets: map[string]*Set{}, loading: map[string]*loadCall{}}
}

// For returns the tenant's policy at version (or newer), loading it when the cached copy is
// older. The version comes from the request's own session query, so this costs no query
// unless policies changed.
func (e *Engine) For(ctx context.Context, slug string, db *gorm.DB, version int64) (*Set, error) {
	e.mu.Lock()
	if s, ok := e.sets[slug]; ok && s.Version >= version {
		e.mu.Unlock()
		return s, nil
	}
	call, ok := e.loading[slug]
	if !ok {
		call = &loadCall{done: make(chan struct{})}
		e.loading[slug] = call
		go func() {
			// Detached from the first caller, so its cancellation does not fail the others.
			set, err := Load(context.WithoutCancel(ctx), db)
			e.mu.Lock()
			call.set, call.err = set, err
			if err == nil {
				if cur, ok := e.sets[slug]; !ok || cur.Version <= set.Version {
					e.sets[slug] = set
				}
			}
			delete(e.loading, slug)
			e.mu.Unlock()
			close(call.done)
		}()
	}
	e.mu.Unlock()
	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if call.err != nil {
		return nil, call.err
	}
	if call.set.Version < version {
		// The load began before the edit this request already sees; load again.
		return e.For(ctx, slug, db, version)
	}
	return call.set, nil
}

// Invalidate drops a tenant's cached set (on a change notification, or an evicted pool).
func (e *Engine) Invalidate(slug string) {
	e.mu.Lock()
	delete(e.sets, slug)
	e.mu.Unlock()
}

// Built-in roles, seeded into every tenant database by its migrations.
const (
	RoleRequester = "requester"
	RoleApprover  = "approver"
	RoleAPClerk   = "ap_clerk"
	RoleAuditor   = "auditor"
	RoleAdmin     = "admin"
)

// BuiltinRoles lists the built-in roles in the order people meet them.
func BuiltinRoles() []string {
	return []string{RoleRequester, RoleApprover, RoleAPClerk, RoleAuditor, RoleAdmin}
}
