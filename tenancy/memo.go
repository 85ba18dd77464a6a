package tenancy

import (
	"sync"

	"gorm.io/gorm"
)

// Memo keeps values read from one tenant handle's database, each labelled with the version
// of the data it was read at. It lives and dies with the handle, so a database reopened (after
// a migration, a move or a restore) starts with nothing remembered.
type Memo struct {
	mu   sync.Mutex
	vals map[string]memoValue
}

type memoValue struct {
	version int64
	v       any
}

// Memo returns the memo of the tenant's handle db, or nil when db is no longer the tenant's
// current handle (it was retired meanwhile): nothing is remembered for a retired handle.
func (p *Pools) Memo(slug string, db *gorm.DB) *Memo {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[slug]
	if !ok {
		return nil
	}
	select {
	case <-e.ready:
	default:
		return nil // a newer handle, still opening
	}
	if e.db != db || e.db == nil {
		return nil
	}
	return &e.memo
}

// Remember returns the value of key remembered at version or later, or reads it with load
// and remembers it at version. The caller must have read version before calling (in the same
// request): what load reads afterwards is then at least as new as version, never older. A
// nil memo remembers nothing. Values are shared by every request of the tenant: callers must
// not change them.
func Remember[T any](m *Memo, key string, version int64, load func() (T, error)) (T, error) {
	if m == nil {
		return load()
	}
	m.mu.Lock()
	if v, ok := m.vals[key]; ok && v.version >= version {
		m.mu.Unlock()
		return v.v.(T), nil
	}
	m.mu.Unlock()
	val, err := load()
	if err != nil {
		return val, err
	}
	m.mu.Lock()
	if m.vals == nil {
		m.vals = map[string]memoValue{}
	}
	if cur, ok := m.vals[key]; !ok || cur.version <= version {
		m.vals[key] = memoValue{version: version, v: val}
	}
	m.mu.Unlock()
	return val, nil
}
