package handlers

import (
	"testing"
	"time"
)

// A new payment run's pay-on date is a weekday: a Saturday or Sunday moves to the Monday.
func TestNewRunPaysOnAWeekday(t *testing.T) {
	for day, want := range map[string]string{
		"2026-12-04": "2026-12-04", // Friday
		"2026-12-05": "2026-12-07", // Saturday
		"2026-12-06": "2026-12-07", // Sunday
		"2026-12-07": "2026-12-07", // Monday
	} {
		d, _ := time.Parse(time.DateOnly, day)
		if got := nextWeekday(d).Format(time.DateOnly); got != want {
			t.Errorf("%s: %s, want %s", day, got, want)
		}
	}
}
