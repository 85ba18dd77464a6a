package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// The memory budget sets the collector, unless the operator set GOGC or GOMEMLIMIT
// themselves; 0 leaves Go's defaults alone.
func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })
	read := func() (int, int64) {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1) // a negative limit reads it
	}
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")

	tuneGC(0)
	if p, l := read(); p != 100 || l != math.MaxInt64 {
		t.Errorf("0: GOGC %d, limit %d; want Go's defaults", p, l)
	}
	tuneGC(256)
	if p, l := read(); p != 300 || l != 256<<20 {
		t.Errorf("256 MB: GOGC %d, limit %d", p, l)
	}

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	tuneGC(256)
	if p, l := read(); p != 100 || l != math.MaxInt64 {
		t.Errorf("with GOGC and GOMEMLIMIT set: GOGC %d, limit %d; want them left to the runtime", p, l)
	}
}
