package dbtest

import (
	"testing"
	"time"
)

// WaitFor waits until cond holds, checking every few milliseconds, and fails the test as
// "never <what>" after timeout. Tests wait on the state itself this way, never on a sleep.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never %s (waited %s)", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
