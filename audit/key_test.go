package audit_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"outlay/audit"
)

// A printed head reads back only as it was signed, and only under the same secret.
func TestSignedHeads(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{7}, 32)
	h := audit.Head{Slug: "acme", ID: 42, Hash: bytes.Repeat([]byte{0xab}, 32), At: time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)}
	line, err := h.Sign(secret)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "outlay-audit-head-v1 acme 42 abab") || !strings.Contains(line, " 2026-12-03T06:00:00Z ") {
		t.Errorf("signed head %q", line)
	}
	back, err := audit.ParseSignedHead(secret, line)
	if err != nil || back.Slug != h.Slug || back.ID != h.ID || !bytes.Equal(back.Hash, h.Hash) || !back.At.Equal(h.At) {
		t.Fatalf("read back: %+v %v", back, err)
	}
	for name, bad := range map[string]string{
		"row changed":    strings.Replace(line, " 42 ", " 41 ", 1),
		"tenant changed": strings.Replace(line, " acme ", " globex ", 1),
		"not a head":     "hello",
	} {
		if _, err := audit.ParseSignedHead(secret, bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := audit.ParseSignedHead(bytes.Repeat([]byte{8}, 32), line); err == nil || !strings.Contains(err.Error(), "signature does not match") {
		t.Errorf("another secret: %v", err)
	}
	if _, err := h.Sign(nil); err == nil {
		t.Error("signed without a secret")
	}
}
