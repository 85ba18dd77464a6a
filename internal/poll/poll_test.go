package poll

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitReturnsOnceTheCheckHolds(t *testing.T) {
	var calls atomic.Int32
	err := Wait(5*time.Second, func() error {
		if calls.Add(1) < 3 {
			return ErrNotYet
		}
		return nil
	})
	if err != nil || calls.Load() != 3 {
		t.Fatalf("Wait = %v after %d calls, want nil after 3", err, calls.Load())
	}
}

func TestWaitGivesTheLastErrorAfterTheTimeout(t *testing.T) {
	start := time.Now()
	err := Wait(50*time.Millisecond, func() error { return errors.New("still 3 pending") })
	if err == nil || !strings.Contains(err.Error(), "still 3 pending") {
		t.Fatalf("Wait = %v, want the check's last error", err)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Fatalf("Wait gave up after %v, before its timeout", time.Since(start))
	}
}
