// Package poll waits, in tests, for a condition that another goroutine or process brings
// about: a server answering, a job finishing, a row arriving. It checks on a ticker until a
// deadline, so a test never sleeps a guessed length of time.
package poll

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// Interval is how often a condition is checked.
const Interval = 10 * time.Millisecond

// ErrNotYet is what a check returns when it has nothing better to say about why it is not
// done yet.
var ErrNotYet = errors.New("not yet")

// Wait calls check until it returns nil, and returns nil. After timeout it returns the last
// error check gave, so the caller can say what state things were left in.
func Wait(timeout time.Duration, check func() error) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	tick := time.NewTicker(Interval)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-timer.C:
			if err := check(); err != nil {
				return fmt.Errorf("after %v: %w", timeout, err)
			}
			return nil
		case <-tick.C:
		}
	}
}

// Until is Wait that fails t, naming what it waited for and the last error check gave.
func Until(t testing.TB, what string, timeout time.Duration, check func() error) {
	t.Helper()
	if err := Wait(timeout, check); err != nil {
		t.Fatalf("timed out waiting for %s: %v", what, err)
	}
}

// True adapts a condition without an explanation to a check.
func True(cond func() bool) func() error {
	return func() error {
		if cond() {
			return nil
		}
		return ErrNotYet
	}
}
