package audit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/tenancy"
)

// BenchmarkWrite measures what auditing costs a write: the same Updates of a user's name on
// the same tenant, through a handle as tenancy opens it (audited) and through one opened the
// same way without the callbacks. The target is at most 1.5x.
//
//	go test -run '^$' -bench Write -benchmem ./audit/
//
// The "interleaved" sub-benchmark alternates the two writes and reports their ratio
// (audited/unaudited) as one metric, so that load changing on a shared machine during the run
// affects both sides alike; the other two measure each side on its own.
func BenchmarkWrite(b *testing.B) {
	env, acme := testutil.NewTenant(b)
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
		var plainTime, loggedTime time.Duration
		for i := 0; b.Loop(); i++ {
			start := time.Now()
			write(b, plain, i)
			mid := time.Now()
			write(b, logged, i)
			plainTime += mid.Sub(start)
			loggedTime += time.Since(mid)
		}
		b.ReportMetric(float64(plainTime.Nanoseconds())/float64(b.N), "unaudited-ns/write")
		b.ReportMetric(float64(loggedTime.Nanoseconds())/float64(b.N), "audited-ns/write")
		b.ReportMetric(float64(loggedTime)/float64(plainTime), "audited/unaudited")
	})
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
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), tenancy.GormConfig())
	if err != nil {
		b.Fatal(err)
	}
	return db
}
