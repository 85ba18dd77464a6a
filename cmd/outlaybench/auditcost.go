package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"outlay/audit"
	"outlay/models"
	"outlay/tenancy"
)

// AuditCost is the audit overhead of one write, measured as the audit package's
// BenchmarkWrite/interleaved does: the same Updates of a user's name through a handle as
// tenancy opens it (audited) and through one opened the same way without the audit callbacks,
// once each per round (alternating which goes first), reporting the median of the per-round
// ratios.
type AuditCost struct {
	Rounds         int
	Audited, Plain time.Duration // medians
	Ratio          float64       // median of audited/unaudited per round
	RatioOfTotals  float64
}

func auditOverhead(ctx context.Context, t tenancy.Tenant, secret []byte, rounds int) (AuditCost, error) {
	c := AuditCost{Rounds: rounds}
	audited, closeAudited, err := tenancy.OpenOne(ctx, t, secret)
	if err != nil {
		return c, err
	}
	defer closeAudited()
	cfg, err := pgx.ParseConfig(t.DSN)
	if err != nil {
		return c, err
	}
	sqlDB := stdlib.OpenDB(*cfg)
	defer sqlDB.Close()
	sqlDB.SetMaxOpenConns(4)
	sqlDB.SetMaxIdleConns(4)
	plain, err := tenancy.OpenGorm(sqlDB)
	if err != nil {
		return c, err
	}
	actor := audit.WithActor(ctx, audit.Actor{Type: audit.ActorUser, ID: 1, Label: "outlaybench", RequestID: "bench", IP: "192.0.2.1"})
	u, err := models.CreateUser(actor, audited, models.NewUser{Email: "audit-cost@bench.example", Name: "Audit Cost", Roles: []string{"requester"}})
	if err != nil {
		return c, err
	}
	write := func(db *gorm.DB, i int) (time.Duration, error) {
		t0 := time.Now()
		err := db.WithContext(actor).Model(&models.User{ID: u.ID}).Updates(map[string]any{"name": fmt.Sprintf("Audit Cost %d", i)}).Error
		return time.Since(t0), err
	}
	for i := range 20 { // warm both pools and statement caches
		if _, err := write(audited, i); err != nil {
			return c, err
		}
		if _, err := write(plain, i); err != nil {
			return c, err
		}
	}
	var plainTimes, loggedTimes, ratios []float64
	var plainTotal, loggedTotal time.Duration
	for i := range rounds {
		var p, l time.Duration
		var err1, err2 error
		if i%2 == 0 {
			p, err1 = write(plain, i)
			l, err2 = write(audited, i)
		} else {
			l, err2 = write(audited, i)
			p, err1 = write(plain, i)
		}
		if err1 != nil || err2 != nil {
			return c, fmt.Errorf("write: %v %v", err1, err2)
		}
		plainTotal += p
		loggedTotal += l
		plainTimes = append(plainTimes, float64(p))
		loggedTimes = append(loggedTimes, float64(l))
		ratios = append(ratios, float64(l)/float64(p))
	}
	c.Plain, c.Audited = time.Duration(median(plainTimes)), time.Duration(median(loggedTimes))
	c.Ratio = median(ratios)
	c.RatioOfTotals = float64(loggedTotal) / float64(plainTotal)
	return c, nil
}

// median is the middle value of xs (the mean of the two middle ones for an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
