package dbtest

import (
	"testing"
	"time"

	"outlay/internal/poll"
)

// WaitFor waits until cond holds, checking on poll's ticker, and fails the test as
// "never <what>" after timeout. Tests wait on the state itself this way, never on a sleep.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := poll.Wait(timeout, poll.True(cond)); err != nil {
		t.Fatalf("never %s (waited %s)", what, timeout)
	}
}
