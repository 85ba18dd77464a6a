package models

import "testing"

// A form's date is refused for what is wrong with it: not a date, or a year typed wrong.
func TestParseDay(t *testing.T) {
	for in, want := range map[string]string{
		"2026-03-31":  "",
		" 2026-03-31": "",
		"2026-02-30":  "Enter a date such as 2026-03-31.",
		"31/03/2026":  "Enter a date such as 2026-03-31.",
		"":            "Enter a date such as 2026-03-31.",
		"1900-01-01":  "Enter a date from 2000 on: check the year.",
		"0001-01-01":  "Enter a date from 2000 on: check the year.",
	} {
		_, err := parseDay(in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("parseDay(%q): %q, want %q", in, got, want)
		}
	}
}
