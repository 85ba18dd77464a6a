package outlay

import "strconv"

// Count writes a whole number as people read it in a message: 4,000, 200,000, -12,345.
func Count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
