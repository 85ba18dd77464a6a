package backup

import (
	"fmt"
	"strings"
	"time"
)

// Phase is one step of a move and how long it took; ReadOnly says the tenant was read-only
// meanwhile.
type Phase struct {
	Name     string
	Took     time.Duration
	ReadOnly bool
}

// stopwatch times the steps of a move one after the other; a nil stopwatch times nothing
// (a restore or a backup on its own).
type stopwatch struct {
	last     time.Time
	readOnly bool
	phases   []Phase
}

func newStopwatch() *stopwatch { return &stopwatch{last: time.Now()} }

// lap ends the step called name, which began when the last one ended.
func (w *stopwatch) lap(name string) {
	if w == nil {
		return
	}
	now := time.Now()
	w.phases = append(w.phases, Phase{Name: name, Took: now.Sub(w.last), ReadOnly: w.readOnly})
	w.last = now
}

// PhasesString lists phases as "name 12ms, name 3ms", the read-only ones in brackets.
func PhasesString(phases []Phase) string {
	var b strings.Builder
	for i, p := range phases {
		if i > 0 {
			b.WriteString(", ")
		}
		if p.ReadOnly && (i == 0 || !phases[i-1].ReadOnly) {
			b.WriteString("[read-only: ")
		}
		fmt.Fprintf(&b, "%s %s", p.Name, p.Took.Round(time.Millisecond))
		if p.ReadOnly && (i == len(phases)-1 || !phases[i+1].ReadOnly) {
			b.WriteString("]")
		}
	}
	return b.String()
}
