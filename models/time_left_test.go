package models_test

import (
	"testing"
	"time"

	"outlay/models"
)

// The time left before a purge is never said as more than there is, and in words.
func TestTimeLeft(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * 24 * time.Hour:           "90 days",
		71 * time.Hour:                "2 days and 23 hours",
		7*24*time.Hour + 5*time.Hour:  "7 days",
		24 * time.Hour:                "1 day",
		25*time.Hour + 59*time.Minute: "1 day and 1 hour",
		5*time.Hour + 59*time.Minute:  "5 hours",
		time.Hour:                     "1 hour",
		59 * time.Minute:              "less than an hour",
	} {
		if got := models.TimeLeft(d); got != want {
			t.Errorf("TimeLeft(%s) = %q, want %q", d, got, want)
		}
	}
}
