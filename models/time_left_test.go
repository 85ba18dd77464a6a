package models_test

import (
	"testing"
	"time"

	"outlay/models"
)

// The time left before a purge is said in words: to the nearest day from a week on (a 90-day
// window read a moment after it opened is still 90 days), to the nearest hour within the
// week, and within the last day never as more than there is.
func TestTimeLeft(t *testing.T) {
	const day = 24 * time.Hour
	for d, want := range map[time.Duration]string{
		90 * day:                      "90 days",
		90*day - 5*time.Second:        "90 days",
		90*day - 11*time.Hour:         "90 days",
		90*day - 13*time.Hour:         "89 days",
		30*day - time.Minute:          "30 days",
		7*day + 5*time.Hour:           "7 days",
		7*day - 10*time.Minute:        "7 days",
		71 * time.Hour:                "2 days and 23 hours",
		71*time.Hour + 50*time.Minute: "3 days",
		25*time.Hour + 59*time.Minute: "1 day and 2 hours",
		day + time.Second:             "1 day",
		day:                           "1 day",
		day - time.Second:             "23 hours",
		5*time.Hour + 59*time.Minute:  "5 hours",
		time.Hour:                     "1 hour",
		59 * time.Minute:              "less than an hour",
	} {
		if got := models.TimeLeft(d); got != want {
			t.Errorf("TimeLeft(%s) = %q, want %q", d, got, want)
		}
	}
}
