package models

import (
	"context"
	"time"

	"gorm.io/gorm"

	"outlay/auth"
)

// CheckDeviceThrottle returns *ErrThrottled (scope "device") when sign-ins from one remembered
// browser have failed as often recently as one account may (Throttle.PerAccount in Window).
func CheckDeviceThrottle(ctx context.Context, db *gorm.DB, t Throttle, device string) error {
	var row struct {
		N      int
		Oldest *time.Time
	}
	err := db.WithContext(ctx).Raw(`SELECT count(*) AS n, min(at) AS oldest FROM login_failures
		WHERE device = ? AND at > now() - make_interval(secs => ?)`, device, t.Window.Seconds()).Scan(&row).Error
	if err != nil {
		return err
	}
	if row.N >= t.PerAccount {
		retry := t.Window
		if row.Oldest != nil {
			retry = max(time.Until(row.Oldest.Add(t.Window)), time.Second)
		}
		return &ErrThrottled{Scope: "device", RetryAfter: retry}
	}
	return nil
}

// RecordFailedDeviceSignIn notes a failed attempt from a remembered browser: it counts
// against the account and the address like any other, and against the device. The address
// is kept as the throttle counts it (auth.ClientKey: an IPv6 address by its /64); the audit
// log's signin.failure event has it whole.
func RecordFailedDeviceSignIn(ctx context.Context, db *gorm.DB, email, ip, device string) error {
	if len(email) > MaxEmail {
		email = email[:MaxEmail]
	}
	var dev any
	if device != "" {
		dev = device
	}
	return db.WithContext(ctx).Exec(`INSERT INTO login_failures (email, ip, device) VALUES (?, ?, ?)`, email, auth.ClientKey(ip), dev).Error
}
