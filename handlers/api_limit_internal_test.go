package handlers

import (
	"fmt"
	"testing"
	"time"
)

// SetAPIClock makes the API rate limit read the time from now, so that a test (package
// handlers_test too) steps time forward rather than waiting for budgets to refill.
func (s *Server) SetAPIClock(now func() time.Time) { s.apiLimit.now = now }

// APILimitKeys is how many API tokens and client addresses the API rate limit tracks.
func (s *Server) APILimitKeys() int {
	s.apiLimit.mu.Lock()
	defer s.apiLimit.mu.Unlock()
	return len(s.apiLimit.buckets)
}

// However many addresses send requests at once, the API rate limit tracks at most its cap of
// them; a key pushed out only starts again with a full budget.
func TestAPILimitTracksAtMostItsCap(t *testing.T) {
	t.Parallel()
	l := newAPILimiter(600, 100, 50)
	at := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return at }
	for i := range 1000 {
		if _, ok := l.take(fmt.Sprintf("addr 10.0.%d.%d", i/250, i%250)); !ok {
			t.Fatalf("request %d refused", i)
		}
		if n := len(l.buckets); n > 50 {
			t.Fatalf("after %d addresses the limit tracks %d, want at most 50", i+1, n)
		}
	}
}
