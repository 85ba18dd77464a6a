package models

import (
	"testing"
	"time"

	"outlay"
)

// A form's date is refused for what is wrong with it: not a date, or a year typed wrong.
func TestParseDay(t *testing.T) {
	for in, want := range map[string]string{
		"2026-03-31":  "",
		" 2026-03-31": "",
		"2026-02-30":  DateNotUnderstood,
		"31/03/2026":  DateNotUnderstood,
		"":            DateNotUnderstood,
		"1900-01-01":  "Enter a date from 2000 on: check the year.",
		"0001-01-01":  "Enter a date from 2000 on: check the year.",
		"2099-12-31":  "",
		"2100-01-01":  "Enter a date before 2100: check the year.",
		"9999-12-31":  "Enter a date before 2100: check the year.",
	} {
		_, err := ParseDay(in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("ParseDay(%q): %q, want %q", in, got, want)
		}
	}
}

// So is a date of a form that reads it beside its field (a budget's period, an expense
// report's).
func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"2026-03-31": "",
		"":           "Enter a date.",
		"31/03/2026": DateNotUnderstood,
		"0001-01-01": "Enter a date from 2000 on: check the year.",
		"9998-12-31": "Enter a date before 2100: check the year.",
	} {
		verr := outlay.ValidationErrors{}
		parseDate(verr, "period_end", in)
		if got := verr["period_end"]; got != want {
			t.Errorf("parseDate(%q): %q, want %q", in, got, want)
		}
	}
}

// A day after today is refused in the same words on every form that dates what has happened
// (a receipt, an invoice, an expense), with the day's slack for time zones ahead of UTC.
func TestRefuseAfterToday(t *testing.T) {
	today := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for days, want := range map[int]string{
		-400: "",
		0:    "",
		1:    "", // already today east of UTC
		2:    "The date is after today; enter the day the goods arrived.",
		365:  "The date is after today; enter the day the goods arrived.",
	} {
		verr := outlay.ValidationErrors{}
		refused := refuseAfterToday(verr, "received_on", today.AddDate(0, 0, days), today, "enter the day the goods arrived.")
		if got := verr["received_on"]; got != want || refused != (want != "") {
			t.Errorf("%d days on: refused %v, %q; want %q", days, refused, got, want)
		}
	}
}

// Text of spaces and invisible characters alone is as good as empty: a name of it is refused,
// and so is a reason.
func TestInvisibleTextIsEmpty(t *testing.T) {
	for s, want := range map[string]bool{"": false, " ": false, "\u200b": false, "\u200b\u200d\u00a0\u3000": false,
		"a": true, "\u200bA": true, "1": true, "€": true, "–": true, "é": true, "漢": true} {
		if got := hasVisible(s); got != want {
			t.Errorf("hasVisible(%q) = %v, want %v", s, got, want)
		}
	}
	verr := outlay.ValidationErrors{}
	checkOneLine(verr, "name", "\u200b\u200b")
	if verr["name"] == "" {
		t.Error("a name of zero-width spaces was taken")
	}
	if _, err := statedReason("\u200b", "reason", "Say why."); err == nil {
		t.Error("a reason of a zero-width space was taken")
	}
}
