package tenancy_test

import (
	"context"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/tenancy"
)

// Registry changes and policy announcements made by one process reach another's Watch.
func TestWatchSeesOtherProcessesChanges(t *testing.T) {
	t.Parallel()
	env := dbtest.NewEnv(t)
	other, err := tenancy.OpenRegistry(context.Background(), env.ControlDSN, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	announced := make(chan string, 4)
	other.OnPolicyChange = func(slug string) { announced <- slug }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go other.Watch(ctx)
	time.Sleep(300 * time.Millisecond) // let it LISTEN

	env.NewTenant(t, "acme", "Acme")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := other.Lookup("acme"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other registry never saw the new tenant")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := env.Registry.SetStatus(context.Background(), "acme", tenancy.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	for {
		if tn, _ := other.Lookup("acme"); tn.Status == tenancy.StatusSuspended {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other registry never saw the suspension")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := env.Registry.NotifyPolicyChanged(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	select {
	case slug := <-announced:
		if slug != "acme" {
			t.Errorf("announced %q", slug)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("policy announcement not received")
	}
}
