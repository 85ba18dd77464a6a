package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
)

// A password sign-in from start to end: a wrong password is counted and recorded; enough of
// them throttle the account, except from the browser remembered as the owner's device, whose
// sign-in is recorded as the device's and leaves the throttle for everyone else; the second
// factor can stop the sign-in before any session is made.
func TestSignInWithPasswordThrottlesAndLetsTheOwnersDeviceThrough(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	u := env.CreateUser(t, acme, "ana@acme.example", "Ana", "requester")
	ctx := context.Background()
	p := models.SignInPolicy{Throttle: models.Throttle{Window: models.DefaultThrottle.Window, PerAccount: 3, PerIP: 100}, Sessions: models.SessionPolicy{Idle: time.Hour, Max: 2 * time.Hour}}
	noSecondFactor := func(*models.User) (bool, error) { return false, nil }
	stranger := models.SignInBrowser{IP: "192.0.2.9"}

	for range p.Throttle.PerAccount {
		if _, err := models.SignInWithPassword(ctx, db, p, u.Email, "wrong", stranger, noSecondFactor); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	var failures int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE event = ? AND subject = ?`, audit.EventSignInFailure, u.Email).Scan(&failures)
	if failures != int64(p.Throttle.PerAccount) {
		t.Errorf("%d failures recorded, want %d", failures, p.Throttle.PerAccount)
	}
	var throttled *models.ErrThrottled
	if _, err := models.SignInWithPassword(ctx, db, p, u.Email, dbtest.Password, stranger, noSecondFactor); !errors.As(err, &throttled) || throttled.Scope != "account" {
		t.Fatalf("the right password from a stranger while throttled: %v", err)
	}

	owners := models.SignInBrowser{IP: "192.0.2.10", DeviceID: "device-of-ana", DeviceUserID: u.ID}
	asked := false
	res, err := models.SignInWithPassword(ctx, db, p, u.Email, dbtest.Password, owners, func(*models.User) (bool, error) { asked = true; return true, nil })
	if res != nil || err != nil || !asked {
		t.Fatalf("a second factor asked for: %+v %v", res, err)
	}
	res, err = models.SignInWithPassword(ctx, db, p, u.Email, dbtest.Password, owners, noSecondFactor)
	if err != nil || res.User.ID != u.ID || res.Session == "" || res.DeviceID != owners.DeviceID {
		t.Fatalf("the owner's device: %+v %v", res, err)
	}
	var trusted int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE event = ? AND subject = ?`, models.EventSignInTrustedDevice, u.Email).Scan(&trusted)
	if trusted != 1 {
		t.Errorf("%d trusted-device sign-ins recorded, want 1", trusted)
	}
	if _, err := models.SignInWithPassword(ctx, db, p, u.Email, dbtest.Password, stranger, noSecondFactor); !errors.As(err, &throttled) {
		t.Errorf("after the owner's device signed in, a stranger: %v; want still throttled", err)
	}
}
