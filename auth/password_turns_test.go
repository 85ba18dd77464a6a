package auth

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A burst of sign-ins holds the memory of a few password hashes at once, not of each of them:
// 48 checks at once would hold 48 × 19 MiB (912 MiB) were they all computed together.
func TestPasswordHashesTakeTurns(t *testing.T) {
	hash, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	const burst = 48
	var wg sync.WaitGroup
	var wrong atomic.Int32
	for range burst {
		wg.Go(func() {
			if !CheckPassword(hash, "not the password at all") {
				wrong.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	if wrong.Load() != burst {
		t.Fatalf("%d of %d wrong passwords refused", wrong.Load(), burst)
	}
	// The hashes running (one per slot), and as much again of finished ones not yet collected.
	budget := uint64(2*cap(hashSlots)+4) * argonMemory * 1024
	if grew := peak.Load() - min(peak.Load(), base.HeapInuse); grew > budget {
		t.Errorf("%d password checks at once grew the heap by %d MiB, more than %d MiB (%d slots)",
			burst, grew>>20, budget>>20, cap(hashSlots))
	}
}
