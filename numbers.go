package outlay

import (
	"strconv"
	"strings"
	"time"
)

// Count writes a whole number as people read it in a message: 4,000, 200,000, -12,345.
func Count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Plural writes n with its noun: "1 row", "2 rows", "200,000 rows".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Count(n) + " " + many
}

// Hours says a duration as people write it: in whole hours ("72 hours", "1 hour"), or in
// minutes when it is shorter than an hour ("30 minutes", never less than "1 minute").
func Hours(d time.Duration) string {
	if d < time.Hour {
		return Plural(max(int(d.Round(time.Minute).Minutes()), 1), "minute", "minutes")
	}
	return Plural(int(d.Round(time.Hour).Hours()), "hour", "hours")
}

// List joins words as a sentence lists them, last before the final one: "a, b and c" (last
// "and"), "A or B" (last "or"); one word alone, none as "".
func List(words []string, last string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + last + " " + words[len(words)-1]
}
