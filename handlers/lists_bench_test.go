package handlers_test

import (
	"net/http"
	"strconv"
	"testing"

	"outlay/internal/testutil"
)

// BenchmarkListPages renders the busiest pages (and a requisition's) at volume (dbtest.SeedVolume: 10,000
// requisitions, 5,000 vendors and orders, 100,000 audit rows) through the real Fiber app, as
// a person who sees everything, one page per sub-benchmark. With -cpuprofile it shows where
// the Go side of a page goes; the database side is TestListPlansAtVolume's.
//
//	go test -run '^$' -bench ListPages -benchtime 200x -cpuprofile /tmp/lists.prof ./handlers/
func BenchmarkListPages(b *testing.B) {
	db, app, boss, _ := volumeSite(b)
	c := app.Client(b, "acme")
	c.SignIn(boss.Email, testutil.Password)
	var pending int64 // a requisition waiting at its second step, with its lines and route
	if err := db.Raw(`SELECT min(id) FROM requisitions WHERE status = 'pending'`).Scan(&pending).Error; err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/dashboard", "/requisitions/all", "/purchase-orders", "/vendors", "/audit", "/approvals",
		"/requisitions/" + strconv.FormatInt(pending, 10)} {
		b.Run(path, func(b *testing.B) {
			if res := c.Get(path); res.Status != http.StatusOK {
				b.Fatalf("%s: %d", path, res.Status)
			}
			b.ResetTimer()
			for range b.N {
				c.Get(path)
			}
		})
	}
}
