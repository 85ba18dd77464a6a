package handlers

import (
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// attemptLocks make the checks of one account's password or code on this server wait for
// each other, from the throttle's count to the failure it records: attempts sent at once
// would otherwise all pass the count before any failure was recorded, and more than the
// throttle allows would be checked. A request holds its account's lock until it ends.
type attemptLocks struct {
	mu    sync.Mutex
	locks map[string]*attemptLock
}

type attemptLock struct {
	sync.Mutex
	users int // requests holding or waiting for it; at 0 it is forgotten
}

// hold takes key's lock for the request, once however often it asks.
func (a *attemptLocks) hold(st *requestState, key string) {
	for _, k := range st.attempts {
		if k == key {
			return
		}
	}
	a.mu.Lock()
	if a.locks == nil {
		a.locks = map[string]*attemptLock{}
	}
	l, ok := a.locks[key]
	if !ok {
		l = &attemptLock{}
		a.locks[key] = l
	}
	l.users++
	a.mu.Unlock()
	l.Lock()
	st.attempts = append(st.attempts, key)
}

// release lets go of the locks the request holds.
func (a *attemptLocks) release(st *requestState) {
	if len(st.attempts) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, key := range st.attempts {
		l := a.locks[key]
		l.Unlock()
		if l.users--; l.users == 0 {
			delete(a.locks, key)
		}
	}
	st.attempts = nil
}

// holdAttempts makes this request's check of email's password or code wait for any other
// of the same account on this server (attemptLocks).
func (s *Server) holdAttempts(c *fiber.Ctx, email string) {
	slug := ""
	if t := tenantOf(c); t != nil {
		slug = t.Slug
	}
	s.attempts.hold(stateOf(c), slug+"\x00"+strings.ToLower(strings.TrimSpace(email)))
}

// releaseAttempts lets go, once the request is answered (or failed), of the account locks
// it took.
func (s *Server) releaseAttempts(c *fiber.Ctx) error {
	defer s.attempts.release(stateOf(c))
	return c.Next()
}
