package storage_test

import (
	"context"
	"strings"
	"testing"

	"outlay/storage"
)

// s3:// and gs:// reach their drivers: opening needs no network, and a missing driver would
// say the scheme is unknown.
func TestCloudSchemesAreRegistered(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/credentials.json")
	for _, u := range []string{"s3://outlay-attachments?region=eu-west-1", "gs://outlay-attachments"} {
		s, err := storage.Open(context.Background(), u)
		if err != nil && strings.Contains(err.Error(), "no driver registered") {
			t.Errorf("%s: %v", u, err)
		}
		t.Logf("%s: %v", u, err)
		if s != nil {
			s.Close()
		}
	}
	if _, err := storage.Open(context.Background(), "azblob-unregistered://x"); err == nil || !strings.Contains(err.Error(), "no driver registered") {
		t.Errorf("an unregistered scheme: %v", err)
	}
}
