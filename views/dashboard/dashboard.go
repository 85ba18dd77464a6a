package dashboard

import "strconv"

// Path is the dashboard, where signing in lands and every refused page returns to.
const Path = "/dashboard"

func itoa(n int) string { return strconv.Itoa(n) }
