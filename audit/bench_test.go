package audit_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/models"
	"outlay/tenancy"
)

// BenchmarkWrite measures what auditing costs a write: the same Updates of a user's name on
// the same tenant, through a handle as tenancy opens it (audited) and through one opened the
// same way without the callbacks. The target is at most 1.5x.
//
//	go test -run '^$' -bench Write -benchmem ./audit/
//
// The "interleaved" sub-benchmark writes once each way per round, and reports as one metric
// (audited/unaudited) the median over the rounds of the audited write's time over the
// unaudited one's: load changing on a shared machine during the run affects both writes of a
// round alike, and a stall that hits one write of a few rounds (a slow fsync, a descheduled
// process) moves the median little where it would move a ratio of totals a lot. Which write
// comes first alternates from round to round. It also reports each side's median time and,
// for comparison, the ratio of the totals. The other two sub-benchmarks measure each side on
// its own.
func BenchmarkWrite(b *testing.B) {
	env, acme := dbtest.NewTenant(b)
	audited := env.DB(b, acme)
	unaudited := openUnaudited(b, acme)
	u := env.CreateUser(b, acme, "bench@acme.example", "Bench", "requester")
	write := func(b *testing.B, db *gorm.DB, i int) {
		if err := db.Model(&models.User{ID: u.ID}).Updates(map[string]any{"name": fmt.Sprintf("Bench %d", i)}).Error; err != nil {
			b.Fatal(err)
		}
	}
	for _, db := range []*gorm.DB{audited, unaudited} { // warm both pools and statement caches
		for i := range 20 {
			write(b, db, i)
		}
	}
	ctx := asUser()
	b.Run("unaudited", func(b *testing.B) {
		db := unaudited.WithContext(ctx)
		for i := 0; b.Loop(); i++ {
			write(b, db, i)
		}
	})
	b.Run("audited", func(b *testing.B) {
		db := audited.WithContext(ctx)
		for i := 0; b.Loop(); i++ {
			write(b, db, i)
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		plain, logged := unaudited.WithContext(ctx), audited.WithContext(ctx)
		timed := func(db *gorm.DB, i int) time.Duration {
			start := time.Now()
			write(b, db, i)
			return time.Since(start)
		}
		var plainTimes, loggedTimes, ratios []float64
		var plainTotal, loggedTotal time.Duration
		for i := 0; b.Loop(); i++ {
			var p, l time.Duration
			if i%2 == 0 {
				p = timed(plain, i)
				l = timed(logged, i)
			} else {
				l = timed(logged, i)
				p = timed(plain, i)
			}
			plainTotal += p
			loggedTotal += l
			plainTimes = append(plainTimes, float64(p.Nanoseconds()))
			loggedTimes = append(loggedTimes, float64(l.Nanoseconds()))
			ratios = append(ratios, float64(l)/float64(p))
		}
		b.ReportMetric(median(plainTimes), "unaudited-ns/write")
		b.ReportMetric(median(loggedTimes), "audited-ns/write")
		b.ReportMetric(median(ratios), "audited/unaudited")
		b.ReportMetric(float64(loggedTotal)/float64(plainTotal), "totals-audited/unaudited")
	})
}

// median returns the middle value of xs (the mean of the two middle ones for an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// openUnaudited opens a handle on the tenant exactly as tenancy does, minus the audit callbacks.
func openUnaudited(b *testing.B, t tenancy.Tenant) *gorm.DB {
	cfg, err := pgx.ParseConfig(t.DSN)
	if err != nil {
		b.Fatal(err)
	}
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(4)
	sqlDB.SetMaxIdleConns(4)
	b.Cleanup(func() { sqlDB.Close() })
	db, err := tenancy.OpenGorm(sqlDB)
	if err != nil {
		b.Fatal(err)
	}
	return db
}
